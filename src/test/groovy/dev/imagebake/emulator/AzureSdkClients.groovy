package dev.imagebake.emulator

import com.azure.core.credential.TokenCredential
import com.azure.core.http.HttpClient
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder
import com.azure.core.management.AzureEnvironment
import com.azure.core.management.profile.AzureProfile
import com.azure.identity.ClientSecretCredentialBuilder
import com.azure.resourcemanager.compute.ComputeManager
import com.azure.resourcemanager.network.NetworkManager
import com.azure.resourcemanager.resources.ResourceManager
import groovy.json.JsonSlurper

import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory
import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyStore
import java.security.cert.CertificateFactory

/** The real Azure SDK pointed at an emulator, configured only from its cloud.json, as a user would. */
class AzureSdkClients {
    final Map cloud
    final SSLContext tls
    final HttpClient httpClient

    AzureSdkClients(Path cloudFile) {
        cloud = new JsonSlurper().parse(cloudFile.toFile()) as Map
        tls = trusting(Path.of(cloud.caCertificate as String))
        httpClient = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(tls)).build()
    }

    static SSLContext trusting(Path caPem) {
        def ca = Files.newInputStream(caPem).withCloseable { CertificateFactory.getInstance('X.509').generateCertificate(it) }
        KeyStore store = KeyStore.getInstance('PKCS12')
        store.load(null, null)
        store.setCertificateEntry('imagebake-emulator', ca)
        def trust = TrustManagerFactory.getInstance(TrustManagerFactory.defaultAlgorithm)
        trust.init(store)
        SSLContext context = SSLContext.getInstance('TLS')
        context.init(null, trust.trustManagers, null)
        context
    }

    AzureEnvironment environment() {
        // A copy of AZURE's endpoints: an empty map would break the SDK's token-scope detection.
        Map<String, String> endpoints = new HashMap<>(AzureEnvironment.AZURE.endpoints)
        endpoints.resourceManagerEndpointUrl = cloud.resourceManagerEndpoint as String
        endpoints.activeDirectoryEndpointUrl = cloud.activeDirectoryEndpoint as String
        new AzureEnvironment(endpoints)
    }

    TokenCredential credential(String secret = cloud.clientSecret) {
        new ClientSecretCredentialBuilder()
                .authorityHost(cloud.activeDirectoryEndpoint as String)
                .disableInstanceDiscovery()
                .tenantId(cloud.tenantId as String)
                .clientId(cloud.clientId as String)
                .clientSecret(secret)
                .httpClient(httpClient)
                .build()
    }

    ResourceManager resourceManager(TokenCredential credential = credential()) {
        ResourceManager.configure()
                .withHttpClient(httpClient)
                .authenticate(credential, new AzureProfile(cloud.tenantId as String, cloud.subscriptionId as String,
                        environment()))
                .withSubscription(cloud.subscriptionId as String)
    }

    NetworkManager networkManager(TokenCredential credential = credential()) {
        NetworkManager.configure()
                .withHttpClient(httpClient)
                .authenticate(credential, new AzureProfile(cloud.tenantId as String, cloud.subscriptionId as String,
                        environment()))
    }

    ComputeManager computeManager(TokenCredential credential = credential()) {
        ComputeManager.configure()
                .withHttpClient(httpClient)
                .authenticate(credential, new AzureProfile(cloud.tenantId as String, cloud.subscriptionId as String,
                        environment()))
    }
}
