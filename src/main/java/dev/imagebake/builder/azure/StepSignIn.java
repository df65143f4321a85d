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
                    build.options.environment());
        } catch (IOException e) {
            throw new StepFailedException(e.getMessage(), e);
        }
        if (cloud.secret() != null) {
            context.secrets().add(cloud.secret());
        }
        build.clients = new AzureClients(cloud);
        try {
            // Any authenticated read proves the credential and the subscription.
            build.clients.resources().getResourceGroups().checkExistence(build.resourceGroup);
        } catch (ManagementException e) {
            throw new StepFailedException("cannot use subscription " + cloud.subscription() + " on "
                    + cloud.description() + ": checking resource group " + build.resourceGroup + " failed: "
                    + AzureErrors.describe(e), e);
        } catch (RuntimeException e) {
            throw new StepFailedException("cannot sign in to " + cloud.description() + ": " + rootMessage(e), e);
        }
        context.info("signed in to " + cloud.description() + ", subscription " + cloud.subscription());
    }

    static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }
}
