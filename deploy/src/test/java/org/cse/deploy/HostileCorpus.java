package org.cse.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.apache.avro.Schema;
import org.apache.avro.specific.SpecificRecord;
import org.cse.events.AccountEvent;
import org.cse.events.AccountEventType;
import org.cse.events.Action;
import org.cse.events.ActionType;
import org.cse.events.Appeal;
import org.cse.events.AppealStatus;
import org.cse.events.Category;
import org.cse.events.ConfirmationSource;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.Identifier;
import org.cse.events.IdentifierType;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.events.ThirdPartyUrl;
import org.cse.events.Verdict;
import org.cse.schemas.RuleId;
import org.cse.schemas.Topics;

/**
 * The hostile-input corpus ({@code hostile/corpus.json}): its cases, and how each one's bytes are
 * made. A body or value is a string (sent as UTF-8), {@code {"hex": ...}}, {@code {"repeat": s,
 * "times": n, "before": ..., "after": ...}}, or, for Avro topics, a valid record of the topic with
 * fields {@code set} by path ({@code content[0].url}), possibly cut short or with bytes appended.
 */
final class HostileCorpus {
    private static final ObjectMapper JSON = new ObjectMapper();
    static final Instant AT = Instant.now().minusSeconds(3600);

    /** An HTTP request and the refusal it must get. */
    record HttpCase(String name, String method, String path, Map<String, String> headers, byte[] body, int status, String error,
                    String field) {}

    /** A record for a Kafka topic and the dead letter(s) it must become. */
    record KafkaCase(String name, String topic, String key, JsonNode value, JsonNode set, String record, List<String> deadLetterTopics,
                     String reason, boolean truncated) {}

    final List<HttpCase> http = new ArrayList<>();
    final List<KafkaCase> raw = new ArrayList<>();
    final List<KafkaCase> avro = new ArrayList<>();

