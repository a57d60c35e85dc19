package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import org.cse.intake.PublisherRegistry;
import org.cse.runtime.AccessControl;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.Test;

/** The files the deployment applies are the ones the code reads, and they parse. */
class DeploymentFilesTest {
    @Test
    void theAclFileGrantsEveryServiceAndOnlyTheClassifierWritesDecisions() {
        AccessControl acls = AccessControl.load(Path.of("kafka", "acls.yaml"));

        assertThat(acls.grants()).containsKeys("intake", "classifier", "enforcement", "escalation", "review-tool", "platform", "ops",
                "ops-replay");
        // besides the service that makes them, only the break-glass replay user (held by on-call, run by no service)
        assertThat(acls.grants().values()).filteredOn(grant -> grant.write().contains(Topics.DECISIONS.name()))
                .extracting(AccessControl.Grant::principal).containsExactlyInAnyOrder("classifier", "ops-replay");
        assertThat(acls.grants().values()).filteredOn(grant -> grant.write().contains(Topics.REPORTS.name()))
                .extracting(AccessControl.Grant::principal).containsExactlyInAnyOrder("intake", "ops-replay");
        assertThat(acls.grants().get("ops").write()).isEmpty();
        AccessControl.Grant replay = acls.grants().get("ops-replay");
        assertThat(replay.groups()).isEmpty();
        assertThat(replay.streamsApplication()).isNull();
        assertThat(replay.transactionalIds()).containsExactly("cse-ops-replay");
        assertThat(replay.read()).allMatch(topic -> topic.endsWith(".dlq") || topic.endsWith(".dlq.v1") || topic.equals(Topics.DLQ_REPLAYS.name()));
    }

    @Test
    void theExamplePublisherRegistryParsesAndOnlyTheHashMatcherIsVerified() {
        PublisherRegistry registry = PublisherRegistry.load(Path.of("kafka", "publishers.example.yaml"), Clock.systemUTC());

        assertThat(registry.publishers().values()).filteredOn(p -> !p.verifiedMatchLists().isEmpty())
                .extracting(PublisherRegistry.Publisher::id).containsExactly("hash-matcher");
    }
}
