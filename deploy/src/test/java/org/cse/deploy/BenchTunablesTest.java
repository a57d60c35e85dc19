package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** What the bench passes on to the services and records in its JSON, from its own environment. */
class BenchTunablesTest {

    @Test
    void everyKafkaSettingAndServiceTunableIsPassedOnAndRecorded() {
        Map<String, String> environment = Map.of(
                "KAFKA_NUM_STREAM_THREADS", "2",
                "KAFKA_COMMIT_INTERVAL_MS", "50",
                "KAFKA_PRODUCER_LINGER_MS", "5",
                "CLASSIFIER_MAX_IN_FLIGHT", "64",
                "ESCALATION_BACKOFF_MAX", "PT1S",
                "PATH", "/usr/bin",
                "BENCH_REPORTS", "1000");

        assertThat(Bench.tunables(environment)).containsExactlyInAnyOrderEntriesOf(Map.of(
                "KAFKA_NUM_STREAM_THREADS", "2",
                "KAFKA_COMMIT_INTERVAL_MS", "50",
                "KAFKA_PRODUCER_LINGER_MS", "5",
                "CLASSIFIER_MAX_IN_FLIGHT", "64",
                "ESCALATION_BACKOFF_MAX", "PT1S"));
    }

    @Test
    void credentialsTheWiringAndJvmOptionsAreNeither() {
        Map<String, String> environment = Map.of(
                "KAFKA_PASSWORD", "s3cret",
                "KAFKA_USERNAME", "classifier",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "KAFKA_SSL_KEYSTORE_PASSWORD", "changeit",
                "KAFKA_SSL_KEY_PASSWORD", "changeit",
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "KAFKA_OPTS", "-javaagent:x.jar",
                "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL", "https://idp/token",
                "KAFKA_BASIC_AUTH_USER_INFO", "user:pass");
        Map<String, String> wiring = Map.of(
                "KAFKA_SECURITY_PROTOCOL", "PLAINTEXT",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_SSL_TRUSTSTORE_LOCATION", "/etc/trust.p12",
                "KAFKA_APPLICATION_ID", "one-for-all",
                "KAFKA_GROUP_ID", "one-group",
                "KAFKA_CLIENT_ID", "one-client",
                "KAFKA_STATE_DIR", "/var/state",
                "KAFKA_TRANSACTIONAL_ID", "tx");

        assertThat(Bench.tunables(environment)).isEmpty();
        assertThat(Bench.tunables(wiring)).isEmpty();
    }

    @Test
    void theJvmOptionsRecordedAreTheCollectorsAndSizesNeverAPropertyOrAnAgent() {
        List<String> arguments = List.of("-XX:MaxGCPauseMillis=20", "-Xmx2g", "-Xms512m", "-Dmaven.home=/opt/maven",
                "-Dkafka.password=s3cret", "-javaagent:/opt/agent.jar", "-XX:+UseG1GC", "--enable-native-access=ALL-UNNAMED",
                "-Xss1m", "-Xmn256m", "-Xrunjdwp:transport=dt_socket,address=5005", "-agentlib:jdwp=transport=dt_socket",
                "-agentpath:/opt/profiler.so", "-Xbootclasspath/a:/opt/boot.jar", "-Xlog:gc:file=/tmp/gc.log");

        assertThat(Bench.jvmOptions(arguments)).containsExactly("-XX:MaxGCPauseMillis=20", "-Xmx2g", "-Xms512m", "-XX:+UseG1GC",
                "-Xss1m", "-Xmn256m");
    }

    @Test
    void everyResultRecordsItsOwnJvmsOptionsAndFormatLocale() {
        assertThat(Bench.machine().get("jvm_options")).isEqualTo(Bench.jvmOptions(
                java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()));
        assertThat(Bench.machine().get("format_locale"))
                .isEqualTo(java.util.Locale.getDefault(java.util.Locale.Category.FORMAT).toLanguageTag());
    }
}
