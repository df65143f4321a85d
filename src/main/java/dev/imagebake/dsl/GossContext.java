package dev.imagebake.dsl;

import dev.imagebake.plan.GossStep;
import dev.imagebake.plan.StepSpec;
import dev.imagebake.plan.ToolOptions;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code provision goss { tests 'goss.yaml' }}: runs {@code goss validate} on the build machine with the test
 * files uploaded first, downloading goss when the machine lacks it. The goss Packer plugin
 * ({@code YaleUniversity/packer-plugin-goss}); its option names in camel case.
 */
public final class GossContext extends ToolContext {
    private static final String GO_DURATION = "0|([0-9]+(\\.[0-9]+)?(ns|us|µs|ms|s|m|h))+";
    private final List<String> tests = new ArrayList<>();
    private String version = GossStep.DEFAULT_VERSION;
    private String arch = GossStep.DEFAULT_ARCH;
    private String url;
    private String downloadPath;
    private String username;
    private String password;
    private boolean skipInstall;
    private boolean skipSslChk;
    private Boolean useSudo;
    private Boolean preventSudo;
    private String remoteFolder;
    private String remotePath;
    private String gossFile;
    private String varsFile;
    private final Map<String, String> varsEnv = new LinkedHashMap<>();
    private final Map<String, String> varsInline = new LinkedHashMap<>();
    private String retryTimeout = GossStep.DEFAULT_RETRY_TIMEOUT;
    private String sleep = GossStep.DEFAULT_SLEEP;
    private String format;
    private String formatOptions;
    private boolean inspect;

    GossContext(Evaluation evaluation) {
        super(evaluation);
    }

    @Override
    protected String kind() {
        return "goss";
    }

    @Override
    protected String defaultStagingDirectory() {
        return GossStep.DEFAULT_REMOTE_FOLDER + "/goss";
    }

    @Override
    protected Map<String, Boolean> placeholders() {
        return GossStep.PLACEHOLDERS;
    }

    /**
     * The test files or folders, relative to the template's folder; each is uploaded to {@code REMOTE_PATH/NAME}.
     * The plugin's {@code tests}.
     */
    public void tests(Object... paths) {
        for (Object path : arguments(paths)) {
            tests.add(localPath("tests", path));
        }
    }

    /** The goss release downloaded when goss is missing (default {@code '0.3.9'}). The plugin's {@code version}. */
    public void version(Object value) {
        String text = string("version", value);
        if (!text.matches("[0-9]+(\\.[0-9]+)*([-+][A-Za-z0-9.]+)?")) {
            throw new TemplateError("`version` takes a goss release number such as '0.3.9' (without the v); got '"
                    + text + "'");
        }
        version = text;
    }

    /** The architecture of the release downloaded (default {@code 'amd64'}). The plugin's {@code arch}. */
    public void arch(Object value) {
        String text = string("arch", value);
        if (!text.matches("[a-z0-9_]+")) {
            throw new TemplateError("`arch` takes an architecture such as 'amd64' or 'arm64'; got '" + text + "'");
        }
        arch = text;
    }

    /**
     * Where goss is downloaded from (default: the goss release for the version and arch on GitHub). The plugin's
     * {@code url}.
     */
    public void url(Object value) {
        String text = string("url", value);
        if (!text.matches("https?://\\S+")) {
            throw new TemplateError("`url` takes an http:// or https:// URL; got '" + text + "'");
        }
        url = text;
    }

    /** Where the download goes on the machine (default {@code /tmp/goss-VERSION-linux-ARCH}). The plugin's {@code download_path}. */
    public void downloadPath(Object path) {
        downloadPath = absolute("downloadPath", path, 1);
    }

    /** The user for the download (curl -u, wget --user). The plugin's {@code username}. */
    public void username(Object value) {
        username = string("username", value);
    }

    /** The download user's password (use a sensitive variable). The plugin's {@code password}. */
    public void password(Object value) {
        password = string("password", value);
    }

    /** Never download goss: it must be on the machine already. The plugin's {@code skip_install}. */
    public void skipInstall(Object value) {
        skipInstall = bool("skipInstall", value);
    }

