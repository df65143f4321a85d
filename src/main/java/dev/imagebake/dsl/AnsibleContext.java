package dev.imagebake.dsl;

import dev.imagebake.plan.AnsibleStep;
import dev.imagebake.plan.StepSpec;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@code provision ansible { playbook 'site.yml' }}: runs this host's ansible-playbook against the build machine. */
public final class AnsibleContext extends StepContext {
    private String playbook;
    private final List<String> extraArguments = new ArrayList<>();
    private final Map<String, String> extraVars = new LinkedHashMap<>();
    private final List<String> groups = new ArrayList<>();
    private String user;

    AnsibleContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "ansible";
    }

    /** The playbook, relative to the template's folder. */
    public void playbook(Object path) {
        playbook = string("playbook", path);
        if (!evaluation.files().exists(playbook)) {
            throw new TemplateError("`playbook`: no file '" + playbook + "' next to the template");
        }
    }

    /** More arguments for ansible-playbook, for example {@code extraArguments '--tags', 'web'}. */
    public void extraArguments(Object... arguments) {
        extraArguments.addAll(strings("extraArguments", arguments));
    }

    /** Variables passed with {@code --extra-vars}. */
    public void extraVars(Map<?, ?> values) {
        extraVars.putAll(stringMap("extraVars", values));
    }

    /** Inventory groups the build machine belongs to. */
    public void groups(Object... names) {
        groups.addAll(strings("groups", names));
    }

    /** The remote user Ansible connects as (default: the builder's SSH user). */
    public void user(Object name) {
        user = string("user", name);
    }

    @Override
    protected StepSpec spec() {
        if (playbook == null && !refused("playbook")) {
            errorAtBlock("ansible needs a `playbook`, for example playbook 'site.yml'");
        }
        return new AnsibleStep(playbook, extraArguments, extraVars, groups, user);
    }
}
