package dev.imagebake.builder.azure;

import com.azure.core.management.exception.ManagementError;
import com.azure.core.management.exception.ManagementException;

/** Turns the SDK's nested {@link ManagementError} into one readable block: code, message, target, details. */
public final class AzureErrors {
    private AzureErrors() {
    }

    public static String describe(Throwable failure) {
        if (failure instanceof ManagementException e && e.getValue() != null) {
            StringBuilder text = new StringBuilder();
            append(text, e.getValue(), "");
            if (e.getResponse() != null) {
                text.append(" (HTTP ").append(e.getResponse().getStatusCode()).append(")");
            }
            return text.toString();
        }
        String message = failure.getMessage();
        return message == null ? failure.getClass().getSimpleName() : message;
    }

    private static void append(StringBuilder text, ManagementError error, String indent) {
        if (!indent.isEmpty()) {
            text.append("\n").append(indent).append("- ");
        }
        text.append(error.getCode()).append(": ").append(error.getMessage());
        if (error.getTarget() != null) {
            text.append(" [target ").append(error.getTarget()).append("]");
        }
        if (error.getDetails() != null) {
            for (ManagementError detail : error.getDetails()) {
                append(text, detail, indent + "  ");
            }
        }
    }

    /** True for 404s: what a cleanup step treats as "already gone". */
    static boolean notFound(Throwable failure) {
        return failure instanceof ManagementException e && e.getResponse() != null
                && e.getResponse().getStatusCode() == 404;
    }
}