    static HostileCorpus load() {
        try (InputStream in = HostileCorpus.class.getResourceAsStream("/hostile/corpus.json")) {
            JsonNode root = JSON.readTree(in);
            HostileCorpus corpus = new HostileCorpus();
            for (JsonNode c : root.get("http")) {
                Map<String, String> headers = c.has("headers") ? JSON.convertValue(c.get("headers"),
                        JSON.getTypeFactory().constructMapType(Map.class, String.class, String.class)) : Map.of();
                JsonNode expect = c.get("expect");
                corpus.http.add(new HttpCase(c.get("name").asText(), c.get("method").asText(), c.get("path").asText(), headers,
                        c.has("body") ? bytes(c.get("body")) : null, expect.get("status").asInt(), text(expect, "error"),
                        text(expect, "field")));
            }
            for (JsonNode c : root.get("raw")) {
                corpus.raw.add(new KafkaCase(c.get("name").asText(), Topics.rawReports("user-reports").name(), null, c.get("value"), null, null,
                        List.of("cse.reports.raw.v1.dlq"), c.get("expect").get("reason").asText(),
                        c.get("expect").path("truncated").asBoolean(false)));
            }
            for (JsonNode c : root.get("avro")) {
                List<String> topics = new ArrayList<>();
                c.get("expect").get("dlq").forEach(topic -> topics.add(topic.asText()));
                corpus.avro.add(new KafkaCase(c.get("name").asText(), c.get("topic").asText(), text(c, "key"), c.get("value"),
                        c.get("set"), text(c, "record"), topics, c.get("expect").get("reason").asText(),
                        c.get("expect").path("truncated").asBoolean(false)));
            }
            return corpus;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    int size() {
        return http.size() + raw.size() + avro.size();
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** The bytes a body or value stands for; null for JSON null or {"null": true}. */
    static byte[] bytes(JsonNode spec) {
        if (spec == null || spec.isNull() || spec.path("null").asBoolean(false)) {
            return null;
        }
        if (spec.isTextual()) {
            return spec.asText().getBytes(StandardCharsets.UTF_8);
        }
        if (spec.has("hex")) {
            return HexFormat.of().parseHex(spec.get("hex").asText());
        }
        if (spec.has("repeat")) {
            String text = spec.path("before").asText("") + spec.get("repeat").asText().repeat(spec.get("times").asInt())
                    + spec.path("after").asText("");
            return text.getBytes(StandardCharsets.UTF_8);
        }
        throw new IllegalArgumentException("unknown value spec " + spec);
    }

    /** A valid record of the kind named, about account {@code acct-h}, before the case's fields are set. */
    static SpecificRecord base(String kind) {
        return switch (kind) {
            case "report" -> Report.newBuilder().setReportId("rep-h").setAccountId("acct-h")
                    .setReporter(Reporter.newBuilder().setKind(ReporterKind.SIGNED_IN_USER).setReporterId("u-1").build())
                    .setClaimedCategory(Category.SEXUALIZED_COMMENTARY)
                    .setContent(List.of(ContentRef.newBuilder().setContentId("post-h").setKind(ContentKind.POST)
                            .setUrl("https://platform.invalid/p/h")
                            .setHashes(List.of(new ContentHash("MD5", "5d41402abc4b2a76b9719d911017c592"))).build()))
                    .setThirdPartyUrls(List.of(ThirdPartyUrl.newBuilder().setUrl("http://host.invalid/x").setHostingCountry("NL").build()))
                    .setSourceService("hostile-corpus").setReportedAt(AT).setReceivedAt(AT).build();
            case "verdict" -> Verdict.newBuilder().setVerdictId("ver-h").setReportId("rep-h").setAccountId("acct-h").setReviewerId("rev-1")
                    .setViolation(true).setCategory(Category.SEXUALIZED_COMMENTARY).setDecidedAt(AT).build();
            case "appeal" -> Appeal.newBuilder().setAppealId("app-h").setAccountId("acct-h").setDecisionId("dec-h")
                    .setStatus(AppealStatus.FILED).setAt(AT).build();
            case "account-event" -> AccountEvent.newBuilder().setEventId("evt-h").setAccountId("acct-h").setType(AccountEventType.CREATED)
                    .setIdentifiers(List.of(new Identifier(IdentifierType.EMAIL, "h-1"))).setAt(AT).build();
            case "decision" -> Decision.newBuilder().setDecisionId("dec-h").setIncidentId("inc-h").setAccountId("acct-h")
                    .setPolicyVersion("hostile").setRuleId(RuleId.CONFIRMED_MALICIOUS.id()).setReason("hostile corpus")
                    .setCategory(Category.SEXTORTION).setConfirmation(ConfirmationSource.REVIEWER_VERDICT)
                    .setReportIds(List.of("rep-h")).setReportedAt(AT).setDecidedAt(AT).setKnowledgeAt(AT)
                    .setActions(List.of(
                            Action.newBuilder().setActionId("dec-h/SUSPEND_PERMANENTLY").setType(ActionType.SUSPEND_PERMANENTLY).build(),
                            Action.newBuilder().setActionId("dec-h/REMOVE_CONTENT").setType(ActionType.REMOVE_CONTENT)
                                    .setContentIds(List.of("post-h")).build()))
                    .setReferrals(List.of(Referral.newBuilder().setReferralId("dec-h/NCMEC").setTarget(ReferralTarget.NCMEC)
                            .setIncidentType("Online Enticement of Children for Sexual Acts")
                            .setReportAnnotations(List.of("sextortion")).build()))
                    .build();
            default -> throw new IllegalArgumentException("unknown record kind " + kind);
        };
    }

    /** Sets each {@code path: value} of {@code set} on the record (lists are copied, so builders' immutable lists do not matter). */
    static void apply(SpecificRecord record, JsonNode set) {
        if (set == null) {
            return;
        }
        set.fields().forEachRemaining(entry -> put(record, entry.getKey(), entry.getValue()));
    }

    @SuppressWarnings("unchecked")
    private static void put(SpecificRecord record, String path, JsonNode value) {
        String[] steps = path.split("\\.", 2);
        String step = steps[0];
        int bracket = step.indexOf('[');
        String field = bracket < 0 ? step : step.substring(0, bracket);
        Schema.Field schemaField = record.getSchema().getField(field);
        if (schemaField == null) {
            throw new IllegalArgumentException("no field " + field + " in " + record.getSchema().getName());
        }
        if (bracket < 0) {
            record.put(schemaField.pos(), convert(schemaField.schema(), value));
            return;
        }
        int index = Integer.parseInt(step.substring(bracket + 1, step.length() - 1));
        List<Object> list = new ArrayList<>((List<Object>) record.get(schemaField.pos()));
        record.put(schemaField.pos(), list);
        if (steps.length == 1) {
            list.set(index, convert(schemaField.schema().getElementType(), value));
        } else {
            SpecificRecord element = (SpecificRecord) list.get(index);
            SpecificRecord copy = (SpecificRecord) org.apache.avro.specific.SpecificData.get().deepCopy(element.getSchema(), element);
            list.set(index, copy);
            put(copy, steps[1], value);
        }
    }

    private static Object convert(Schema schema, JsonNode value) {
        Schema type = schema;
        if (type.getType() == Schema.Type.UNION) {
            type = type.getTypes().stream().filter(t -> t.getType() != Schema.Type.NULL).findFirst().orElseThrow();
        }
        if (value.isNull()) {
            return null;
        }
        if (type.getLogicalType() != null && "timestamp-millis".equals(type.getLogicalType().getName())) {
            return Instant.ofEpochMilli(value.asLong());
        }
        return switch (type.getType()) {
            case LONG -> value.asLong();
            case INT -> value.asInt();
            case BOOLEAN -> value.asBoolean();
            case ENUM -> org.apache.avro.specific.SpecificData.get().createEnum(value.asText(), type);
            default -> value.asText();
        };
    }
}
