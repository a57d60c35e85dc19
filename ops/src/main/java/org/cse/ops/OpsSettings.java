package org.cse.ops;

import java.net.URI;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;

/**
 * Where cse-ops finds the pipeline, from the environment (never from the command line, where a secret
 * would land in the shell history): the services' Kafka variables, the operator's token and the
 * services' API addresses.
 *
 * @param kafka {@code KAFKA_BOOTSTRAP_SERVERS}, {@code SCHEMA_REGISTRY_URL}, {@code KAFKA_USERNAME}, {@code KAFKA_PASSWORD}
 * @param operatorToken {@code CSE_OPS_TOKEN}: the operator's bearer token for the services' lookups
 * @param operator {@code CSE_OPS_OPERATOR} (default {@code USER}): the name written into audit lines and replay records
 * @param classifier {@code CSE_CLASSIFIER_URL}, the classifier's API root
 * @param enforcement {@code CSE_ENFORCEMENT_URL}
 * @param escalation {@code CSE_ESCALATION_URL}
 */
record OpsSettings(KafkaSettings kafka, String operatorToken, String operator, URI classifier, URI enforcement, URI escalation) {
    static final String HELP = """
            Environment:
              KAFKA_BOOTSTRAP_SERVERS   the brokers
              KAFKA_USERNAME, KAFKA_PASSWORD   a SCRAM user: 'ops' reads; 'ops-replay' is needed for dlq replay
              KAFKA_SECURITY_PROTOCOL   SASL_SSL in production (SASL_PLAINTEXT when a username is set)
              SCHEMA_REGISTRY_URL       a Confluent-compatible registry API root
              CSE_OPS_TOKEN             the operator's bearer token (account, replay-parked, console search)
              CSE_OPS_OPERATOR          the name written to audit lines and replay records (default: $USER)
              CSE_CLASSIFIER_URL, CSE_ENFORCEMENT_URL, CSE_ESCALATION_URL   the services' API roots""";

    static OpsSettings from(Env env) {
        return new OpsSettings(KafkaSettings.from(env), env.secret("CSE_OPS_TOKEN", null),
                env.string("CSE_OPS_OPERATOR", env.string("USER", "unknown")),
                uri(env, "CSE_CLASSIFIER_URL"), uri(env, "CSE_ENFORCEMENT_URL"), uri(env, "CSE_ESCALATION_URL"));
    }

    private static URI uri(Env env, String name) {
        String value = env.string(name, null);
        return value == null || value.isBlank() ? null : env.url(name, null);
    }

    /** Client settings for one tool of this run: short timeouts, so that an unreachable broker is told in seconds. */
    Properties client(String clientId) {
        Properties props = kafka.client(clientId);
        props.putIfAbsent(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, "10000");
        props.putIfAbsent(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, "15000");
        props.putIfAbsent(CommonClientConfigs.RECONNECT_BACKOFF_MAX_MS_CONFIG, "2000");
        return props;
    }

    Map<String, URI> services() {
        Map<String, URI> services = new java.util.LinkedHashMap<>();
        services.put("classifier", classifier);
        services.put("enforcement", enforcement);
        services.put("escalation", escalation);
        return services;
    }
}
