package dev.imagebake.plan;

import java.util.List;

/**
 * One build: a builder and the steps that apply to it (already filtered by {@code only}/{@code except}).
 *
 * @param steps   provisioning steps in order
 * @param onError provisioning steps that run only when a provisioning step fails, before cleanup
 * @param post    post-processing steps that run after the artifact exists
 */
public record Build(String name, BuilderSpec builder, List<Step> steps, List<Step> onError, List<Step> post,
                    SourcePosition declaredAt) {
    public Build {
        steps = List.copyOf(steps);
        onError = List.copyOf(onError);
        post = List.copyOf(post);
    }

    public String type() {
        return builder.type();
    }
}
