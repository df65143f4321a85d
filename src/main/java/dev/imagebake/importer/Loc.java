package dev.imagebake.importer;

/** Where an option stands in the Packer source: a file (as the user knows it) and a 1-based line. */
record Loc(String file, int line) {
    @Override
    public String toString() {
        return file + ":" + line;
    }
}
