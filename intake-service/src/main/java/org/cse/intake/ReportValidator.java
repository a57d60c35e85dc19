package org.cse.intake;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.cse.events.Category;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.GeneratedMedium;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.events.ThirdPartyUrl;
import org.cse.schemas.InputChecks;
import org.cse.schemas.Limits;

/**
 * Turns a JSON submission into a {@link Report}, or says exactly which field is wrong. The same rules
 * serve the HTTP API and raw Kafka submissions. Pure: no I/O, testable without Kafka.
 *
 * <p>Strict: the bytes must be UTF-8 as the standard defines it (no overlong forms, no encoded
 * surrogates, nothing past U+10FFFF), a key may appear once per object, nesting, names and numbers
 * are bounded, and every field is held to {@link Limits} ({@link InputChecks} for the rules on text).
 * Over a count limit is refused, not cut: a publisher learns at once what it sent wrong.
 *
 * <p>The error message names the field and the rule, never echoes the value: a value may be report
 * content, and errors end up in logs and dead-letter headers.
 */
public final class ReportValidator {
    /** The refusal codes, as HTTP answers and dead-letter reasons carry them. */
    public static final String MALFORMED_JSON = "MALFORMED_JSON";
    public static final String INVALID_FIELD = "INVALID_FIELD";

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder()
                    .maxNestingDepth(16)
                    .maxNameLength(256)
                    .maxNumberLength(64)
                    .maxStringLength(2 * Limits.MAX_DESCRIPTION_CHARS * 4)
                    .build())
            .build())
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** The outcome of validation: a report or the reason it was refused. */
    public sealed interface Result permits Valid, Invalid {}

    public record Valid(Report report) implements Result {}

    /** @param field JSON path of the offending field; @param reason what is wrong, without the value */
    public record Invalid(String code, String field, String reason) implements Result {
        public String message() {
            return field.isEmpty() ? reason : field + ": " + reason;
        }
    }

    private static final class Refusal extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Invalid invalid;

        Refusal(String field, String reason) {
            super(field + ": " + reason, null, false, false);
            this.invalid = new Invalid(INVALID_FIELD, field, reason);
        }
    }

    private final Clock clock;

    public ReportValidator(Clock clock) {
        this.clock = clock;
    }

    public Result validate(byte[] body, String sourceService) {
        if (!isStrictUtf8(body)) {
            return new Invalid(MALFORMED_JSON, "", "body is not valid UTF-8");
        }
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (StreamConstraintsException e) {
            return new Invalid(MALFORMED_JSON, "", "body exceeds a JSON limit (nesting depth 16, names 256 characters, "
                    + "numbers 64 digits)");
        } catch (JsonProcessingException e) {
            String message = e.getOriginalMessage() != null && e.getOriginalMessage().startsWith("Duplicate field")
                    ? "a key appears twice in one object" : "body is not valid JSON";
            return new Invalid(MALFORMED_JSON, "", message + where(e.getLocation()));
        } catch (IOException | RuntimeException e) {
            return new Invalid(MALFORMED_JSON, "", "body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            return new Invalid(MALFORMED_JSON, "", "body must be a JSON object");
        }
        try {
            Report report = report(root, sourceService);
            InputChecks.Violation violation = InputChecks.report(report, clock.instant());
            if (violation != null) {
                return new Invalid(INVALID_FIELD, violation.field(), violation.rule());
            }
            return new Valid(report);
        } catch (Refusal refusal) {
            return refusal.invalid;
        }
    }

    private static String where(JsonLocation location) {
        return location == null ? "" : " (line " + location.getLineNr() + ", column " + location.getColumnNr() + ")";
    }

    /** Standard UTF-8 only: the JDK's decoder refuses overlong forms, encoded surrogates (CESU-8) and code points past U+10FFFF. */
    static boolean isStrictUtf8(byte[] bytes) {
        try {
            StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
            return true;
        } catch (CharacterCodingException e) {
            return false;
        }
    }

    private Report report(JsonNode root, String defaultSource) {
        Instant now = clock.instant();
        String reportId = optionalText(root, "reportId", Limits.MAX_ID_CHARS, "reportId");
        Reporter reporter = reporter(requiredObject(root, "reporter"));
        List<ContentRef> content = list(root, "content", Limits.MAX_CONTENT_ITEMS, this::contentRef);
        List<ThirdPartyUrl> urls = list(root, "thirdPartyUrls", Limits.MAX_THIRD_PARTY_URLS, this::thirdPartyUrl);
        if (content.isEmpty() && urls.isEmpty()) {
            throw new Refusal("content", "a report must name at least one content item or third-party URL");
        }
        Instant reportedAt = optionalInstant(root, "reportedAt", "reportedAt", now);
        String source = optionalText(root, "sourceService", Limits.MAX_ID_CHARS, "sourceService");
        GeneratedMedium medium = optionalEnum(root, "generatedMedium", GeneratedMedium.class, "generatedMedium");
        return Report.newBuilder()
                .setReportId(reportId != null ? reportId : UUID.randomUUID().toString())
                .setAccountId(requiredText(root, "accountId", Limits.MAX_ID_CHARS, "accountId"))
                .setReporter(reporter)
                .setClaimedCategory(optionalEnum(root, "claimedCategory", Category.class, "claimedCategory"))
                .setGeneratedMedium(medium != null ? medium : GeneratedMedium.NOT_STATED)
                .setContent(content)
                .setThirdPartyUrls(urls)
                .setDescription(optionalText(root, "description", Limits.MAX_DESCRIPTION_CHARS, "description"))
                .setSourceService(source != null ? source : defaultSource)
                .setReportedAt(reportedAt != null ? reportedAt : now)
                .setReceivedAt(now)
                .build();
    }

    private Reporter reporter(JsonNode node) {
        ReporterKind kind = requiredEnum(node, "kind", ReporterKind.class, "reporter.kind");
        Double score = null;
        JsonNode scoreNode = node.get("classifierScore");
        if (scoreNode != null && !scoreNode.isNull()) {
            if (!scoreNode.isNumber()) {
                throw new Refusal("reporter.classifierScore", "must be a number");
            }
            score = scoreNode.asDouble();
            if (!(score >= 0 && score <= 1)) {
                throw new Refusal("reporter.classifierScore", "must be between 0 and 1");
            }
        }
        if (kind == ReporterKind.CLASSIFIER && score == null) {
            throw new Refusal("reporter.classifierScore", "is required when reporter.kind is CLASSIFIER");
        }
        String reporterId = optionalText(node, "id", Limits.MAX_ID_CHARS, "reporter.id");
        if (kind != ReporterKind.NO_ACCOUNT && kind != ReporterKind.HASH_MATCH && kind != ReporterKind.URL_MATCH
                && reporterId == null) {
            throw new Refusal("reporter.id", "is required when reporter.kind is " + kind);
        }
        String matchList = optionalText(node, "matchList", Limits.MAX_ID_CHARS, "reporter.matchList");
        boolean isMatch = kind == ReporterKind.HASH_MATCH || kind == ReporterKind.URL_MATCH;
        if (isMatch && matchList == null) {
            throw new Refusal("reporter.matchList", "is required when reporter.kind is " + kind);
        }
        return Reporter.newBuilder()
                .setKind(kind)
                .setReporterId(reporterId)
                .setMatchList(matchList)
                .setMatchListVerified(isMatch && optionalBoolean(node, "matchListVerified", "reporter.matchListVerified"))
                .setClassifierScore(score)
                .build();
    }

    private ContentRef contentRef(JsonNode node, String path) {
        requireObject(node, path);
        List<ContentHash> hashes = list(node, "hashes", Limits.MAX_HASHES_PER_ITEM, path + ".hashes", (hash, hashPath) -> {
            requireObject(hash, hashPath);
            // normalised, not changed: algorithm names are case-insensitive, hex digits too
            return new ContentHash(
                    requiredText(hash, "algorithm", 16, hashPath + ".algorithm").toUpperCase(Locale.ROOT),
                    requiredText(hash, "value", 512, hashPath + ".value").toLowerCase(Locale.ROOT));
        });
        ContentKind kind = optionalEnum(node, "kind", ContentKind.class, path + ".kind");
        Instant uploadedAt = optionalInstant(node, "uploadedAt", path + ".uploadedAt", clock.instant());
        return ContentRef.newBuilder()
                .setContentId(requiredText(node, "contentId", Limits.MAX_CONTENT_ID_CHARS, path + ".contentId"))
                .setKind(kind != null ? kind : ContentKind.OTHER)
                .setUrl(optionalText(node, "url", Limits.MAX_URL_CHARS, path + ".url"))
                .setHashes(hashes)
                .setFileName(optionalText(node, "fileName", Limits.MAX_FILE_NAME_CHARS, path + ".fileName"))
                .setUploadedAt(uploadedAt)
                .build();
    }

    private ThirdPartyUrl thirdPartyUrl(JsonNode node, String path) {
        requireObject(node, path);
        return ThirdPartyUrl.newBuilder()
                .setUrl(requiredText(node, "url", Limits.MAX_URL_CHARS, path + ".url"))
                .setHostingCountry(optionalText(node, "hostingCountry", 2, path + ".hostingCountry"))
                .setHostingIp(optionalText(node, "hostingIp", 45, path + ".hostingIp"))
                .setHostingIsp(optionalText(node, "hostingIsp", Limits.MAX_HOSTING_ISP_CHARS, path + ".hostingIsp"))
                .setHostingAsn(optionalText(node, "hostingAsn", 12, path + ".hostingAsn"))
                .setCdn(optionalBoolean(node, "cdn", path + ".cdn"))
                .build();
    }

    private interface ItemParser<T> {
        T parse(JsonNode node, String path);
    }

    private <T> List<T> list(JsonNode root, String field, int max, ItemParser<T> parser) {
        return list(root, field, max, field, parser);
    }

    private static <T> List<T> list(JsonNode root, String field, int max, String path, ItemParser<T> parser) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new Refusal(path, "must be an array");
        }
        if (node.size() > max) {
            throw new Refusal(path, "has more than " + max + " items (the limit)");
        }
        List<T> items = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            items.add(parser.parse(node.get(i), path + "[" + i + "]"));
        }
        return items;
    }

    private static JsonNode requiredObject(JsonNode root, String field) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw new Refusal(field, "is required");
        }
        requireObject(node, field);
        return node;
    }

    private static void requireObject(JsonNode node, String path) {
        if (node == null || !node.isObject()) {
            throw new Refusal(path, "must be an object");
        }
    }

    private static String requiredText(JsonNode root, String field, int maxLength, String path) {
        String value = optionalText(root, field, maxLength, path);
        if (value == null) {
            throw new Refusal(path, "is required");
        }
        return value;
    }

    /** A string field as given: never trimmed or otherwise changed; blank means absent. */
    private static String optionalText(JsonNode root, String field, int maxLength, String path) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new Refusal(path, "must be a string");
        }
        String value = node.asText();
        if (value.isBlank()) {
            return null;
        }
        if (value.length() > maxLength) {
            throw new Refusal(path, "is longer than " + maxLength + " characters (the limit)");
        }
        return value;
    }

    private static boolean optionalBoolean(JsonNode root, String field, String path) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw new Refusal(path, "must be true or false");
        }
        return node.asBoolean();
    }

    private static Instant optionalInstant(JsonNode root, String field, String path, Instant now) {
        String text = optionalText(root, field, 64, path);
        if (text == null) {
            return null;
        }
        Instant instant = Limits.parseInstant(text, now);
        if (instant == null) {
            throw new Refusal(path, Limits.windowRule());
        }
        return instant;
    }

    private static <E extends Enum<E>> E optionalEnum(JsonNode root, String field, Class<E> type, String path) {
        String text = optionalText(root, field, 64, path);
        if (text == null) {
            return null;
        }
        return parseEnum(text, type, path);
    }

    private static <E extends Enum<E>> E requiredEnum(JsonNode root, String field, Class<E> type, String path) {
        return parseEnum(requiredText(root, field, 64, path), type, path);
    }

    private static <E extends Enum<E>> E parseEnum(String text, Class<E> type, String path) {
        for (E constant : type.getEnumConstants()) {
            if (constant.name().equals(text)) {
                return constant;
            }
        }
        throw new Refusal(path, "unknown value; expected one of " + Arrays.toString(type.getEnumConstants()));
    }
}
