package dev.imagebake.builder.azure;

import com.azure.core.management.exception.ManagementException;
import dev.imagebake.engine.BuildContext;
import dev.imagebake.engine.BuildStep;
import dev.imagebake.engine.StepFailedException;

import java.io.IOException;

/** Resolves the cloud and credential, and proves them with one cheap read before anything is created. */
final class StepSignIn implements BuildStep {
    private final AzureBuild build;

    StepSignIn(AzureBuild build) {
        this.build = build;
    }

    @Override
    public String name() {
        return "sign in to Azure";
    }

    @Override
    public void run(BuildContext context) throws Exception {
        AzureCloud cloud;
        try {
            cloud = AzureCloud.resolve(build.spec.auth(), build.options.cloudFile(), context.templateFolder(),
                    build.options.environment(), context.secrets()::add);
        } catch (IOException e) {
            throw new StepFailedException(e.getMessage(), e);
        }
        if (cloud.secret() != null) {
            context.secrets().add(cloud.secret());
        }
        build.clients = new AzureClients(cloud, context::stepCancelled);
        context.keptResources(new AzureKept(build, null)); // what --on-error=abort keeps, held for build --resume
        try {
            // Any authenticated read proves the credential and the subscription.
            build.clients.resources().getResourceGroups().checkExistence(build.resourceGroup);
        } catch (ManagementException e) {
            throw new StepFailedException("cannot use subscription " + cloud.subscription() + " on "
                    + cloud.description() + ": " + AzureErrors.failed(null, e), e);
        } catch (RuntimeException e) {
            if (Thread.currentThread().isInterrupted() || context.cancelled()) {
                throw e;
            }
            throw new StepFailedException("cannot sign in to " + cloud.description() + ": "
                    + AzureErrors.describe(e), e);
        }
        context.info("signed in to " + cloud.description() + ", subscription " + cloud.subscription()
                + (cloud.signInMethod() == null ? "" : ", " + cloud.signInMethod()));
    }
}
