package dev.imagebake.dsl.sandbox;

/**
 * Regular-expression input that checks the evaluation's deadline as the matcher reads it, so that a catastrophic
 * backtracking pattern is stopped instead of spinning forever. {@link java.util.regex} cannot be interrupted
 * otherwise.
 */
final class GuardedCharSequence implements CharSequence {
    private final CharSequence text;
    private final Guard guard;
    private int reads;

    GuardedCharSequence(CharSequence text, Guard guard) {
        this.text = text;
        this.guard = guard;
    }

    @Override
    public char charAt(int index) {
        if ((++reads & 0xFFF) == 0) {
            guard.checkpoint();
        }
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new GuardedCharSequence(text.subSequence(start, end), guard);
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
