package dev.imagebake.importer;

/** A Packer option the import could not carry over: what, where, and why. */
record Todo(String option, Loc at, String why) {
    /** The comment written at the option's place and in the list at the end. */
    String comment() {
        return "// TODO(import): " + option + " at " + at + " — " + why;
    }

    /** The line of the to-do list. */
    String line() {
        return option + " at " + at + " — " + why;
    }
}
