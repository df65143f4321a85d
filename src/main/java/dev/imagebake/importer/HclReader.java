package dev.imagebake.importer;

import com.bertramlabs.plugins.hcl4j.RuntimeSymbols.Function;
import com.bertramlabs.plugins.hcl4j.RuntimeSymbols.Operator;
import com.bertramlabs.plugins.hcl4j.RuntimeSymbols.StringInterpolatedExpression;
import com.bertramlabs.plugins.hcl4j.RuntimeSymbols.Variable;
import com.bertramlabs.plugins.hcl4j.RuntimeSymbols.VariableTree;
import com.bertramlabs.plugins.hcl4j.symbols.HCLArray;
import com.bertramlabs.plugins.hcl4j.symbols.HCLAttribute;
import com.bertramlabs.plugins.hcl4j.symbols.HCLBlock;
import com.bertramlabs.plugins.hcl4j.symbols.HCLMap;
import com.bertramlabs.plugins.hcl4j.symbols.HCLValue;
import com.bertramlabs.plugins.hcl4j.symbols.Symbol;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Reads Packer HCL2 with hcl4j's lexer (ADR 0007): its symbol tree keeps blocks in order, expressions unevaluated
 * and every symbol's line, which {@code HCLParser.parse} (evaluating, into maps) loses.
 */
final class HclReader {
    /** Local names that would hide a helper or keyword of imagebake's language; such locals get a prefix. */
    static final Set<String> RESERVED = Set.of("var", "env", "timestamp", "uuid", "file", "fail", "println",
            "variable", "builder", "provision", "post", "onError", "azure", "ssh", "shell", "manifest", "local",
            "marketplace", "image", "galleryImage", "def", "in", "as", "class", "if", "for", "return", "new");

    private final PackerTemplate template;
    private String file;
    private String[] lines;

    private HclReader(PackerTemplate template) {
        this.template = template;
    }

    /** Reads one {@code .pkr.hcl} file, or every {@code *.pkr.hcl} and {@code *.pkrvars.hcl} of a folder. */
    static PackerTemplate read(Path input) throws IOException, UnreadableTemplateException {
        boolean folder = Files.isDirectory(input);
        Path base = (folder ? input : input.toAbsolutePath().getParent()).toAbsolutePath().normalize();
        PackerTemplate template = new PackerTemplate(base, false);
        HclReader reader = new HclReader(template);
        List<Path> files;
        if (folder) {
            try (Stream<Path> list = Files.list(input)) {
                files = list.filter(p -> p.getFileName().toString().endsWith(".pkr.hcl")
                        || p.getFileName().toString().endsWith(".pkrvars.hcl")).sorted().toList();
            }
            if (files.stream().noneMatch(p -> p.toString().endsWith(".pkr.hcl"))) {
                throw new UnreadableTemplateException(input + ": no *.pkr.hcl file in this folder");
            }
        } else {
            files = List.of(input);
        }
        for (Path p : files.stream().filter(f -> f.toString().endsWith(".pkr.hcl")).toList()) {
            reader.readFile(p, false);
        }
        for (Path p : files.stream().filter(f -> f.toString().endsWith(".pkrvars.hcl")).toList()) {
            reader.readFile(p, true);
        }
        return template;
    }

    private void readFile(Path path, boolean varFile) throws IOException, UnreadableTemplateException {
        String text = Files.readString(path);
        file = path.getFileName().toString();
        lines = text.split("\n", -1);
        template.texts.put(file, text);
        List<Symbol> symbols = lex(file, text);
        if (varFile) {
            boolean auto = file.endsWith(".auto.pkrvars.hcl");
            for (Symbol s : symbols) {
                if (s instanceof HCLAttribute a) {
                    Val v = attrValue(a);
                    if (auto) {
                        overrideDefault(a.getName(), v, at(a));
                    } else {
                        template.varFileValues.put(a.getName(), Literals.plain(v));
                    }
                }
            }
            return;
        }
        for (Symbol s : symbols) {
            if (s instanceof HCLBlock b) {
                topBlock(b);
            } else if (s instanceof HCLAttribute a) {
                template.todos.add(new Todo(a.getName(), at(a), "a top-level attribute is not Packer HCL2"));
            }
        }
    }

