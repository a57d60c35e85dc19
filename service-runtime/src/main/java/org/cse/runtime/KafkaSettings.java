package org.cse.runtime;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.SaslConfigs;
import org.apache.kafka.streams.StreamsConfig;
import org.cse.schemas.registry.SchemaRegistry;
import org.cse.schemas.registry.SchemaRegistryClient;

/**
 * Where Kafka and the schema registry are, who this service is to Kafka, and the client settings
 * every service shares: idempotent acks=all producers, read_committed consumers, exactly-once v2
 * Streams. Any {@code KAFKA_SOME_SETTING} environment variable overrides {@code some.setting} last.
 *
 * <p>Every service connects with its own principal: {@code KAFKA_USERNAME} and {@code KAFKA_PASSWORD}
 * give SASL/SCRAM-SHA-512 credentials (over {@code KAFKA_SECURITY_PROTOCOL}, {@code SASL_SSL} in
 * production; {@code SASL_PLAINTEXT} is the default once a username is set). The password is a
 * secret: it is never logged.
 *
 * @param bootstrapServers {@code KAFKA_BOOTSTRAP_SERVERS}
 * @param schemaRegistryUrl {@code SCHEMA_REGISTRY_URL}: the Confluent-compatible API root
 * @param autoRegisterSchemas {@code SCHEMA_REGISTRY_AUTO_REGISTER} (default false): services only look schemas up;
 *        a deployment step registers them
 * @param overrides client settings from {@code KAFKA_*} variables and the credentials
 */
public record KafkaSettings(String bootstrapServers, String schemaRegistryUrl, boolean autoRegisterSchemas,
                            Map<String, String> overrides) {
    /** Variables read here rather than passed through as client settings. */
    private static final java.util.Set<String> OWN = java.util.Set.of("KAFKA_BOOTSTRAP_SERVERS", "KAFKA_USERNAME", "KAFKA_PASSWORD");

    public static KafkaSettings from(Env env) {
        String bootstrap = env.required("KAFKA_BOOTSTRAP_SERVERS");
        String registry = env.url("SCHEMA_REGISTRY_URL", null).toString();
        boolean autoRegister = env.bool("SCHEMA_REGISTRY_AUTO_REGISTER", false);
        String username = env.string("KAFKA_USERNAME", null);
        String password = env.secret("KAFKA_PASSWORD", null);
        Map<String, String> overrides = new java.util.TreeMap<>();
        if (username != null) {
            if (password == null || password.isEmpty()) {
                throw new ConfigException("environment variable KAFKA_USERNAME is set but KAFKA_PASSWORD is not");
            }
            overrides.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
            overrides.put(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-512");
            overrides.put(SaslConfigs.SASL_JAAS_CONFIG, jaas(username, password));
        }
        env.source().forEach((name, value) -> {
            if (name.startsWith("KAFKA_") && !OWN.contains(name)) {
                overrides.put(name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return new KafkaSettings(bootstrap, registry, autoRegister, Map.copyOf(overrides));
    }

    /** The JAAS line of a SCRAM client, the password quoted so that no character of it can end the line. */
    public static String jaas(String username, String password) {
        return "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"" + quote(username)
                + "\" password=\"" + quote(password) + "\";";
    }

    private static String quote(String text) {
        return text.replace("\\", "\\\\").replace("\"", "\\\"");
    }

    /**
     * The registry as this service may use it: with registration off (the default), asking to register
     * a schema only looks it up, so a service can never add or change a schema; a deployment step
     * registers them first ({@code SCHEMA_REGISTRY_AUTO_REGISTER=true} is for development only).
     */
    public SchemaRegistry registryClient() {
        SchemaRegistryClient client = new SchemaRegistryClient(schemaRegistryUrl);
        return autoRegisterSchemas ? client : SchemaRegistry.readOnly(client);
    }

    /** The client settings alone (bootstrap, security, overrides): for admin clients and tools. */
    public Properties client(String clientId) {
        Properties props = base(clientId);
        props.putAll(overrides);
        return props;
    }

    public Properties producer(String clientId) {
        Properties props = base(clientId);
        props.put(ProducerConfig.ACKS_CONFIG, "all");
        props.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
        props.put(ProducerConfig.LINGER_MS_CONFIG, "5");
        props.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, "120000");
        props.putAll(overrides);
        return props;
    }

    public Properties consumer(String clientId, String groupId) {
        Properties props = base(clientId);
        props.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        // Only decisions that the classifier committed: an aborted exactly-once transaction must not
        // turn into an account action or a referral.
        props.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, "100");
        props.putAll(overrides);
        return props;
    }

    /**
     * Kafka Streams settings: exactly-once v2, explicit names for every internal resource, and dead
     * letters for records that cannot be read or whose processing throws ({@link RecordErrors}), so
     * that processing goes on (no crash loop on one poison record). A registry outage is not the
     * record's fault: it is retried ({@link RetryOnRegistryOutage}, with the client from
     * {@link StreamsClient#create}).
     *
     * @param service the service's name, on its dead letters
     */
    public Properties streams(String service, String applicationId, String stateDir, String deadLetterTopic) {
        return streams(service, applicationId, stateDir, deadLetterTopic, java.time.Duration.ofMillis(100));
    }

    /** As above with the service's own default commit interval ({@code KAFKA_COMMIT_INTERVAL_MS} still replaces it). */
    public Properties streams(String service, String applicationId, String stateDir, String deadLetterTopic,
                              java.time.Duration commitInterval) {
        Properties props = base(applicationId);
        props.put(StreamsConfig.ENSURE_EXPLICIT_INTERNAL_RESOURCE_NAMING_CONFIG, "true");
        props.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, deadLetterTopic);
        props.put(RecordErrors.SERVICE_CONFIG, service);
        props.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, RecordErrors.Deserialization.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, RecordErrors.Processing.class.getName());
        props.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, "true");
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
        props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        props.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, "-1");
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.toString(commitInterval.toMillis()));
        props.put(StreamsConfig.producerPrefix(ProducerConfig.ACKS_CONFIG), "all");
        props.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        props.putAll(overrides);
        return props;
    }

    private Properties base(String clientId) {
        Properties props = new Properties();
        props.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        props.put(CommonClientConfigs.CLIENT_ID_CONFIG, clientId);
        return props;
    }
}
