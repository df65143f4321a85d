package dev.imagebake.util;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Says in words what went wrong with a file: the JDK's messages are a bare path ({@code FileAlreadyExistsException}),
 * a class name ({@code java.nio.file.AccessDeniedException}) or an errno text ("Is a directory"). Every place that
 * turns an {@link IOException} into a message people read goes through here.
 */
public final class IoErrors {
    /** A Java class name at the start of a message, as {@code Throwable.toString()} and wrapped causes put it. */
    private static final Pattern CLASS_PREFIX = Pattern.compile("^(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:: ?|$)");

    /** How {@code FileInputStream} and {@code FileOutputStream} word it: {@code /x (Is a directory)}. */
    private static final Pattern PATH_AND_REASON = Pattern.compile("(.+) \\(([^()]+)\\)");

    private IoErrors() {
    }

    /** {@code cannot read /x: it is a folder, not a file}. The path comes from the exception when it knows it. */
    public static String cannot(String doing, Object path, Throwable failure) {
        return "cannot " + doing + " " + path + ": " + reason(failure);
    }

    /** The path the exception names (if any) and the reason: {@code /x: permission denied}. */
    public static String describe(Throwable failure) {
        if (failure instanceof java.io.FileNotFoundException e && e.getMessage() != null) {
            java.util.regex.Matcher m = PATH_AND_REASON.matcher(e.getMessage());
            if (m.matches()) {
                return m.group(1) + ": " + errno(m.group(2));
            }
        }
        if (failure instanceof FileSystemException e && e.getFile() != null) {
            return e.getFile() + (e.getOtherFile() == null ? "" : " -> " + e.getOtherFile()) + ": " + reason(e);
        }
        return reason(failure);
    }

    /** Only the reason, in words, with no Java class name in it. */
    public static String reason(Throwable failure) {
        if (failure instanceof NoSuchFileException) {
            return "no such file or folder";
        }
        if (failure instanceof AccessDeniedException) {
            return "permission denied";
        }
        if (failure instanceof FileAlreadyExistsException) {
            return "something else already exists at that path";
        }
        if (failure instanceof NotDirectoryException) {
            return "it is a file, not a folder";
        }
        if (failure instanceof DirectoryNotEmptyException) {
            return "the folder is not empty";
        }
        if (failure instanceof CharacterCodingException) {
            return "it is not UTF-8 text";
        }
        String text = failure instanceof FileSystemException e ? e.getReason() : failure.getMessage();
        if (failure instanceof java.io.FileNotFoundException && text != null) {
            java.util.regex.Matcher m = PATH_AND_REASON.matcher(text);
            if (m.matches()) {
                return errno(m.group(2));
            }
        }
        if (text == null || text.isBlank()) {
            Throwable cause = failure.getCause();
            return cause != null && cause != failure ? reason(cause) : words(failure.getClass().getSimpleName());
        }
        return errno(stripClassNames(text));
    }

    /** The common errno texts, said as imagebake says things. */
    private static String errno(String text) {
        return switch (text.toLowerCase(Locale.ROOT)) {
            case "is a directory" -> "it is a folder, not a file";
            case "not a directory" -> "a part of the path is a file, not a folder";
            case "permission denied", "operation not permitted" -> "permission denied";
            case "no such file or directory" -> "no such file or folder";
            case "no space left on device" -> "the disk is full";
            case "read-only file system" -> "the file system is read-only";
            case "file name too long" -> "the name is too long";
            case "too many levels of symbolic links" -> "the symbolic links loop";
            default -> text;
        };
    }

    /** {@code java.io.IOException: Empty input} becomes {@code Empty input}, wherever the class names appear. */
    public static String stripClassNames(String text) {
        String result = text.strip();
        String previous;
        do {
            previous = result;
            result = CLASS_PREFIX.matcher(result).replaceFirst("");
            result = result.replaceAll(":\\s*(?:[a-z_$][\\w$]*\\.)+[A-Z][\\w$]*(?:Exception|Error):\\s*", ": ");
        } while (!result.equals(previous));
        return result.isEmpty() ? text : result;
    }

    /** {@code SocketTimeoutException} becomes {@code socket timeout}. */
    private static String words(String className) {
        String plain = className.replaceAll("(Exception|Error)$", "");
        return plain.replaceAll("([a-z])([A-Z])", "$1 $2").toLowerCase(Locale.ROOT);
    }

    /**
     * The text with control characters made visible: NUL as {@code \u0000}, DEL as {@code \u007f}, a tab as
     * {@code \t}, so that a message never carries bytes a terminal would act on or hide.
     */
    public static String visible(String text) {
        StringBuilder out = new StringBuilder(text.length());
        text.codePoints().forEach(c -> {
            switch (c) {
                case '\t' -> out.append("\\t");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                default -> {
                    if (Character.isISOControl(c) || c == 0x2028 || c == 0x2029 || c == 0xFEFF) {
                        out.append(String.format("\\u%04x", c));
                    } else {
                        out.appendCodePoint(c);
                    }
                }
            }
        });
        return out.toString();
    }
}
