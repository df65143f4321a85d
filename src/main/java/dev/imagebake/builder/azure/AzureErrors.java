package dev.imagebake.builder.azure;

import com.azure.core.exception.ClientAuthenticationException;
import com.azure.core.exception.HttpResponseException;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.management.exception.ManagementError;
import com.azure.core.management.exception.ManagementException;
import dev.imagebake.util.IoErrors;

import java.util.Locale;
import java.util.Map;

/**
 * The one place where a failure of an Azure call becomes words. Every message says which operation on which
 * resource failed (from the request itself when the caller does not say), Azure's error code and message (the SDK's
 * nested {@link ManagementError} flattened into one block), the HTTP status, and whether the request was retried.
 * No Java class name reaches the message.
 */
public final class AzureErrors {
    /** How the resource types imagebake uses read in a sentence; others are shown as ARM names them. */
    private static final Map<String, String> TYPES = Map.ofEntries(
            Map.entry("resourcegroups", "resource group"), Map.entry("virtualmachines", "VM"),
            Map.entry("networksecuritygroups", "network security group"),
            Map.entry("virtualnetworks", "virtual network"), Map.entry("subnets", "subnet"),
            Map.entry("publicipaddresses", "public IP address"),
            Map.entry("networkinterfaces", "network interface"), Map.entry("images", "managed image"),
            Map.entry("galleries", "gallery"), Map.entry("versions", "gallery image version"),
            Map.entry("disks", "disk"), Map.entry("virtualmachinescalesets", "scale set"),
            Map.entry("deployments", "deployment"));

    private AzureErrors() {
    }

    /**
     * {@code creating VM vm1 in resource group rg failed: CODE: message (HTTP 409 conflict; not retried)}. The
     * caller's {@code what} is kept when it names the resource of the failed request; otherwise the operation is
     * read from the request (it names the resource and its group).
     */
    public static String failed(String what, Throwable failure) {
        String operation = operation(failure);
        String name = resourceName(failure);
        if (what != null && (operation == null || name != null && what.contains(name))) {
            operation = what;
        }
        return (operation == null ? "an Azure request" : operation) + " failed: " + describe(failure);
    }

    /**
     * A failed read: worded from the request when it names the resource (its type, name and group), else as
     * {@code reading WHAT failed: ...}.
     */
    public static String failedReading(String what, Throwable failure) {
        return operation(failure) != null ? failed(null, failure) : "reading " + what + " failed: " + describe(failure);
    }

    /** Azure's side of the failure: code, message, target, nested details, HTTP status and retries. */
    public static String describe(Throwable failure) {
        HttpResponseException unreadable = find(failure, HttpResponseException.class);
        if (unreadable != null && UnreadableReply.is(unreadable)) {
            return UnreadableReply.describe(unreadable);
        }
        ManagementException e = find(failure, ManagementException.class);
        if (e != null) {
            int status = e.getResponse() == null ? 0 : e.getResponse().getStatusCode();
            StringBuilder text = new StringBuilder();
            if (e.getValue() != null && e.getValue().getCode() != null) {
                append(text, e.getValue(), "");
            } else {
                String fromBody = Lro.fromBody(body(e.getMessage()));
                boolean head = e.getResponse() != null && e.getResponse().getRequest() != null
                        && e.getResponse().getRequest().getHttpMethod() == com.azure.core.http.HttpMethod.HEAD;
                text.append(fromBody != null ? fromBody : head ? "no error code (a reply to HEAD has no body)"
                        : "Azure gave no error code or message");
            }
            if (status > 0) {
                text.append(" (HTTP ").append(status).append(' ').append(statusWords(status)).append("; ")
                        .append(retryable(status) ? "retried " + AzureClients.MAX_RETRIES + " times"
                                : "not retried, as it would fail the same way").append(')');
            }
            return text.toString();
        }
        ClientAuthenticationException refused = find(failure, ClientAuthenticationException.class);
        if (refused != null) {
            return "the credential was refused: " + clean(refused.getMessage()) + " (not retried)";
        }
        Throwable root = failure;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (find(failure, javax.net.ssl.SSLHandshakeException.class) != null
                || root instanceof java.security.cert.CertificateException
                || root instanceof java.security.GeneralSecurityException) {
            return "the TLS handshake failed: " + IoErrors.reason(root) + " (not retried)";
        }
        if (root instanceof java.io.IOException) {
            return IoErrors.describe(root) + " (retried " + AzureClients.MAX_RETRIES + " times)";
        }
        if (find(failure, InterruptedException.class) != null) {
            return "stopped by Ctrl-C or SIGTERM before Azure answered";
        }
        return IoErrors.describe(failure.getMessage() == null ? root : failure);
    }

