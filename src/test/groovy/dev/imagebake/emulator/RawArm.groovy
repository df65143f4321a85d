package dev.imagebake.emulator

import groovy.json.JsonOutput
import groovy.json.JsonSlurper

import java.net.http.HttpClient
import java.net.http.HttpRequest
import java.net.http.HttpResponse

/** Plain HTTPS calls to an emulator, for what the SDK hides: exact statuses, headers and bodies. */
class RawArm {
    final Emulator emulator
    final Map cloud
    final HttpClient http

    RawArm(Emulator emulator) {
        this.emulator = emulator
        cloud = new JsonSlurper().parse(emulator.cloudFile().toFile()) as Map
        http = HttpClient.newBuilder().sslContext(AzureSdkClients.trusting(emulator.caCertificate())).build()
    }

    HttpResponse<String> token(String secret = cloud.clientSecret) {
        def form = "grant_type=client_credentials&client_id=${cloud.clientId}" +
                "&client_secret=${URLEncoder.encode(secret, 'UTF-8')}&scope=https%3A%2F%2Fmanagement.core.windows.net%2F%2F.default"
        http.send(HttpRequest.newBuilder(URI.create("${emulator.endpoint()}/${cloud.tenantId}/oauth2/v2.0/token"))
                .header('Content-Type', 'application/x-www-form-urlencoded')
                .POST(HttpRequest.BodyPublishers.ofString(form)).build(), HttpResponse.BodyHandlers.ofString())
    }

    String accessToken() {
        new JsonSlurper().parseText(token().body()).access_token
    }

    /** {@code path} is relative to the endpoint, or an absolute URL (a Location header). */
    HttpResponse<String> call(String method, String path, Map body = null, String token = accessToken()) {
        def builder = HttpRequest.newBuilder(URI.create(path.startsWith('https://') ? path : emulator.endpoint() + path))
        if (token != null) {
            builder.header('Authorization', "Bearer $token")
        }
        def publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(JsonOutput.toJson(body))
        if (body != null) {
            builder.header('Content-Type', 'application/json')
        }
        http.send(builder.method(method, publisher).build(), HttpResponse.BodyHandlers.ofString())
    }

    String sub() {
        "/subscriptions/${cloud.subscriptionId}"
    }

    static Object json(HttpResponse<String> response) {
        new JsonSlurper().parseText(response.body())
    }
}
