package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

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
    void credentialsTheBrokersAddressAndJvmOptionsAreNeither() {
        Map<String, String> environment = Map.of(
                "KAFKA_PASSWORD", "s3cret",
                "KAFKA_USERNAME", "classifier",
                "KAFKA_SASL_JAAS_CONFIG", "org.apache.kafka.common.security.scram.ScramLoginModule required;",
                "KAFKA_SSL_KEYSTORE_PASSWORD", "changeit",
                "KAFKA_SSL_KEY_PASSWORD", "changeit",
                "KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:9092",
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "KAFKA_OPTS", "-javaagent:x.jar",
                "KAFKA_SASL_OAUTHBEARER_TOKEN_ENDPOINT_URL", "https://idp/token");

        assertThat(Bench.tunables(environment)).isEmpty();
    }
}
