package dev.imagebake.communicator;

/**
 * What an upload or a download moved, checked on both sides after it ended.
 *
 * @param bytes  how many bytes of file content arrived (every file's size, checked on both sides)
 * @param files  how many files
 * @param hashed whether every file's SHA-256 was compared too (false when not asked for, or when the machine has
 *               no {@code sha256sum})
 */
public record Transfer(long bytes, int files, boolean hashed) {
    /** How the transfer was checked, for people: {@code "SHA-256 verified"} or {@code "size verified"}. */
    public String verification() {
        String what = hashed ? "SHA-256" : files == 1 ? "size" : "sizes";
        return what + " verified";
    }
}
