package dev.imagebake.dsl;

import java.io.IOException;
import java.nio.channels.Channels;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.SecureDirectoryStream;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The only part of the host a template can see: files below the template's own folder (or below the folder
 * {@code --root} names, which holds it), read-only. Paths are relative to the template's folder; absolute paths, and
 * {@code ..} and symbolic links that lead out of the root, are refused. Links that stay inside the root are
 * followed. Reads open the file once, without following links, from the folder down (see
 * {@link #read}), so a link swapped in after the check is never followed.
 */
public final class TemplateFiles {
    static final int MAX_FILE_BYTES = 1 << 20;
    private final Path root;
    /** The folder relative paths start from: the template's. */
    private final Path base;
    private final java.util.Map<String, String> readFrom = new java.util.HashMap<>();

    /** @param root the template's folder, or null when the template has none (text from standard input) */
    public TemplateFiles(Path root) {
        this(root, root);
    }

    /**
     * @param root the folder paths must stay in (null: no files at all)
     * @param base the template's folder, which paths are relative to: {@code root} or a folder below it
     */
    public TemplateFiles(Path root, Path base) {
        this.root = root == null ? null : root.toAbsolutePath().normalize();
        this.base = base == null ? this.root : base.toAbsolutePath().normalize();
        if (this.root != null && !this.base.startsWith(this.root)) {
            throw new IllegalArgumentException(this.base + " is not inside " + this.root);
        }
    }

    /** How messages name the folder that paths must stay in. */
    private String rootName() {
        return root.equals(base) ? "the template's folder" : "the root folder " + root + " (--root)";
    }

    public Path root() {
        return root;
    }

    /** The file {@code relative} names, checked to be inside the template's folder. */
    Path resolve(String relative) {
        if (root == null) {
            throw new TemplateError("this template has no folder to read '" + relative + "' from");
        }
        if (relative.isEmpty() || relative.indexOf('\0') >= 0) {
            throw new TemplateError("a file path must not be empty");
        }
        Path given = Path.of(relative);
        if (given.isAbsolute()) {
            throw new TemplateError("'" + relative + "' is absolute; give a path relative to the template's folder");
        }
        Path target = base.resolve(given).normalize();
        if (!target.startsWith(root)) {
            throw new TemplateError("'" + relative + "' leads out of " + rootName() + "; templates can only use "
                    + (root.equals(base) ? "files in their own folder and below" : "files below the root folder")
                    + (root.equals(base) && relative.startsWith("..") ? " (or below a folder given with --root)"
                    : ""));
        }
        if (Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
            try {
                Path real = target.toRealPath();
                if (!real.startsWith(root.toRealPath())) {
                    throw new TemplateError("'" + relative + "' is a link that leads out of " + rootName());
                }
            } catch (IOException e) {
                throw new TemplateError("cannot read '" + relative + "': " + dev.imagebake.util.IoErrors.reason(e));
            }
        }
        return target;
    }

    /** Whether a file or folder exists at {@code relative}; for checking paths that steps will use later. */
    boolean exists(String relative) {
        return Files.exists(resolve(relative));
    }

    /**
     * Checks that no symbolic link inside the folder at {@code relative} leads out of the template's folder: an
     * upload of the folder would otherwise copy what the link points to (a host file) onto the machine.
     */
    void checkTree(String relative) {
        Path folder = resolve(relative);
        if (!Files.isDirectory(folder)) {
            return;
        }
        try (var walk = Files.walk(folder)) {
            Path realRoot = root.toRealPath();
            for (Path path : (Iterable<Path>) walk::iterator) {
                if (Files.isSymbolicLink(path)) {
                    String name = base.relativize(path).toString();
                    Path real;
                    try {
                        real = path.toRealPath();
                    } catch (IOException e) {
                        throw new TemplateError("'" + name + "' is a link to nothing (" + Files.readSymbolicLink(path)
                                + "); remove it or make it point inside the template's folder");
                    }
                    if (!real.startsWith(realRoot)) {
                        throw new TemplateError("'" + name + "' is a link that leads out of " + rootName()
                                + " (to " + Files.readSymbolicLink(path) + "); uploading '" + relative + "' would copy "
                                + "what it points to");
                    }
                }
            }
        } catch (IOException | java.io.UncheckedIOException e) {
            throw new TemplateError("cannot read the folder '" + relative + "': " + e.getMessage());
        }
    }

    /** The path (as the template gave it) of a file whose whole text is {@code text}, or null. */
    String readFrom(String text) {
        return readFrom.get(text);
    }

    /**
     * The text of the file at {@code relative}. The file is opened exactly once, by walking from the template's
     * folder one name at a time and opening each without following links, so what is read is what was checked: a
     * link swapped in while the template reads (a race against a concurrent writer) makes the read fail, never
     * read the link's target. Links met on the way are resolved by hand and allowed when they stay inside the
     * folder, as {@link #resolve} allows them.
     */
    String read(String relative) {
        resolve(relative);
        byte[] bytes;
        try {
            bytes = readWithoutFollowingLinks(relative);
        } catch (NoSuchFileException | NotDirectoryException e) {
            throw new TemplateError("no file '" + relative + "' next to the template");
        } catch (IOException e) {
            throw new TemplateError("cannot read '" + relative + "': " + dev.imagebake.util.IoErrors.reason(e));
        }
        if (bytes.length > MAX_FILE_BYTES) {
            throw new TemplateError("'" + relative + "' is larger than " + (MAX_FILE_BYTES >> 20)
                    + " MiB; upload it with a file provisioner instead of reading it into the template");
        }
        try {
            String text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(bytes)).toString();
            readFrom.put(text, relative);
            return text;
        } catch (CharacterCodingException e) {
            throw new TemplateError("'" + relative + "' is not UTF-8 text");
        }
    }

    private static final int MAX_LINKS = 40;

    private byte[] readWithoutFollowingLinks(String relative) throws IOException {
        List<String> names = names(root.relativize(base.resolve(relative).normalize()).toString());
        for (int links = 0; links <= MAX_LINKS; links++) {
            Walked walked = walk(names, relative);
            if (walked.bytes() != null) {
                return walked.bytes();
            }
            names = walked.again();
        }
        throw new TemplateError("'" + relative + "' goes through too many links");
    }

    /** Either the file's bytes, or the names to walk again (the first link on the way replaced by its target). */
    private record Walked(byte[] bytes, List<String> again) {
    }

    /** Walks {@code names} from the folder, opening each without following links. */
    private Walked walk(List<String> names, String relative) throws IOException {
        List<SecureDirectoryStream<Path>> open = new ArrayList<>();
        try {
            DirectoryStream<Path> top = Files.newDirectoryStream(root);
            if (!(top instanceof SecureDirectoryStream<Path> folder)) {
                top.close();
                throw new IOException("this system cannot open files without following links");
            }
            open.add(folder);
            SecureDirectoryStream<Path> current = folder;
            for (int i = 0; i < names.size(); i++) {
                Path name = Path.of(names.get(i));
                BasicFileAttributes attributes = current.getFileAttributeView(name, BasicFileAttributeView.class,
                        LinkOption.NOFOLLOW_LINKS).readAttributes();
                if (attributes.isSymbolicLink()) {
                    return new Walked(null, throughLink(names, i, relative));
                }
                if (i < names.size() - 1) {
                    if (!attributes.isDirectory()) {
                        throw new NoSuchFileException(relative);
                    }
                    current = current.newDirectoryStream(name, LinkOption.NOFOLLOW_LINKS);
                    open.add(current);
                } else {
                    if (!attributes.isRegularFile()) {
                        throw new NoSuchFileException(relative);
                    }
                    try (SeekableByteChannel channel = current.newByteChannel(name,
                            Set.of(StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS))) {
                        return new Walked(Channels.newInputStream(channel).readNBytes(MAX_FILE_BYTES + 1), null);
                    } catch (FileSystemException e) {
                        if (e.getReason() != null && e.getReason().contains("symbolic link")) {
                            // replaced by a link since it was looked at: look again
                            return new Walked(null, names);
                        }
                        throw e;
                    }
                }
            }
            throw new NoSuchFileException(relative);
        } finally {
            for (SecureDirectoryStream<Path> stream : open) {
                stream.close();
            }
        }
    }

    /** The names to walk when names[at] is a link: its target in its place, if that stays inside the folder. */
    private List<String> throughLink(List<String> names, int at, String relative) throws IOException {
        Path link = root.resolve(String.join("/", names.subList(0, at + 1)));
        Path target = Files.readSymbolicLink(link);
        Path inside;
        if (target.isAbsolute()) {
            Path real = root.toRealPath();
            Path normal = target.normalize();
            if (normal.startsWith(root)) {
                inside = root.relativize(normal);
            } else if (normal.startsWith(real)) {
                inside = real.relativize(normal);
            } else {
                throw new TemplateError("'" + relative + "' is a link that leads out of " + rootName());
            }
        } else {
            Path parent = Path.of("", names.subList(0, at).toArray(String[]::new));
            inside = parent.resolve(target).normalize();
            if (inside.startsWith("..")) {
                throw new TemplateError("'" + relative + "' is a link that leads out of " + rootName());
            }
        }
        List<String> next = new ArrayList<>(names(inside.toString()));
        next.addAll(names.subList(at + 1, names.size()));
        return next;
    }

    private static List<String> names(String relative) {
        List<String> names = new ArrayList<>();
        for (Path name : Path.of(relative).normalize()) {
            if (!name.toString().isEmpty()) {
                names.add(name.toString());
            }
        }
        return names;
    }
}
