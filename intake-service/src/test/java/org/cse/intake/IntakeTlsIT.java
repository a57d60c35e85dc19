package org.cse.intake;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.runtime.Env;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A publisher that prefers mTLS: the API over TLS, the publisher known by its client certificate's
 * subject. Certificates are made with the JDK's keytool for the test.
 */
@ExtendWith(LocalStackExtension.class)
class IntakeTlsIT {
    private static final String PASSWORD = "test-store-password";

    @Test
    void aPublisherIsAuthenticatedByItsClientCertificateAndAStrangerIsNot(LocalStack stack, @TempDir Path dir) throws Exception {
        keytool(dir, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-dname", "CN=localhost", "-ext", "SAN=ip:127.0.0.1",
                "-validity", "2", "-keystore", "server.p12");
        keytool(dir, "-exportcert", "-alias", "server", "-keystore", "server.p12", "-file", "server.crt");
        keytool(dir, "-genkeypair", "-alias", "publisher", "-keyalg", "EC", "-dname", "CN=tls-matcher,O=Platform", "-validity", "2",
                "-keystore", "publisher.p12");
        keytool(dir, "-exportcert", "-alias", "publisher", "-keystore", "publisher.p12", "-file", "publisher.crt");
        keytool(dir, "-genkeypair", "-alias", "stranger", "-keyalg", "EC", "-dname", "CN=stranger", "-validity", "2",
                "-keystore", "stranger.p12");
        keytool(dir, "-importcert", "-noprompt", "-alias", "publisher", "-file", "publisher.crt", "-keystore", "server-trust.p12");
        keytool(dir, "-exportcert", "-alias", "stranger", "-keystore", "stranger.p12", "-file", "stranger.crt");
        keytool(dir, "-importcert", "-noprompt", "-alias", "stranger", "-file", "stranger.crt", "-keystore", "server-trust.p12");
        keytool(dir, "-importcert", "-noprompt", "-alias", "server", "-file", "server.crt", "-keystore", "client-trust.p12");

        LocalCredentials credentials = LocalCredentials.create(dir);
        credentials.writePublishers(Map.of(), """
                  tls-matcher:
                    clientCertificate: "CN=tls-matcher,O=Platform"
                    reporterKinds: [NO_ACCOUNT]
                """);
        IntakeService intake = new IntakeService(IntakeConfig.from(new Env(stack.environment("intake",
                "INTAKE_PUBLISHERS_FILE", credentials.publishersFile().toString(),
                "INTAKE_HTTP_HOST", "127.0.0.1", "INTAKE_HTTP_PORT", "0",
                "INTAKE_MANAGEMENT_HOST", "127.0.0.1", "INTAKE_MANAGEMENT_PORT", "0",
                "INTAKE_TLS_KEYSTORE", dir.resolve("server.p12").toString(), "INTAKE_TLS_KEYSTORE_PASSWORD", PASSWORD,
                "INTAKE_TLS_TRUSTSTORE", dir.resolve("server-trust.p12").toString(), "INTAKE_TLS_TRUSTSTORE_PASSWORD", PASSWORD,
                "INTAKE_STATE_DIR", dir.resolve("state").toString(),
                "INTAKE_APPLICATION_ID", "cse-intake-tls-" + UUID.randomUUID()))));
        try {
            intake.start();
            await().atMost(Duration.ofSeconds(60)).until(intake::isReady);
            URI reports = URI.create("https://127.0.0.1:" + intake.httpPort() + "/v1/reports");
            String body = IntakeServiceIT.report("acct-tls-" + UUID.randomUUID(), "ENTICEMENT");

            HttpResponse<String> publisher = post(client(dir, "publisher.p12"), reports, body, null);
            HttpResponse<String> stranger = post(client(dir, "stranger.p12"), reports, body, null);
            HttpResponse<String> tokenOverTls = post(client(dir, null), reports, body, credentials.token("user-reports"));

            assertThat(publisher.statusCode()).as(publisher.body()).isEqualTo(202);
            assertThat(stranger.statusCode()).as("a trusted certificate of no registered publisher").isEqualTo(401);
            assertThat(tokenOverTls.statusCode()).as("a token still works beside certificates").isEqualTo(202);
        } finally {
            intake.close();
        }
    }

    private static HttpResponse<String> post(HttpClient client, URI uri, String body, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static HttpClient client(Path dir, String keyStore) throws Exception {
        TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        trust.init(load(dir.resolve("client-trust.p12")));
        KeyManagerFactory keys = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        keys.init(keyStore == null ? null : load(dir.resolve(keyStore)), PASSWORD.toCharArray());
        SSLContext ssl = SSLContext.getInstance("TLS");
        ssl.init(keyStore == null ? null : keys.getKeyManagers(), trust.getTrustManagers(), null);
        return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static KeyStore load(Path file) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            store.load(in, PASSWORD.toCharArray());
        }
        return store;
    }

    private static void keytool(Path dir, String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
        command.addAll(List.of(args));
        command.addAll(List.of("-storepass", PASSWORD, "-storetype", "PKCS12"));
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor()).as(String.join(" ", args) + ": " + output).isZero();
    }
}
