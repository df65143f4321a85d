package dev.imagebake.plan;

/**
 * A configuration-management provisioner: a tool (Puppet, Chef, Salt, Ansible on the machine, goss) that runs on
 * the build machine from files staged there.
 */
public non-sealed interface ToolStep extends StepSpec {
    /** The staging folder, sudo, execute and install commands. */
    ToolOptions tool();
}
