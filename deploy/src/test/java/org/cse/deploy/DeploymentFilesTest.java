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

        assertThat(acls.grants()).containsKeys("intake", "classifier", "enforcement", "escalation", "review-tool", "platform", "ops");
        assertThat(acls.grants().values()).filteredOn(grant -> grant.write().contains(Topics.DECISIONS.name()))
                .extracting(AccessControl.Grant::principal).containsExactly("classifier");
        assertThat(acls.grants().values()).filteredOn(grant -> grant.write().contains(Topics.REPORTS.name()))
                .extracting(AccessControl.Grant::principal).containsExactly("intake");
        assertThat(acls.grants().get("ops").write()).isEmpty();
    }

    @Test
    void theExamplePublisherRegistryParsesAndOnlyTheHashMatcherIsVerified() {
        PublisherRegistry registry = PublisherRegistry.load(Path.of("kafka", "publishers.example.yaml"), Clock.systemUTC());

        assertThat(registry.publishers().values()).filteredOn(p -> !p.verifiedMatchLists().isEmpty())
                .extracting(PublisherRegistry.Publisher::id).containsExactly("hash-matcher");
    }
}
