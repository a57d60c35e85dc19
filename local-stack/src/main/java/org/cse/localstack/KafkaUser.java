package org.cse.localstack;

import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.common.config.SaslConfigs;
import org.cse.runtime.KafkaSettings;

/**
 * A Kafka principal of the local stack: a SCRAM-SHA-512 user with a password made up at start, never
 * written anywhere but the child processes' environments.
 *
 * @param name the principal's name ({@code User:name} in ACLs)
 * @param password its SCRAM password
 */
public record KafkaUser(String name, String password) {
    private static final SecureRandom RANDOM = new SecureRandom();

    public static KafkaUser random(String name) {
        byte[] secret = new byte[18];
        RANDOM.nextBytes(secret);
        return new KafkaUser(name, HexFormat.of().formatHex(secret));
    }

    /** Client settings that authenticate as this user. */
    public Map<String, Object> clientConfig(String bootstrapServers) {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
        config.put(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG, "SASL_PLAINTEXT");
        config.put(SaslConfigs.SASL_MECHANISM, "SCRAM-SHA-512");
        config.put(SaslConfigs.SASL_JAAS_CONFIG, KafkaSettings.jaas(name, password));
        return config;
    }

    /** The environment a service of this principal is given (see KafkaSettings). */
    public Map<String, String> environment(String bootstrapServers) {
        return Map.of("KAFKA_BOOTSTRAP_SERVERS", bootstrapServers, "KAFKA_USERNAME", name, "KAFKA_PASSWORD", password);
    }

    @Override
    public String toString() {
        return "KafkaUser[" + name + "]";
    }
}
