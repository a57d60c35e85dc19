package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.cse.localstack.KafkaUser;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.runtime.Env;
import org.cse.runtime.auth.BearerToken;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The production provisioning step, run against the local broker as its admin: idempotent, and it gives a new publisher its topic, user and ACL. */
@ExtendWith(LocalStackExtension.class)
class ProvisionIT {
    @Test
    void provisioningGivesANewPublisherItsOwnTopicUserAndAclAndNothingMore(LocalStack stack, @TempDir Path temp) throws Exception {
        Path publishers = temp.resolve("publishers.yaml");
        Files.writeString(publishers, """
                publishers:
                  provisioned-pub:
                    tokens: [{sha256: %s}]
                    reporterKinds: [SIGNED_IN_USER]
                """.formatted(BearerToken.hexDigest("unused")));
        Map<String, String> env = new HashMap<>(Map.of(
                "KAFKA_BOOTSTRAP_SERVERS", stack.bootstrapServers(),
                "KAFKA_USERNAME", "admin",
                "KAFKA_PASSWORD", stack.broker().adminPassword(),
                "SCHEMA_REGISTRY_URL", stack.schemaRegistryUrl(),
                "CSE_ACL_FILE", Path.of("kafka", "acls.yaml").toString(),
                "CSE_REPLICATION_FACTOR", "1",
                "INTAKE_PUBLISHERS_FILE", publishers.toString(),
                "SCRAM_PASSWORD_PROVISIONED_PUB", "provisioned-secret"));

        Provision.run(new Env(env));
        Provision.run(new Env(env));

        KafkaUser user = new KafkaUser("provisioned-pub", "provisioned-secret");
        Map<String, Object> client = new HashMap<>(user.clientConfig(stack.bootstrapServers()));
        client.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(client, new ByteArraySerializer(), new ByteArraySerializer())) {
            assertThat(producer.send(new ProducerRecord<>(Topics.rawReports("provisioned-pub").name(), new byte[] {1}))
                    .get(15, TimeUnit.SECONDS).offset()).isNotNegative();
            assertThatThrownBy(() -> producer.send(new ProducerRecord<>(Topics.REPORTS.name(), new byte[] {1})).get(15, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(TopicAuthorizationException.class);
        }
    }
}