    /** hcl4j's lexer is package-private; it is the only way to its symbol tree (ADR 0007). */
    static List<Symbol> lex(String file, String text) throws UnreadableTemplateException {
        try {
            Class<?> lexer = Class.forName("com.bertramlabs.plugins.hcl4j.HCLLexer");
            Constructor<?> ctor = lexer.getDeclaredConstructor(Reader.class);
            ctor.setAccessible(true);
            // A final newline: without one, the lexer ends a file's last attribute in mid-value.
            Object instance = ctor.newInstance(new StringReader(text + "\n"));
            java.lang.reflect.Method yylex = lexer.getMethod("yylex");
            yylex.setAccessible(true);
            lexQuietly(yylex, instance);
            java.lang.reflect.Field elements = lexer.getField("elementStack");
            elements.setAccessible(true);
            @SuppressWarnings("unchecked")
            List<Symbol> stack = (List<Symbol>) elements.get(instance);
            // The lexer accepts a file that ends inside a block or a string; Packer does not.
            java.lang.reflect.Method state = lexer.getMethod("yystate");
            state.setAccessible(true);
            java.lang.reflect.Field open = lexer.getDeclaredField("currentBlock");
            open.setAccessible(true);
            Symbol block = (Symbol) open.get(instance);
            if (!Integer.valueOf(0).equals(state.invoke(instance))) {
                int lines = text.split("\n", -1).length;
                throw new UnreadableTemplateException(block != null && block.getLine() != null
                        ? file + ":" + (block.getLine() + 1) + ":" + (block.getColumn() == null ? 1 : block.getColumn() + 1) + ": this block is not "
                        + "closed: the file ends inside it (a missing '}' or quote)"
                        : file + ":" + lines + ":1: the file ends inside a block or a string (a missing '}' or quote)");
            }
            return new ArrayList<>(stack);
        } catch (InvocationTargetException e) {
            String message = describe(e.getCause());
            // hcl4j: "Illegal character <(@) - state: 14> found on line: 2 col: 14" (1-based, unlike its symbols).
            java.util.regex.Matcher at = java.util.regex.Pattern.compile("(.*?)\\s*found on line: (\\d+) col: (\\d+)")
                    .matcher(message);
            if (at.find()) {
                throw new UnreadableTemplateException(file + ":" + at.group(2) + ":" + at.group(3) + ": " + at.group(1));
            }
            throw new UnreadableTemplateException(file + ": " + message);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("hcl4j's lexer is not where ADR 0007 says", e);
        }
    }

    /** hcl4j's lexer prints debugging lines ("Conditional Matched:?") on System.out, where the template goes. */
    private static synchronized void lexQuietly(java.lang.reflect.Method yylex, Object lexer)
            throws ReflectiveOperationException {
        java.io.PrintStream out = System.out;
        System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
        try {
            yylex.invoke(lexer);
        } finally {
            System.setOut(out);
        }
    }

    private static String describe(Throwable e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        // hcl4j says "Illegal character <x> at line 3, column 5"-like texts; keep them, they name the place.
        return m.replaceAll("\\s+", " ").trim();
    }

    private void topBlock(HCLBlock b) {
        List<String> names = b.blockNames;
        switch (names.get(0)) {
            case "variable" -> variable(b);
            case "variables" -> {
                for (Symbol s : b.getChildren()) {
                    if (s instanceof HCLAttribute a) {
                        template.variables.add(new PackerTemplate.Variable(a.getName(), attrValue(a), null, null,
                                false, at(a)));
                    }
                }
            }
            case "locals" -> {
                for (Symbol s : b.getChildren()) {
                    if (s instanceof HCLAttribute a) {
                        template.locals.add(new PackerTemplate.Local(a.getName(), attrValue(a), at(a)));
                    }
                }
            }
            case "local" -> {
                Block local = block(b);
                template.locals.add(new PackerTemplate.Local(names.get(1), local.attrs.getOrDefault("expression",
                        new Val.Lit(null)), local.at));
            }
            case "source" -> template.sources.add(block(b));
            case "build" -> build(b);
            case "packer", "data" -> {
                // packer { required_plugins } says which plugins Packer loads; data sources are read where used.
            }
            default -> template.todos.add(new Todo(names.get(0) + " block", at(b), "not a Packer HCL2 block"));
        }
    }