    /** Download without checking the server's certificate (curl -k). The plugin's {@code skip_ssl}. */
    public void skipSslChk(Object value) {
        skipSslChk = bool("skipSslChk", value);
    }

    /**
     * Runs goss through {@code sudo -n} (default false, as in the plugin). The plugin's {@code use_sudo}; the same
     * as {@code preventSudo false}.
     */
    public void useSudo(Object value) {
        useSudo = bool("useSudo", value);
    }

    /** Runs goss as the SSH user; goss's default here (the opposite of {@code useSudo}). */
    @Override
    public void preventSudo(Object value) {
        preventSudo = bool("preventSudo", value);
        super.preventSudo(value);
    }

    /** The folder on the machine the remote path is made in (default {@code /tmp}). The plugin's {@code remote_folder}. */
    public void remoteFolder(Object path) {
        remoteFolder = absolute("remoteFolder", path, 1);
    }

    /**
     * The folder on the machine the tests are uploaded to and goss runs in (default {@code REMOTE_FOLDER/goss});
     * it is the step's staging folder, removed afterwards unless {@code cleanStagingDirectory false}. The plugin's
     * {@code remote_path}.
     */
    public void remotePath(Object path) {
        remotePath = absolute("remotePath", path, 2);
    }

    /** The goss file to run, relative to the remote path (goss's default: ./goss.yaml). The plugin's {@code goss_file}. */
    public void gossFile(Object path) {
        String text = string("gossFile", path);
        if (text.isBlank()) {
            throw new TemplateError("`gossFile` takes the goss file's path relative to the remote path, for example "
                    + "'tests/goss.yaml'");
        }
        gossFile = text;
    }

    /** A variables file, relative to the template's folder; uploaded and given as --vars. The plugin's {@code vars_file}. */
    public void varsFile(Object path) {
        varsFile = localFile("varsFile", path);
    }

