package dev.imagebake.repl;

import dev.imagebake.plan.Step;

import java.util.List;

/**
 * One accepted input of the session: a statement typed (or a top-level statement of a loaded template) and the
 * provisioning steps it declared. The session's template is its entries in order.
 */
final class Entry {
    /** Where an entry stands. */
    enum Status {
        /** declares no step (a variable, a builder, a function, a value): always part of the template */
        DEFINITION,
        /** declares steps that have not run on a machine yet */
        PENDING,
        /** declares steps that all ran on the machine and succeeded */
        SUCCEEDED
    }

    final String text;
    final List<Step> steps;
    Status status;
    /** For a {@link Status#SUCCEEDED} entry: which machine of the session its steps last succeeded on (see ReplSession). */
    int machine;
    /** The input's first line in the session, which its steps are labelled by; 0 for a statement of a loaded file. */
    int lineNumber;
    /** For a statement of a loaded file: the file, and how many lines of the session came before it when evaluated. */
    String loadedFrom;
    int loadOffset;
    /**
     * Whether this entry begins a new piece: the session's template is evaluated as a run of pieces, each compiled
     * once (see ReplSession); an entry that needed the entries before it in the same script joins their piece.
     */
    boolean startsPiece = true;

    Entry(String text, List<Step> steps) {
        this.text = text;
        this.steps = List.copyOf(steps);
        this.status = steps.isEmpty() ? Status.DEFINITION : Status.PENDING;
    }

    int lines() {
        return text.split("\n", -1).length;
    }
}