    /** {@code creating VM vm1 in resource group rg}, from the request behind the failure; null if there is none. */
    static String operation(Throwable failure) {
        Target target = target(failure);
        return target == null ? null : target.describe();
    }

    private static String resourceName(Throwable failure) {
        Target target = target(failure);
        return target == null ? null : target.name();
    }

    private static Target target(Throwable failure) {
        // A ManagementException (Azure refused) or a reply the SDK could not read; both carry the request.
        HttpResponseException e = find(failure, HttpResponseException.class);
        if (e == null || e.getResponse() == null || e.getResponse().getRequest() == null) {
            return null;
        }
        return Target.of(e.getResponse().getRequest());
    }

    /** What an ARM request acts on: the last resource type and name in its path, its group, a POST's action. */
    private record Target(HttpMethod method, String type, String name, String group, String action) {
        static Target of(HttpRequest request) {
            String[] parts = request.getUrl().getPath().replaceAll("^/+|/+$", "").split("/");
            String group = null;
            String type = null;
            String name = null;
            String action = null;
            for (int i = 0; i < parts.length; i++) {
                String part = parts[i].toLowerCase(Locale.ROOT);
                if (part.equals("providers") && i + 1 < parts.length) {
                    i++; // the namespace, e.g. Microsoft.Compute
                } else if (i + 1 < parts.length) {
                    type = part;
                    name = parts[++i];
                    action = null;
                    if (type.equals("resourcegroups")) {
                        group = name;
                    }
                } else {
                    action = parts[i];
                }
            }
            return new Target(request.getHttpMethod(), type, name, group, action);
        }

        String describe() {
            String what = type == null || type.equals("subscriptions") ? "subscription " + name
                    : TYPES.getOrDefault(type, type) + " " + name;
            String where = group == null || "resourcegroups".equals(type) ? "" : " in resource group " + group;
            String verb = switch (method) {
                case PUT -> "creating or updating ";
                case PATCH -> "updating ";
                case DELETE -> "deleting ";
                case POST -> action == null ? "posting to " : action + " of ";
                default -> action == null ? "reading " : "reading " + action + " of ";
            };
            return verb + what + where;
        }
    }

    private static String body(String message) {
        // The SDK's message for an error it could not read: Status code 500, "{...}"
        int quote = message == null ? -1 : message.indexOf('"');
        return quote < 0 ? null : message.substring(quote + 1, message.lastIndexOf('"') > quote
                ? message.lastIndexOf('"') : message.length());
    }

    private static boolean retryable(int status) {
        return status == 408 || status == 429 || status >= 500 && status != 501 && status != 505;
    }

    private static String statusWords(int status) {
        return switch (status) {
            case 400 -> "bad request";
            case 401 -> "unauthorized";
            case 403 -> "forbidden";
            case 404 -> "not found";
            case 408 -> "request timeout";
            case 409 -> "conflict";
            case 429 -> "too many requests";
            case 500 -> "internal server error";
            case 502 -> "bad gateway";
            case 503 -> "service unavailable";
            case 504 -> "gateway timeout";
            default -> status >= 500 ? "server error" : "client error";
        };
    }

    private static String clean(String message) {
        return message == null ? "no reason given" : IoErrors.stripClassNames(message.lines().findFirst().orElse(""));
    }

    private static <T extends Throwable> T find(Throwable failure, Class<T> type) {
        for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (type.isInstance(t)) {
                return type.cast(t);
            }
        }
        return null;
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

    /** Whether Azure refused the request because the tenant has no such subscription (or the caller cannot see it). */
    static boolean subscriptionNotFound(Throwable failure) {
        ManagementException e = find(failure, ManagementException.class);
        return e != null && e.getValue() != null && "SubscriptionNotFound".equalsIgnoreCase(e.getValue().getCode());
    }

    /** True for 404s: what a cleanup step treats as "already gone". */
    static boolean notFound(Throwable failure) {
        return failure instanceof ManagementException e && e.getResponse() != null
                && e.getResponse().getStatusCode() == 404;
    }
}
