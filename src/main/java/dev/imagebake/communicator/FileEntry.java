package dev.imagebake.communicator;

/**
 * One file of a transfer as the sending side saw it.
 *
 * @param name   its path relative to the transfer's root folder ({@code /}-separated), or its own name
 * @param size   its size in bytes
 * @param sha256 its SHA-256, lower-case hex
 */
record FileEntry(String name, long size, String sha256) {
}