    /** Variables in goss's environment, for example {@code varsEnv ROLE: 'web'}. The plugin's {@code vars_env}. */
    public void varsEnv(Map<?, ?> values) {
        Map<String, String> given = stringMap("varsEnv", values);
        for (String name : given.keySet()) {
            if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new TemplateError("`varsEnv`: '" + name + "' is not a valid environment variable name");
            }
        }
        varsEnv.putAll(given);
    }

    /** Variables given to goss as JSON with --vars-inline. The plugin's {@code vars_inline}. */
    public void varsInline(Map<?, ?> values) {
        varsInline.putAll(stringMap("varsInline", values));
    }

    /** How long goss retries failing tests (default {@code '0s'}: no retries). The plugin's {@code retry_timeout}. */
    public void retryTimeout(Object value) {
        retryTimeout = goDuration("retryTimeout", value);
    }

    /** The wait between retries (default {@code '1s'}). The plugin's {@code sleep}. */
    public void sleep(Object value) {
        sleep = goDuration("sleep", value);
    }

    /** goss's output format ({@code -f}), for example {@code 'documentation'}. The plugin's {@code format}. */
    public void format(Object value) {
        format = oneOf("format", value, GossStep.FORMATS);
    }

    /** goss's format option ({@code -o}): perfdata, verbose or pretty. The plugin's {@code format_options}. */
    public void formatOptions(Object value) {
        formatOptions = oneOf("formatOptions", value, GossStep.FORMAT_OPTIONS);
    }

    /** Failing tests are reported as a warning and the build goes on. The plugin's {@code inspect}. */
    public void inspect(Object value) {
        inspect = bool("inspect", value);
    }

    /** The machine's operating system: only {@code 'Linux'}. The plugin's {@code target_os}. */
    public void targetOs(Object value) {
        String text = string("targetOs", value);
        if (!text.equals("Linux")) {
            throw new TemplateError("`targetOs`: only 'Linux' is supported (imagebake builds Linux images); got '"
                    + text + "'");
        }
    }

    @Override
    protected StepSpec spec() {
        if (tests.isEmpty() && !refused("tests")) {
            errorAtBlock("goss needs `tests`, for example tests 'goss.yaml'");
        }
        if (gossFile == null && !tests.isEmpty() && !varsEnv.containsKey("GOSS_FILE")
                && tests.stream().noneMatch(t -> Path.of(t).getFileName().toString().equals("goss.yaml"))) {
            errorAtBlock("goss reads ./goss.yaml in the remote path, and none of `tests` is a file named goss.yaml: "
                    + "name the goss file with gossFile, for example gossFile '" + Path.of(tests.get(0))
                    .getFileName() + "/goss.yaml'");
        }
        if (useSudo != null && preventSudo != null && useSudo == preventSudo) {
            errorAtBlock("goss: `useSudo " + useSudo + "` and `preventSudo " + preventSudo + "` contradict each other; "
                    + "keep one");
        }
        ToolOptions tool = toolOptions();
        String staging = tool.stagingDirectory();
        if (remotePath != null || remoteFolder != null) {
            if (!staging.equals(defaultStagingDirectory())) {
                errorAtBlock("goss: `stagingDirectory` and `remotePath`/`remoteFolder` name the same folder; keep one");
            }
            staging = remotePath != null ? remotePath : remoteFolder + "/goss";
        }
        boolean sudo = useSudo != null ? useSudo : preventSudo != null && !preventSudo;
        tool = new ToolOptions(staging, tool.cleanStagingDirectory(), !sudo, tool.executeCommand(), tool.install(),
                tool.installCommand(), tool.env());
        boolean alpha = "1".equals(varsEnv.get("GOSS_USE_ALPHA"));
        String download = url != null ? url : GossStep.releaseUrl(version, arch, alpha);
        String path = downloadPath != null ? downloadPath : defaultDownloadPath(download);
        return new GossStep(tests, version, arch, download, path, username, password, skipInstall, skipSslChk, sudo,
                gossFile, varsFile, varsEnv, varsInline, retryTimeout, sleep, format, formatOptions, inspect, tool);
    }

    /**
     * {@code /tmp/goss-VERSION-linux-ARCH}, with the version and arch read back from the URL as the plugin does
     * (its last two path segments: {@code vVERSION/goss-[alpha-]linux-ARCH}), else the ones given.
     */
    private String defaultDownloadPath(String download) {
        String v = version;
        String a = arch;
        String[] segments = download.split("/");
        if (segments.length >= 2) {
            String[] file = segments[segments.length - 1].split("-");
            int at = file.length > 1 && file[1].equals("alpha") ? 3 : 2;
            if (file.length > at && segments[segments.length - 2].matches("v?[0-9][A-Za-z0-9.+-]*")) {
                v = segments[segments.length - 2].replaceFirst("^v", "");
                a = file[at];
            }
        }
        return "/tmp/goss-" + v + "-linux-" + a;
    }

    private String absolute(String keyword, Object value, int depth) {
        String text = string(keyword, value);
        Path given = Path.of(text);
        if (!text.startsWith("/") || !text.matches("[A-Za-z0-9_./@%+=:,-]+")
                || !given.normalize().toString().equals(text.length() > 1 ? text.replaceAll("/+$", "") : text)
                || given.getNameCount() < depth) {
            throw new TemplateError("`" + keyword + "` takes an absolute path" + (depth > 1 ? " at least " + depth
                    + " levels deep" : "") + ", without `..` or spaces, for example '/tmp/goss'; got '" + text + "'");
        }
        return text.length() > 1 ? text.replaceAll("/+$", "") : text;
    }

    private String goDuration(String keyword, Object value) {
        String text = string(keyword, value);
        if (!text.matches(GO_DURATION)) {
            throw new TemplateError("`" + keyword + "` takes a Go duration such as '30s', '5m' or '1m30s'; got '"
                    + text + "'");
        }
        return text;
    }

    private String oneOf(String keyword, Object value, List<String> allowed) {
        String text = string(keyword, value);
        if (!allowed.contains(text)) {
            throw new TemplateError("`" + keyword + "` takes one of " + String.join(", ", allowed) + "; got '" + text
                    + "'." + Suggestions.didYouMean(text, allowed));
        }
        return text;
    }
}
