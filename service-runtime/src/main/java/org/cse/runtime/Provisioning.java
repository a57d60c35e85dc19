package org.cse.runtime;

import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.errors.TopicExistsException;
import org.cse.schemas.Topic;
import org.cse.schemas.registry.RegistryAvroSerde;
import org.cse.schemas.registry.SchemaRegistryClient;

/**
 * What must exist before the services start, done the same way by the local stack and by the
 * deployment's provisioning job: the catalogue's topics, every value schema registered with BACKWARD
 * compatibility (services only look schemas up), Kafka users and their ACLs ({@link AccessControl}).
 */
public final class Provisioning {
    private Provisioning() {
    }

    /** Creates the topics with this replication factor; existing ones are left as they are. */
    public static void createTopics(Admin admin, List<Topic<?, ?>> topics, short replicationFactor) {
        List<NewTopic> newTopics = topics.stream().map(topic -> topic.newTopic(replicationFactor)).toList();
        admin.createTopics(newTopics).values().forEach((name, future) -> {
            try {
                future.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof TopicExistsException)) {
                    throw new IllegalStateException("cannot create topic " + name + ": " + e.getCause(), e);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while creating topic " + name, e);
            } catch (TimeoutException e) {
                throw new IllegalStateException("cannot create topic " + name + ": " + e, e);
            }
        });
    }

    /** Registers every value schema under {@code <topic>-value} and sets the subject to BACKWARD. */
    public static void registerSchemas(SchemaRegistryClient client, List<Topic<?, ?>> topics) {
        for (Topic<?, ?> topic : topics) {
            topic.valueSchema().ifPresent(schema -> {
                String subject = RegistryAvroSerde.subject(topic.name(), false);
                client.register(subject, schema);
                client.setCompatibility(subject, "BACKWARD");
            });
        }
    }

    /** Creates or updates a SCRAM-SHA-512 user. */
    public static void upsertUser(Admin admin, String name, String password) {
        try {
            admin.alterUserScramCredentials(List.of(new UserScramCredentialUpsertion(name,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096), password))).all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create Kafka user " + name + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating Kafka user " + name, e);
        }
    }
}
