package dev.imagebake.provisioner;

import dev.imagebake.engine.BuildContext;
import dev.imagebake.plan.BreakpointStep;

/** {@code provision breakpoint}: waits for Enter; without a terminal it is skipped with a warning. */
public final class BreakpointProvisioner extends Provisioner<BreakpointStep> {
    public BreakpointProvisioner(BreakpointStep spec, String name) {
        super(spec, name);
    }

    @Override
    public void run(BuildContext context) throws Exception {
        if (spec.disabled()) {
            context.info("breakpoint disabled");
            return;
        }
        if (context.interaction() == null) {
            context.warn("breakpoint skipped: not an interactive run" + (spec.note().isEmpty() ? ""
                    : " (" + spec.note() + ")"));
            return;
        }
        String where = "";
        if (context.hasMachine()) {
            var login = context.machine().loginCommand();
            where = login.notes() + " Log in with: " + login.command();
        }
        context.interaction().ask("Breakpoint" + (spec.note().isEmpty() ? "" : ": " + spec.note()) + "." + where
                + (where.isEmpty() ? " " : "\n") + "Press Enter to continue. ");
    }
}
