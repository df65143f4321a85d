package dev.imagebake.dsl;

import dev.imagebake.plan.ChefSoloStep;
import dev.imagebake.plan.GoTextTemplate;
import dev.imagebake.plan.ToolOptions;
import dev.imagebake.util.Json;
import groovy.lang.Closure;
import groovy.lang.GString;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The settings {@code provision chef} (chef-solo) and {@code provision chefClient} share: the run list, the node's
 * JSON attributes, the environment, the licence, the configuration template and how Chef is installed.
 */
public abstract class ChefBaseContext extends ToolContext {
    protected final List<String> runList = new ArrayList<>();
    protected Map<String, Object> json = Map.of();
    protected String chefEnvironment;
    protected String chefLicense;
    protected String configTemplate;
    protected String encryptedDataBagSecretPath;
    protected boolean skipInstall;
    protected String version;

    protected ChefBaseContext(Evaluation evaluation) {
        super(evaluation);
    }

    /** The fields a configuration template of this provisioner may use. */
    protected abstract List<String> templateFields();

    /** Recipes and roles to run, for example {@code runList 'recipe[web]', 'role[base]'}. Packer's {@code run_list}. */
    public void runList(Object... items) {
        runList.addAll(strings("runList", items));
    }

    /**
     * The node's attributes: a map ({@code json nginx: [port: 8080]}) or the text of a JSON object
     * ({@code json file('node.json')}). Written, with {@code run_list} added, as the JSON file chef is given with -j.
     * Packer's {@code json}.
     */
    public void json(Object value) {
        if (value instanceof String || value instanceof GString) {
            String text = evaluation.text(value);
            Object parsed;
            try {
                parsed = Json.parse(text);
            } catch (IllegalArgumentException e) {
                throw new TemplateError("`json`: the text is not valid JSON (at line:column " + e.getMessage()
                        + "); give a JSON object, for example json file('node.json'), or a map");
            }
            if (!(parsed instanceof Map<?, ?> map)) {
                throw new TemplateError("`json` takes a JSON object ({ ... }) of node attributes; the text is "
                        + (parsed instanceof List ? "an array" : "a single value"));
            }
            json = castMap(map);
        } else if (value instanceof Map<?, ?> map) {
            json = castMap(plainMap(map));
        } else {
            throw new TemplateError("`json` takes a map of node attributes or the text of a JSON object; got "
                    + describe(value));
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> castMap(Map<?, ?> map) {
        return (Map<String, Object>) map;
    }

    private Map<String, Object> plainMap(Map<?, ?> map) {
        Map<String, Object> out = new LinkedHashMap<>();
        map.forEach((k, v) -> out.put(evaluation.text(k), plain(evaluation.text(k), v)));
        return out;
    }

    private Object plain(String key, Object value) {
        if (value == null || value instanceof Boolean || value instanceof Long || value instanceof BigDecimal
                || value instanceof BigInteger) {
            return value;
        } else if (value instanceof Integer || value instanceof Short || value instanceof Byte) {
            return ((Number) value).longValue();
        } else if (value instanceof Number n) {
            return new BigDecimal(n.toString());
        } else if (value instanceof String || value instanceof GString) {
            return evaluation.text(value);
        } else if (value instanceof Map<?, ?> map) {
            return plainMap(map);
        } else if (value instanceof Collection<?> items) {
            List<Object> out = new ArrayList<>();
            items.forEach(i -> out.add(plain(key, i)));
            return out;
        }
        throw new TemplateError("`json`: `" + key + "` is " + describe(value) + "; node attributes are strings, "
                + "numbers, booleans, null, lists and maps");
    }

    /** The Chef environment the node runs in. Packer's {@code chef_environment}. */
    public void chefEnvironment(Object name) {
        chefEnvironment = string("chefEnvironment", name);
    }

    /**
     * The configuration file's {@code chef_license}, for example {@code 'accept'} (default: {@code 'accept-silent'}
     * when Chef is installed by the default omnitruck bootstrap, as Packer; otherwise empty). Packer's
     * {@code chef_license}.
     */
    public void chefLicense(Object value) {
        chefLicense = string("chefLicense", value);
    }

    /**
     * A file next to the template that replaces Packer's configuration template (solo.rb or client.rb); it may use
     * {@code {{.Field}}}, {@code {{if .Field}}}, {@code {{if ne .Field ""}}}, {@code {{else}}} and {@code {{end}}}.
     * Packer's {@code config_template}.
     */
    public void configTemplate(Object path) {
        String file = localFile("configTemplate", path);
        try {
            GoTextTemplate.parse(evaluation.files().read(file), templateFields());
        } catch (IllegalArgumentException e) {
            throw new TemplateError("`configTemplate` '" + file + "': " + e.getMessage());
        }
        configTemplate = file;
    }

    /** The secret for encrypted data bags, a file next to the template. Packer's {@code encrypted_data_bag_secret_path}. */
    public void encryptedDataBagSecretPath(Object path) {
        encryptedDataBagSecretPath = localFile("encryptedDataBagSecretPath", path);
    }

    /** Never installs Chef; the step fails when the machine does not have it. Packer's {@code skip_install}. */
    public void skipInstall(Object value) {
        skipInstall = bool("skipInstall", value);
    }

    /** The Chef version the omnitruck bootstrap installs, for example {@code '18'} (default: the latest). Packer's {@code version}. */
    public void version(Object value) {
        version = string("version", value);
    }

    /**
     * The shared options, with Packer's default install (the omnitruck bootstrap, only when Chef is missing) unless
     * the template names another way or skips installing.
     */
    protected final ToolOptions chefToolOptions() {
        ToolOptions options = toolOptions();
        if (skipInstall) {
            if (options.install() != null || options.installCommand() != null) {
                errorAtBlock(kind() + ": `skipInstall true` never installs Chef; leave out `install` and "
                        + "`installCommand`, or skipInstall");
            }
            return options;
        }
        if (options.install() == null && options.installCommand() == null) {
            return new ToolOptions(options.stagingDirectory(), options.cleanStagingDirectory(), options.preventSudo(),
                    options.executeCommand(), ChefSoloStep.OMNITRUCK, null, options.env());
        }
        return options;
    }

    /** The licence: the template's, or Packer's default ("accept-silent" with the default install). */
    protected final String license(ToolOptions options) {
        if (chefLicense != null) {
            return chefLicense;
        }
        return !skipInstall && ChefSoloStep.OMNITRUCK.equals(options.install()) && options.installCommand() == null
                ? "accept-silent" : "";
    }
}