    private void variable(HCLBlock b) {
        Block v = block(b);
        Val dflt = v.attrs.get("default");
        if (dflt instanceof Val.Lit l && l.value() == null) {
            dflt = null;
        }
        String type = v.attrs.get("type") == null ? null : typeName(v.attrs.get("type"));
        String description = v.attrs.get("description") == null ? null : v.attrs.get("description").text();
        boolean sensitive = "true".equals(v.attrs.get("sensitive") == null ? null : v.attrs.get("sensitive").text());
        template.variables.add(new PackerTemplate.Variable(b.blockNames.get(1), dflt, type, description, sensitive,
                v.at));
    }

    private static String typeName(Val type) {
        String t = type.text() != null ? type.text() : type.groovy();
        t = t.replace("'", "").trim();
        if (t.startsWith("list") || t.startsWith("set") || t.startsWith("tuple")) {
            return "list";
        }
        if (t.startsWith("map") || t.startsWith("object")) {
            return "map";
        }
        return switch (t) {
            case "number", "bool", "string" -> t;
            default -> null;
        };
    }

    private void overrideDefault(String name, Val value, Loc at) {
        List<PackerTemplate.Variable> vars = template.variables;
        for (int i = 0; i < vars.size(); i++) {
            PackerTemplate.Variable v = vars.get(i);
            if (v.name().equals(name)) {
                vars.set(i, new PackerTemplate.Variable(name, value, v.type(), v.description(), v.sensitive(), v.at()));
                return;
            }
        }
        template.todos.add(new Todo(name, at, "set in an auto.pkrvars file but not declared"));
    }

    private void build(HCLBlock b) {
        PackerTemplate.Build build = new PackerTemplate.Build(at(b));
        Block whole = block(b);
        Val sources = whole.attrs.get("sources");
        if (sources instanceof Val.Lst list) {
            for (Val s : list.items()) {
                build.sources.add(new Block(List.of("source", s.text() == null ? s.groovy() : s.text()),
                        whole.loc("sources")));
            }
        } else if (sources != null) {
            template.todos.add(new Todo("sources", whole.loc("sources"), "a sources list computed by an expression "
                    + "cannot be followed: list the sources"));
        }
        for (Block inner : whole.blocks) {
            switch (inner.type()) {
                case "source" -> build.sources.add(inner);
                case "provisioner" -> build.provisioners.add(inner);
                case "error-cleanup-provisioner" -> build.errorCleanup.add(inner);
                case "post-processor" -> build.postProcessors.add(inner);
                case "post-processors" -> build.postProcessors.addAll(inner.blocks("post-processor"));
                default -> template.todos.add(new Todo(inner.type() + " block", inner.at, "not known in a build"));
            }
        }
        template.builds.add(build);
    }

    /** A block with its attributes as values; nested blocks kept as blocks. */
    private Block block(HCLBlock b) {
        Block block = new Block(b.blockNames, at(b));
        for (Symbol s : b.getChildren()) {
            if (s instanceof HCLAttribute a) {
                block.put(a.getName(), attrValue(a), at(a));
            } else if (s instanceof HCLBlock inner) {
                block.blocks.add(block(inner));
            }
        }
        return block;
    }

    private Val attrValue(HCLAttribute a) {
        try {
            return sequence(a.getChildren());
        } catch (Functions.Unsupported e) {
            Loc loc = at(a);
            template.todos.add(new Todo(a.getName(), loc, e.getMessage()));
            return new Val.Lit(sourceAfterEquals(loc.line()));
        }
    }

    private String sourceAfterEquals(int line) {
        String text = line - 1 < lines.length ? lines[line - 1] : "";
        int eq = text.indexOf('=');
        return (eq >= 0 ? text.substring(eq + 1) : text).trim();
    }

    /** Several symbols side by side: operands with operators between them. */
    private Val sequence(List<Symbol> symbols) {
        if (symbols.isEmpty()) {
            return new Val.Lit(null);
        }
        if (symbols.size() == 1) {
            return value(symbols.get(0));
        }
        StringBuilder code = new StringBuilder();
        for (Symbol s : symbols) {
            if (code.length() > 0) {
                code.append(' ');
            }
            code.append(s instanceof Operator o ? o.getName() : Functions.operand(value(s)));
        }
        return new Val.Expr(code.toString());
    }

