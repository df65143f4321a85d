package dev.imagebake.plan;

/**
 * A declared template variable after resolution.
 *
 * @param source where the value came from: {@code default}, {@code env}, {@code var-file}, {@code -var} or {@code unset}
 */
public record Variable(String name, String type, String description, boolean sensitive, Object value, String source,
                       SourcePosition declaredAt) {
}
