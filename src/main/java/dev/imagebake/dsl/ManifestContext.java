package dev.imagebake.dsl;

import dev.imagebake.plan.ManifestPost;
import dev.imagebake.plan.StepSpec;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code post manifest { output 'manifest.json' }}: records the artifacts as JSON, merged with earlier runs. */
public final class ManifestContext extends StepContext {
    private String output = "imagebake-manifest.json";
    private boolean stripPath;
    private final Map<String, String> customData = new LinkedHashMap<>();

    ManifestContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "manifest";
    }

    /** The manifest file (default {@code imagebake-manifest.json}). */
    public void output(Object path) {
        output = string("output", path);
    }

    /** Records only the file names of file artifacts. */
    public void stripPath(Object value) {
        stripPath = bool("stripPath", value);
    }

    /** Extra values recorded with the build: {@code customData commit: 'abc123'}. */
    public void customData(Map<?, ?> values) {
        customData.putAll(stringMap("customData", values));
    }

    @Override
    protected StepSpec spec() {
        return new ManifestPost(output, stripPath, customData);
    }
}
