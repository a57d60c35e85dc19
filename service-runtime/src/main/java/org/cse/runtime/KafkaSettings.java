package org.cse.runtime;

import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;
import org.cse.schemas.registry.SchemaRegistryClient;

/**
 * Where Kafka and the schema registry are, and the client settings every service shares:
 * idempotent acks=all producers, read_committed consumers, exactly-once v2 Streams.
 * Any {@code KAFKA_SOME_SETTING} environment variable overrides {@code some.setting} last.
 *
 * @param bootstrapServers {@code KAFKA_BOOTSTRAP_SERVERS}
 * @param schemaRegistryUrl {@code SCHEMA_REGISTRY_URL}: the Confluent-compatible API root
 * @param overrides client settings from {@code KAFKA_*} variables
 */
public record KafkaSettings(String bootstrapServers, String schemaRegistryUrl, Map<String, String> overrides) {

    public static KafkaSettings from(Env env) {
        String bootstrap = env.required("KAFKA_BOOTSTRAP_SERVERS");
        String registry = env.url("SCHEMA_REGISTRY_URL", null).toString();
        Map<String, String> overrides = new java.util.TreeMap<>();
        env.source().forEach((name, value) -> {
            if (name.startsWith("KAFKA_") && !name.equals("KAFKA_BOOTSTRAP_SERVERS")) {
                overrides.put(name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.'), value);
            }
        });
        return new KafkaSettings(bootstrap, registry, Map.copyOf(overrides));
    }

    public SchemaRegistryClient registryClient() {
        return new SchemaRegistryClient(schemaRegistryUrl);
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
        props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, "100");
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
