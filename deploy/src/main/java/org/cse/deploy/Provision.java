package org.cse.deploy;

import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.clients.admin.Admin;
import org.cse.intake.PublisherRegistry;
import org.cse.runtime.AccessControl;
import org.cse.runtime.ConfigException;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;
import org.cse.runtime.Provisioning;
import org.cse.schemas.Topic;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.SchemaRegistryClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The deployment's provisioning step (a Kubernetes Job, see deploy/k8s/provision.yaml), run before the
 * services and again whenever the ACL file or the publisher registry changes. Idempotent:
 *
 * <ol>
 *   <li>the catalogue's topics, and each registered publisher's raw topic;</li>
 *   <li>every value schema registered with BACKWARD compatibility (the services may only read);</li>
 *   <li>SCRAM users for the principals whose password is given as {@code SCRAM_PASSWORD_<PRINCIPAL>}
 *       (from the deployment's secrets);</li>
 *   <li>the ACLs of {@code CSE_ACL_FILE} and, for each publisher, write access to its own raw topic.</li>
 * </ol>
 *
 * Runs as the cluster's admin principal ({@code KAFKA_USERNAME}/{@code KAFKA_PASSWORD}); the schema
 * registry's write API must accept this job's identity and no other.
 */
public final class Provision {
    private static final Logger LOG = LoggerFactory.getLogger(Provision.class);

    private Provision() {
    }

    public static void main(String[] args) {
        Env env = Env.system();
        try {
            run(env);
        } catch (ConfigException e) {
            LOG.error("provisioning cannot start: {}", e.getMessage());
            System.exit(2);
        }
    }

    static void run(Env env) {
        KafkaSettings kafka = KafkaSettings.from(env);
        AccessControl acls = AccessControl.load(Path.of(env.string("CSE_ACL_FILE", "deploy/kafka/acls.yaml")));
        PublisherRegistry publishers = PublisherRegistry.load(Path.of(env.required("INTAKE_PUBLISHERS_FILE")), Clock.systemUTC());
        short replication = (short) env.integer("CSE_REPLICATION_FACTOR", 3, 1, 7);
        LOG.info("provisioning with {}", env.effective());

        List<Topic<?, ?>> topics = new ArrayList<>(Topics.ALL);
        publishers.publishers().keySet().forEach(publisher -> topics.add(Topics.rawReports(publisher)));
        try (Admin admin = Admin.create(kafka.client("cse-provision"))) {
            Provisioning.createTopics(admin, topics, replication);
            LOG.info("{} topics in place", topics.size());
            Provisioning.registerSchemas(new SchemaRegistryClient(kafka.schemaRegistryUrl()), topics);
            LOG.info("schemas registered with BACKWARD compatibility");
            List<String> principals = new ArrayList<>(acls.grants().keySet());
            principals.addAll(publishers.publishers().keySet());
            for (String principal : principals) {
                String variable = "SCRAM_PASSWORD_" + principal.toUpperCase(Locale.ROOT).replace('-', '_');
                String password = env.secret(variable, null);
                if (password != null && !password.isEmpty()) {
                    Provisioning.upsertUser(admin, principal, password);
                    LOG.info("Kafka user {} in place", principal);
                }
            }
            var bindings = new ArrayList<>(acls.bindings());
            publishers.publishers().keySet().forEach(publisher -> bindings.addAll(AccessControl.publisherBindings(publisher)));
            AccessControl.apply(admin, bindings);
            LOG.info("{} ACL bindings in place", bindings.size());
        }
    }
}
