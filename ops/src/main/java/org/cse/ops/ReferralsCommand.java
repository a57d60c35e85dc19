package org.cse.ops;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.schemas.Topics;
import org.cse.schemas.registry.RegistryAvroSerde;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code cse-ops referrals --status PARKED --older-than 1h}: referrals stuck in a state. */
@Command(name = "referrals", mixinStandardHelpOptions = true,
        description = {"Referrals by delivery state and age, from cse.referrals.v1: which NCMEC or hotline reports are stuck.",
                "States: BUILT, SUBMITTED, FILES_UPLOADED, FINISHED, FAILED, RETRACTED, PARKED. Default: every open one (not FINISHED or RETRACTED)."})
final class ReferralsCommand extends OpsCommand implements Callable<Integer> {
    @Option(names = "--status", paramLabel = "<state>", description = "Only referrals in this state.")
    String status;
    @Option(names = "--older-than", paramLabel = "<age>", description = "Only referrals whose state is older than this (90s, 15m, 1h, 2d).")
    String olderThan;

    @Override
    public Integer call() {
        ReferralStatus wanted = null;
        if (status != null) {
            try {
                wanted = ReferralStatus.valueOf(status.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new OpsFailure(OpsFailure.Exit.USAGE, "'" + status + "' is not a referral state; one of "
                        + Arrays.toString(ReferralStatus.values()));
            }
        }
        Duration age = olderThan == null ? Duration.ZERO : Times.age(olderThan);
        OpsSettings settings = root().settings();
        Instant now = root().clock().instant();
        ReferralBook book = new ReferralBook();
        var values = new RegistryAvroSerde<>(settings.kafka().registryClient(), ReferralState.class, false).deserializer();
        try (Cluster cluster = new Cluster(settings); KafkaConsumer<byte[], byte[]> consumer = cluster.consumer()) {
            Cluster.read(consumer, List.of(Topics.REFERRALS.name()), null, false, record -> {
                book.accept(RecordText.key(record.key()), record.value() == null ? null : values.deserialize(record.topic(), record.value()));
                return true;
            });
        }
        ReferralStatus only = wanted;
        List<ReferralState> found = book.all().stream()
                .filter(s -> only == null ? ReferralBook.open(s) : s.getStatus() == only)
                .filter(s -> Duration.between(s.getUpdatedAt(), now).compareTo(age) >= 0)
                .sorted(Comparator.comparing(ReferralState::getUpdatedAt)).toList();
        PrintWriter out = out();
        if (output.json) {
            ArrayNode rows = JsonNodeFactory.instance.arrayNode();
            found.forEach(s -> rows.addObject().put("referralId", s.getReferralId()).put("accountId", s.getAccountId())
                    .put("decisionId", s.getDecisionId()).put("target", s.getTarget().name()).put("status", s.getStatus().name())
                    .put("externalReportId", s.getExternalReportId()).put("attempts", s.getAttempts())
                    .put("since", s.getUpdatedAt().toString()).put("ageSeconds", Duration.between(s.getUpdatedAt(), now).toSeconds())
                    .put("knowledgeAt", s.getKnowledgeAt() == null ? null : s.getKnowledgeAt().toString()).put("error", s.getError()));
            out.println(Output.json(rows));
        } else {
            Output.Table table = new Output.Table("REFERRAL", "ACCOUNT", "TARGET", "STATUS", "FOR", "REPORT", "ATTEMPTS", "LEGAL CLOCK", "ERROR");
            found.forEach(s -> table.row(s.getReferralId(), s.getAccountId(), s.getTarget(), s.getStatus(),
                    Times.human(Duration.between(s.getUpdatedAt(), now)), s.getExternalReportId(), s.getAttempts(),
                    s.getKnowledgeAt() == null ? null : Times.human(Duration.between(s.getKnowledgeAt(), now)), s.getError()));
            table.print(out);
            out.println(found.size() + " referral(s)" + (only == null ? " open" : " " + only) + (olderThan == null ? "" : " for more than "
                    + olderThan) + " of " + book.all().size());
        }
        out.flush();
        return OpsFailure.Exit.OK;
    }
}
