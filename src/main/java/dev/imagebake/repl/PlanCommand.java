package dev.imagebake.repl;

/** {@code :plan}: shows the plan built so far. */
final class PlanCommand implements Command {
    @Override
    public String name() {
        return "plan";
    }

    @Override
    public String usage() {
        return ":plan";
    }

    @Override
    public String help() {
        return "shows the plan built so far.";
    }

    @Override
    public void run(Repl repl, String argument) throws Exception {
        repl.out().print(repl.session().renderPlan());
    }
}
