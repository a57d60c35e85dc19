package org.cse.escalation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.cse.events.Category;
import org.cse.events.ConfirmationSource;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.PreservationRecord;
import org.cse.events.Referral;
import org.cse.events.ReferralState;
import org.cse.events.ReferralStatus;
import org.cse.events.ReferralTarget;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.localstack.TempDirs;
import org.cse.localstack.TopicReader;
import org.cse.localstack.sandbox.Behaviour;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.cse.localstack.sandbox.EvidenceStoreSandbox;
import org.cse.runtime.Env;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The escalation service alone on the real broker, against the CyberTipline and evidence-store
 * sandboxes: reports opened, files fetched, uploaded and described, finished once, held and recorded
 * for preservation, across faults and a replaced instance; and a takeover from the previous release's
 * group that sends nothing it already sent.
 */
@ExtendWith(LocalStackExtension.class)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EscalationIT {
    private static final String USER = "escalation-it";
    private static final String PASSWORD = "escalation-it-password";
    private static final String EVIDENCE_TOKEN = "evidence-it-token";
    private static final int FILE_BYTES = 4096;
    private LocalStack stack;
    private CyberTiplineSandbox ncmec;
    private EvidenceStoreSandbox evidence;
    private KafkaProducer<String, Decision> producer;
    private LocalCredentials credentials;
    /** The credential files and every service's state folder: deleted after the class's tests. */
    private java.nio.file.Path temp;

    @BeforeAll
    void start(LocalStack stack) throws Exception {
        this.stack = stack;
        this.ncmec = new CyberTiplineSandbox(USER, PASSWORD);
        this.evidence = new EvidenceStoreSandbox(EVIDENCE_TOKEN, FILE_BYTES);
        this.producer = stack.producer(Topics.DECISIONS);
        this.temp = Files.createTempDirectory("escalation-it");
        this.credentials = LocalCredentials.create(temp);
    }

    @BeforeEach
    void prompt() {
        ncmec.behave(Behaviour.PROMPT);
        evidence.behave(Behaviour.PROMPT);
    }

    @AfterAll
    void stop() {
        producer.close();
        ncmec.close();
        evidence.close();
        TempDirs.delete(temp); // each test closes the services it starts
    }

    @Test
    void eachReportIsFinishedOnceWithItsFilesAHoldAndAPreservationRecordAcrossFaultsAndAReplacedInstance() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String group = "cse-escalation-files-" + run;
        Behaviour faulty = Behaviour.latency(Duration.ofMillis(20), Duration.ofMillis(20)).withFaults(0.2, 0.05, 0.05);
        ncmec.behave(faulty);
        evidence.behave(faulty);
        List<String> accounts = new ArrayList<>();
        Map<String, Decision> decisions = new HashMap<>();
        for (int i = 0; i < 100; i++) {
            String account = "files-" + run + "-" + i;
            accounts.add(account);
            Decision decision = decision(account, "dec-" + account, i % 2 == 0 ? ContentKind.POST : ContentKind.MESSAGE);
            decisions.put(account, decision);
            producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, decision));
        }
        producer.flush();
        Function<CyberTiplineSandbox.StoredReport, String> accountOf = EscalationIT::espIdentifier;

        EscalationService first = startService(group);
        await().atMost(Duration.ofSeconds(90)).until(() -> finished(run).size() >= 20);
        // a second instance joins while the first works, then the first goes: referrals and their state move
        try (EscalationService second = startService(group)) {
            first.close();
            await().atMost(Duration.ofSeconds(180)).until(() -> finished(run).size() == accounts.size());
            await().atMost(Duration.ofSeconds(60)).until(() -> holds(run).size() == accounts.size());
            // read while the service runs: the last hold's result becomes its preservation record after the call
            preservationRecordsAndStates(run, accounts);
        }
        Map<String, List<CyberTiplineSandbox.StoredReport>> finishedByAccount = finished(run).stream()
                .collect(Collectors.groupingBy(accountOf));
        assertThat(finishedByAccount.keySet()).containsExactlyInAnyOrderElementsOf(accounts);
        assertThat(finishedByAccount).allSatisfy((account, reports) -> assertThat(reports).as(account).hasSize(1));
        int duplicates = 0;
        for (String account : accounts) {
            CyberTiplineSandbox.StoredReport report = finishedByAccount.get(account).get(0);
            Decision decision = decisions.get(account);
            String contentId = decision.getContent().get(0).getContentId();
            // the file, as the evidence store holds it, attached and described. /upload has no idempotency key: an
            // upload whose answer was lost, or done by an instance that went before its result was recorded, is
            // uploaded again; such duplicates are the same file, counted, never a reason to finish twice.
            String md5 = EvidenceStoreSandbox.md5(EvidenceStoreSandbox.file(contentId, FILE_BYTES));
            assertThat(report.files()).as(account + ": only its file").isNotEmpty()
                    .allSatisfy(stored -> assertThat(stored.md5()).isEqualTo(md5));
            List<CyberTiplineSandbox.StoredFile> described = report.files().stream().filter(f -> f.fileDetails() != null).toList();
            assertThat(described).as(account + ": its file described").isNotEmpty();
            CyberTiplineSandbox.StoredFile file = described.get(0);
            assertThat(file.fileName()).isEqualTo("image-" + account + ".jpg");
            boolean publicPost = decision.getContent().get(0).getKind() == ContentKind.POST;
            assertThat(file.fileDetails()).contains("<fileViewedByEsp>true</fileViewedByEsp>")
                    .contains("<publiclyAvailable>" + publicPost + "</publiclyAvailable>")
                    .contains("<originalFileHash hashType=\"MD5\">" + md5Of(account) + "</originalFileHash>")
                    .contains("<reportId>" + report.id() + "</reportId>");
            duplicates += report.files().size() - 1;
        }
        System.out.printf("escalation IT: %d reports finished once each; %d duplicate upload(s) after lost answers; "
                        + "%d report(s) opened but never finished after lost /submit answers; injected faults: ncmec %s, evidence %s%n",
                accounts.size(), duplicates, ncmec.reports().stream().filter(r -> accountOf.apply(r).startsWith("files-" + run)
                        && r.status() == CyberTiplineSandbox.Status.OPEN).count(), ncmec.injectedFaults(), evidence.injectedFaults());
        assertThat(ncmec.injectedFaults().values().stream().mapToLong(Long::longValue).sum()).as("faults were injected").isPositive();

        // one hold per finished report, for its content, until a year after it was finished
        Map<String, EvidenceStoreSandbox.Hold> holdByReport = holds(run).stream()
                .collect(Collectors.toMap(EvidenceStoreSandbox.Hold::reportId, hold -> hold));
        for (List<CyberTiplineSandbox.StoredReport> reports : finishedByAccount.values()) {
            CyberTiplineSandbox.StoredReport report = reports.get(0);
            EvidenceStoreSandbox.Hold hold = holdByReport.get(Long.toString(report.id()));
            assertThat(hold).as("hold of report " + report.id()).isNotNull();
            assertThat(hold.contentIds()).containsExactlyInAnyOrder("media-" + espIdentifier(report), "post-" + espIdentifier(report));
            assertThat(hold.until()).isAfter(report.finishedAt().plus(Duration.ofDays(364)));
        }
    }

    /** Exactly one preservation record and one FINISHED state per referral (exactly-once output). */
    private void preservationRecordsAndStates(String run, List<String> accounts) {
        try (TopicReader<String, PreservationRecord> preservation = stack.reader(Topics.PRESERVATION)) {
            preservation.awaitMatching(r -> r.key().startsWith("files-" + run), accounts.size(), Duration.ofSeconds(60));
            List<ConsumerRecord<String, PreservationRecord>> all = preservation.settle(r -> r.key().startsWith("files-" + run),
                    Duration.ofSeconds(3));
            assertThat(all).extracting(ConsumerRecord::key).containsExactlyInAnyOrderElementsOf(accounts);
            assertThat(all).allSatisfy(r -> assertThat(r.value().getPreserveUntil())
                    .isAfter(r.value().getFinishedAt().plus(Duration.ofDays(364))));
        }
        try (TopicReader<String, ReferralState> states = stack.reader(Topics.REFERRALS)) {
            // keyed by referral id, compacted: the operators' view of each referral
            states.awaitMatching(r -> r.value().getAccountId().startsWith("files-" + run) && r.value().getStatus() == ReferralStatus.FINISHED,
                    accounts.size(), Duration.ofSeconds(60));
            List<ConsumerRecord<String, ReferralState>> finishedStates = states.settle(r -> r.value().getAccountId()
                    .startsWith("files-" + run) && r.value().getStatus() == ReferralStatus.FINISHED, Duration.ofSeconds(3));
            assertThat(finishedStates).extracting(r -> r.value().getAccountId()).containsExactlyInAnyOrderElementsOf(accounts);
            assertThat(finishedStates).allSatisfy(r -> assertThat(r.key()).isEqualTo("dec-" + r.value().getAccountId() + "/NCMEC"));
        }
    }

    @Test
    void takesOverThePreviousReleasesGroupWithoutSendingAnythingItSent() throws Exception {
        String run = UUID.randomUUID().toString().substring(0, 8);
        String group = "cse-escalation-upgrade-" + run;
        String account = "upgrade-" + run;
        Decision done = decision(account, "dec-1-" + run, ContentKind.POST);
        Decision finishedNotCommitted = decision(account, "dec-2-" + run, ContentKind.POST);
        Decision fresh = decision(account, "dec-3-" + run, ContentKind.POST);
        // What the previous release left: three decisions read, the first two reported to NCMEC (finished) and
        // their states published, but its group committed only past the first.
        RecordMetadata first = producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, done)).get(10, TimeUnit.SECONDS);
        producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, finishedNotCommitted)).get(10, TimeUnit.SECONDS);
        producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), account, fresh)).get(10, TimeUnit.SECONDS);
        try (KafkaProducer<String, ReferralState> states = stack.producer(Topics.REFERRALS)) {
            long reportId = 900_000;
            for (Decision decision : List.of(done, finishedNotCommitted)) {
                Referral referral = decision.getReferrals().get(0);
                for (ReferralStatus status : List.of(ReferralStatus.BUILT, ReferralStatus.SUBMITTED, ReferralStatus.FINISHED)) {
                    states.send(new ProducerRecord<>(Topics.REFERRALS.name(), referral.getReferralId(), ReferralState.newBuilder()
                            .setReferralId(referral.getReferralId()).setDecisionId(decision.getDecisionId())
                            .setIncidentId(decision.getIncidentId()).setAccountId(account).setTarget(ReferralTarget.NCMEC)
                            .setStatus(status).setExternalReportId(status == ReferralStatus.BUILT ? null : Long.toString(reportId))
                            .setAttempts(1).setKnowledgeAt(decision.getKnowledgeAt()).setUpdatedAt(Instant.now()).build()))
                            .get(10, TimeUnit.SECONDS);
                }
                reportId++;
            }
        }
        stack.commitGroupPast(group, Topics.DECISIONS.name(), Topics.DECISIONS.partitions(), first);

        try (EscalationService service = startService(group)) {
            await().atMost(Duration.ofSeconds(60)).until(() -> reportsOf(account).size() == 1
                    && reportsOf(account).get(0).status() == CyberTiplineSandbox.Status.FINISHED);
            await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(() -> reportsOf(account).size() == 1);
        }
        CyberTiplineSandbox.StoredReport report = reportsOf(account).get(0);
        assertThat(report.xml()).as("the fresh decision's report").contains(fresh.getContent().get(1).getUrl())
                // the earlier release's reports are named, read from the state it left (a lookup, not a replay)
                .contains("<priorCTReports>900000</priorCTReports>").contains("<priorCTReports>900001</priorCTReports>");
    }

    private List<CyberTiplineSandbox.StoredReport> finished(String run) {
        return ncmec.finishedReports().stream().filter(r -> espIdentifier(r).startsWith("files-" + run)).toList();
    }

    private List<EvidenceStoreSandbox.Hold> holds(String run) {
        return evidence.holds().stream().filter(h -> h.contentIds().stream().anyMatch(c -> c.startsWith("media-files-" + run)))
                .toList();
    }

    private List<CyberTiplineSandbox.StoredReport> reportsOf(String account) {
        return ncmec.reports().stream().filter(r -> espIdentifier(r).equals(account)).toList();
    }

    private static String espIdentifier(CyberTiplineSandbox.StoredReport report) {
        String xml = report.xml();
        int start = xml.indexOf("<espIdentifier>") + "<espIdentifier>".length();
        return xml.substring(start, xml.indexOf("</espIdentifier>", start));
    }

    private EscalationService startService(String group) throws Exception {
        EscalationService service = new EscalationService(EscalationConfig.from(new Env(stack.environment("escalation",
                "ESCALATION_HTTP_HOST", "127.0.0.1",
                "ESCALATION_HTTP_PORT", "0",
                "ESCALATION_MANAGEMENT_HOST", "127.0.0.1",
                "ESCALATION_MANAGEMENT_PORT", "0",
                "ESCALATION_GROUP_ID", group,
                "ESCALATION_STATE_DIR", Files.createTempDirectory(temp, "state").toString(),
                "ESCALATION_OPERATORS_FILE", credentials.operatorsFile().toString(),
                "ESCALATION_BACKOFF_INITIAL", "PT0.1S",
                "ESCALATION_BACKOFF_MAX", "PT2S",
                "KAFKA_COMMIT_INTERVAL_MS", "100",
                "NCMEC_API_URL", ncmec.apiUrl(),
                "NCMEC_USERNAME", USER,
                "NCMEC_PASSWORD", PASSWORD,
                "NCMEC_REPORTER_FIRST_NAME", "Trust",
                "NCMEC_REPORTER_LAST_NAME", "Safety",
                "NCMEC_REPORTER_EMAIL", "cse@platform.invalid",
                "EVIDENCE_STORE_URL", evidence.baseUrl(),
                "EVIDENCE_STORE_TOKEN", EVIDENCE_TOKEN))));
        service.start();
        await().atMost(Duration.ofSeconds(60)).until(service::isReady);
        return service;
    }

    private static String md5Of(String account) {
        return String.format("%032x", Math.abs((long) account.hashCode()));
    }

    /** A confirmed depiction: a media file (the one NCMEC gets) inside a post or a private message. */
    private static Decision decision(String account, String decisionId, ContentKind kind) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
        return Decision.newBuilder().setDecisionId(decisionId).setIncidentId(decisionId).setAccountId(account)
                .setPolicyVersion("it").setRuleId("IT").setReason("escalation test").setCategory(Category.VISUAL_DEPICTION)
                .setConfirmation(ConfirmationSource.REVIEWER_VERDICT)
                .setReportedAt(now).setKnowledgeAt(now).setDecidedAt(now)
                .setContent(List.of(
                        ContentRef.newBuilder().setContentId("media-" + account).setKind(kind).setFileName("image-" + account + ".jpg")
                                .setUrl("https://platform.invalid/m/" + decisionId)
                                .setHashes(List.of(ContentHash.newBuilder().setAlgorithm("MD5").setValue(md5Of(account)).build()))
                                .build(),
                        ContentRef.newBuilder().setContentId("post-" + account).setKind(ContentKind.POST)
                                .setUrl("https://platform.invalid/p/" + decisionId).build()))
                .setReferrals(List.of(Referral.newBuilder().setReferralId(decisionId + "/NCMEC").setTarget(ReferralTarget.NCMEC)
                        .setIncidentType("Child Pornography (possession, manufacture, and distribution)").build()))
                .build();
    }
}
