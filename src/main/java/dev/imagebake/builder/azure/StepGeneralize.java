package dev.imagebake.builder.azure;

import com.azure.core.management.exception.ManagementException;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;

/** Deallocates the build VM and marks it generalized: what Azure requires before capturing an image from it. */
final class StepGeneralize implements BuildStep {
    private final AzureBuild build;

    StepGeneralize(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return "deallocate and generalize";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        if (context.hasMachine()) {
            context.machine().close();
        }
        var vms = build.clients.compute().getVirtualMachines();
        Lro.await(context, "deallocating VM " + build.vmName(), build.operationLimit(),
                () -> vms.beginDeallocate(build.resourceGroup, build.vmName()));
        try {
            vms.generalize(build.resourceGroup, build.vmName());
        } catch (ManagementException e) {
            throw new StepFailedException("generalizing VM " + build.vmId + " failed: " + AzureErrors.describe(e), e);
        }
        context.info("VM " + build.vmName() + " deallocated and generalized");
    }
}
