package dev.imagebake.dsl;

import groovy.lang.Closure;
import groovy.lang.DelegatesTo;

/**
 * The provisioner and post-processor types, as they appear after {@code provision} and {@code post}:
 * {@code provision shell { ... }}.
 */
public abstract class StepTypes extends BlockContext {
    protected StepTypes(Evaluation evaluation) {
        super(evaluation);
    }

    private Object declare(StepContext context, Closure<?> body) {
        if (body != null) {
            context.runBlock(body);
        }
        Evaluation.StepDeclaration declaration = new Evaluation.StepDeclaration(context.build());
        evaluation.declare(declaration);
        return declaration;
    }

    /** Runs commands on the build machine. */
    public Object shell(@DelegatesTo(ShellContext.class) Closure<?> body) {
        return declare(new ShellContext(evaluation), body);
    }

    /** Uploads or downloads files: {@code provision file { source 'site.conf'; destination '/tmp/' }}. */
    public Object file(Object bodyOrPath) {
        if (bodyOrPath instanceof Closure<?> body) {
            return declare(new FileContext(evaluation), body);
        }
        return new Helpers(evaluation).file(bodyOrPath);
    }

    /** Runs commands on the imagebake host, with the build's facts in the environment. */
    public Object shellLocal(@DelegatesTo(ShellLocalContext.class) Closure<?> body) {
        return declare(new ShellLocalContext(evaluation), body);
    }

    /** Pauses until Enter is pressed (skipped with a warning when not interactive). */
    public Object breakpoint(@DelegatesTo(BreakpointContext.class) Closure<?> body) {
        return declare(new BreakpointContext(evaluation), body);
    }

    public Object breakpoint() {
        return declare(new BreakpointContext(evaluation), null);
    }

    /** Reboots the build machine and waits for it to answer again. */
    public Object reboot(@DelegatesTo(RebootContext.class) Closure<?> body) {
        return declare(new RebootContext(evaluation), body);
    }

    public Object reboot() {
        return declare(new RebootContext(evaluation), null);
    }

    /** Runs an Ansible playbook against the build machine. */
    public Object ansible(@DelegatesTo(AnsibleContext.class) Closure<?> body) {
        return declare(new AnsibleContext(evaluation), body);
    }

    /** Runs puppet apply on the build machine with an uploaded manifest (Packer's puppet-masterless). */
    public Object puppet(@DelegatesTo(PuppetContext.class) Closure<?> body) {
        return declare(new PuppetContext(evaluation), body);
    }

    /** Runs ansible-playbook on the build machine itself with uploaded playbooks (Packer's ansible-local). */
    public Object ansibleLocal(@DelegatesTo(AnsibleLocalContext.class) Closure<?> body) {
        return declare(new AnsibleLocalContext(evaluation), body);
    }

    /** Runs salt-call --local on the build machine with an uploaded state tree (Packer's salt-masterless). */
    public Object salt(@DelegatesTo(SaltContext.class) Closure<?> body) {
        return declare(new SaltContext(evaluation), body);
    }

    /** Runs chef-solo on the build machine with uploaded cookbooks (Packer's chef-solo). */
    public Object chef(@DelegatesTo(ChefContext.class) Closure<?> body) {
        return declare(new ChefContext(evaluation), body);
    }

    /** Runs chef-client on the build machine against a Chef server (Packer's chef-client). */
    public Object chefClient(@DelegatesTo(ChefClientContext.class) Closure<?> body) {
        return declare(new ChefClientContext(evaluation), body);
    }

    /** Runs goss validate on the build machine with uploaded test files (the goss Packer plugin). */
    public Object goss(@DelegatesTo(GossContext.class) Closure<?> body) {
        return declare(new GossContext(evaluation), body);
    }

    /** Runs puppet agent on the build machine against a Puppet server (Packer's puppet-server). */
    public Object puppetServer(@DelegatesTo(PuppetServerContext.class) Closure<?> body) {
        return declare(new PuppetServerContext(evaluation), body);
    }

    /** (post) Writes the artifacts to a JSON manifest. */
    public Object manifest(@DelegatesTo(ManifestContext.class) Closure<?> body) {
        return declare(new ManifestContext(evaluation), body);
    }

    public Object manifest() {
        return declare(new ManifestContext(evaluation), null);
    }

    /** (post) Rolls the image out to a VM scale set. */
    public Object scaleSet(@DelegatesTo(ScaleSetContext.class) Closure<?> body) {
        return declare(new ScaleSetContext(evaluation), body);
    }

    static boolean isPost(Evaluation.StepDeclaration declaration) {
        return declaration.step().spec().postProcessor();
    }
}
