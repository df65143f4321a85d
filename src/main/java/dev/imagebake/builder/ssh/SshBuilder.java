package dev.imagebake.builder.ssh;

import dev.imagebake.engine.Artifact;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.plan.SshBuilderSpec;

import java.util.List;
import java.util.Map;

/** {@code builder ssh}: provisions an existing machine; creates and captures nothing (Packer's null builder). */
public final class SshBuilder {
    private final SshBuilderSpec spec;

    public SshBuilder(SshBuilderSpec spec) {
        this.spec = spec;
    }

    public List<BuildStep> prepare() {
        return List.of(new StepConnect(spec));
    }

    public List<BuildStep> finish() {
        return List.of(new BuildStep() {
            @Override
            public String name() {
                return "record the machine";
            }

            @Override
            public void run(BuildContext context) {
                context.addArtifact(new Artifact("ssh", spec.user() + "@" + spec.host() + ":" + spec.port(),
                        List.of(), Map.of("host", spec.host())));
            }
        });
    }
}