    private Val value(Symbol s) {
        if (s instanceof HCLValue v) {
            return switch (v.type == null ? "" : v.type) {
                case "boolean" -> new Val.Lit(Boolean.valueOf(String.valueOf(v.value)));
                case "number" -> new Val.Lit(number(String.valueOf(v.value)));
                case "null" -> new Val.Lit(null);
                default -> new Val.Lit(v.value == null ? null : String.valueOf(v.value));
            };
        }
        if (s instanceof HCLArray array) {
            List<Val> items = new ArrayList<>();
            for (Symbol c : array.getChildren()) {
                items.add(value(c));
            }
            return new Val.Lst(items);
        }
        if (s instanceof HCLMap || s instanceof HCLBlock) {
            Val.Obj obj = new Val.Obj();
            for (Symbol c : s.getChildren()) {
                if (c instanceof HCLAttribute a) {
                    obj.entries().put(a.getName(), sequence(a.getChildren()));
                }
            }
            return obj;
        }
        if (s instanceof StringInterpolatedExpression) {
            List<Object> parts = new ArrayList<>();
            for (Symbol c : s.getChildren()) {
                if (!(c instanceof Operator o && o.getName().equals("+"))) {
                    parts.add(value(c));
                }
            }
            return Val.concat(parts);
        }
        if (s instanceof VariableTree tree) {
            return reference(tree);
        }
        if (s instanceof Function f) {
            List<Val> args = new ArrayList<>();
            for (Symbol c : f.getChildren()) {
                args.add(value(c));
            }
            return Functions.call(f.getName(), args);
        }
        if (s.getClass().getSimpleName().equals("GroupedExpression")) {
            return new Val.Expr("(" + sequence(s.getChildren()).groovy() + ")");
        }
        if (s.getClass().getSimpleName().endsWith("PrimitiveType")) {
            return new Val.Lit(s.getName());
        }
        throw new Functions.Unsupported("an HCL " + describeSymbol(s) + " has no translation");
    }

    private static String describeSymbol(Symbol s) {
        return switch (s.getClass().getSimpleName()) {
            case "ComputedTuple", "ComputedObject", "ForSource", "ForConditional" -> "for expression";
            default -> s.getClass().getSimpleName() + " expression";
        };
    }

    private static Object number(String text) {
        try {
            double d = Double.parseDouble(text);
            return d == Math.rint(d) && !text.contains(".") ? (Object) (long) d : (Object) d;
        } catch (NumberFormatException e) {
            return text;
        }
    }

    private Val reference(VariableTree tree) {
        List<String> parts = new ArrayList<>();
        for (Symbol c : tree.getChildren()) {
            if (!(c instanceof Variable)) {
                throw new Functions.Unsupported("an indexed reference (" + tree.getName() + "[...]) has no translation");
            }
            parts.add(c.getName());
        }
        if (parts.size() == 2) {
            switch (parts.get(0)) {
                case "var" -> {
                    return new Val.Expr("var." + parts.get(1));
                }
                case "local" -> {
                    return new Val.Expr(localName(parts.get(1)));
                }
                case "path" -> {
                    return new Val.Lit(".");
                }
                default -> {
                }
            }
        }
        throw new Functions.Unsupported(String.join(".", parts) + " has no imagebake equivalent");
    }

    /** The Groovy name of a Packer local. */
    static String localName(String name) {
        String n = name.replace('-', '_');
        return RESERVED.contains(n) || KEYWORDS.contains(n) ? "local_" + n : n;
    }

    /**
     * The keywords of imagebake's blocks: a local named like one ({@code tags}, {@code location}) would be taken for
     * the keyword inside a block ({@code tags tags} calls the local).
     */
    private static final Set<String> KEYWORDS = keywords();

    private static Set<String> keywords() {
        Set<String> words = new java.util.HashSet<>(dev.imagebake.dsl.Keywords.of(dev.imagebake.dsl.AzureBuilderContext.class));
        words.addAll(dev.imagebake.dsl.Keywords.of(dev.imagebake.dsl.SshBuilderContext.class));
        words.addAll(dev.imagebake.dsl.Keywords.of(dev.imagebake.dsl.TopLevel.class));
        for (java.lang.reflect.Method m : dev.imagebake.dsl.StepTypes.class.getDeclaredMethods()) {
            for (java.lang.annotation.Annotation[] annotations : m.getParameterAnnotations()) {
                for (java.lang.annotation.Annotation a : annotations) {
                    if (a instanceof groovy.lang.DelegatesTo d) {
                        words.addAll(dev.imagebake.dsl.Keywords.of(d.value()));
                    }
                }
            }
        }
        return Set.copyOf(words);
    }

    private Loc at(Symbol s) {
        return new Loc(file, s.getLine() == null ? 1 : s.getLine() + 1);
    }
}
