package org.cse.intake;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.cse.events.Category;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.events.ThirdPartyUrl;

/**
 * Turns a JSON submission into a {@link Report}, or says exactly which field is wrong. The same rules
 * serve the HTTP API and raw Kafka submissions. Pure: no I/O, testable without Kafka.
 *
 * <p>The error message names the field and the rule, never echoes the value: a value may be report
 * content, and errors end up in logs and dead-letter headers.
 */
public final class ReportValidator {
    static final int MAX_ID_LENGTH = 200;
    static final int MAX_TEXT_LENGTH = 20_000;
    static final int MAX_ITEMS = 500;
    private static final Pattern COUNTRY = Pattern.compile("^[A-Z]{2}$");
    private static final ObjectMapper JSON = new ObjectMapper()
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
            this.invalid = new Invalid("INVALID_FIELD", field, reason);
        }
    }

    private final Clock clock;

    public ReportValidator(Clock clock) {
        this.clock = clock;
    }

    public Result validate(byte[] body, String sourceService) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return new Invalid("MALFORMED_JSON", "", "body is not valid JSON (line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr() + ")");
        } catch (java.io.IOException e) {
            return new Invalid("MALFORMED_JSON", "", "body is not valid JSON");
        }
        if (root == null || !root.isObject()) {
            return new Invalid("MALFORMED_JSON", "", "body must be a JSON object");
        }
        try {
            return new Valid(report(root, sourceService));
        } catch (Refusal refusal) {
            return refusal.invalid;
        }
    }

    private Report report(JsonNode root, String defaultSource) {
        Instant now = clock.instant();
        String reportId = optionalText(root, "reportId", MAX_ID_LENGTH);
        Reporter reporter = reporter(requiredObject(root, "reporter"));
        List<ContentRef> content = list(root, "content", this::contentRef);
        List<ThirdPartyUrl> urls = list(root, "thirdPartyUrls", this::thirdPartyUrl);
        if (content.isEmpty() && urls.isEmpty()) {
            throw new Refusal("content", "a report must name at least one content item or third-party URL");
        }
        Instant reportedAt = optionalInstant(root, "reportedAt");
        if (reportedAt != null && reportedAt.isAfter(now.plusSeconds(300))) {
            throw new Refusal("reportedAt", "is in the future");
        }
        String source = optionalText(root, "sourceService", MAX_ID_LENGTH);
        return Report.newBuilder()
                .setReportId(reportId != null ? reportId : UUID.randomUUID().toString())
                .setAccountId(requiredText(root, "accountId", MAX_ID_LENGTH))
                .setReporter(reporter)
                .setClaimedCategory(optionalEnum(root, "claimedCategory", Category.class))
                .setContent(content)
                .setThirdPartyUrls(urls)
                .setDescription(optionalText(root, "description", MAX_TEXT_LENGTH))
                .setSourceService(source != null ? source : defaultSource)
                .setReportedAt(reportedAt != null ? reportedAt : now)
                .setReceivedAt(now)
                .build();
    }

    private Reporter reporter(JsonNode node) {
        ReporterKind kind = requiredEnum(node, "reporter.kind", "kind", ReporterKind.class);
        Double score = null;
        JsonNode scoreNode = node.get("classifierScore");
        if (scoreNode != null && !scoreNode.isNull()) {
            if (!scoreNode.isNumber()) {
                throw new Refusal("reporter.classifierScore", "must be a number");
            }
            score = scoreNode.asDouble();
            if (score < 0 || score > 1) {
                throw new Refusal("reporter.classifierScore", "must be between 0 and 1");
            }
        }
        if (kind == ReporterKind.CLASSIFIER && score == null) {
            throw new Refusal("reporter.classifierScore", "is required when reporter.kind is CLASSIFIER");
        }
        String reporterId = optionalText(node, "id", MAX_ID_LENGTH, "reporter.id");
        if (kind != ReporterKind.NO_ACCOUNT && kind != ReporterKind.HASH_MATCH && kind != ReporterKind.URL_MATCH
                && reporterId == null) {
            throw new Refusal("reporter.id", "is required when reporter.kind is " + kind);
        }
        String matchList = optionalText(node, "matchList", MAX_ID_LENGTH, "reporter.matchList");
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
        List<ContentHash> hashes = new ArrayList<>();
        JsonNode hashesNode = node.get("hashes");
        if (hashesNode != null && !hashesNode.isNull()) {
            if (!hashesNode.isArray()) {
                throw new Refusal(path + ".hashes", "must be an array");
            }
            for (int i = 0; i < hashesNode.size(); i++) {
                String hashPath = path + ".hashes[" + i + "]";
                JsonNode hash = hashesNode.get(i);
                requireObject(hash, hashPath);
                hashes.add(new ContentHash(
                        requiredText(hash, "algorithm", 32, hashPath + ".algorithm").toUpperCase(Locale.ROOT),
                        requiredText(hash, "value", 512, hashPath + ".value")));
            }
        }
        ContentKind kind = optionalEnum(node, "kind", ContentKind.class, path + ".kind");
        Instant uploadedAt = optionalInstant(node, "uploadedAt", path + ".uploadedAt");
        return ContentRef.newBuilder()
                .setContentId(requiredText(node, "contentId", MAX_ID_LENGTH, path + ".contentId"))
                .setKind(kind != null ? kind : ContentKind.OTHER)
                .setUrl(optionalText(node, "url", 4096, path + ".url"))
                .setHashes(hashes)
                .setFileName(optionalText(node, "fileName", 1024, path + ".fileName"))
                .setUploadedAt(uploadedAt)
                .build();
    }

    private ThirdPartyUrl thirdPartyUrl(JsonNode node, String path) {
        requireObject(node, path);
        String country = optionalText(node, "hostingCountry", 2, path + ".hostingCountry");
        if (country != null && !COUNTRY.matcher(country).matches()) {
            throw new Refusal(path + ".hostingCountry", "must be an ISO 3166-1 alpha-2 code in capitals, like DE");
        }
        return ThirdPartyUrl.newBuilder()
                .setUrl(requiredText(node, "url", 4096, path + ".url"))
                .setHostingCountry(country)
                .setHostingIp(optionalText(node, "hostingIp", 64, path + ".hostingIp"))
                .setHostingIsp(optionalText(node, "hostingIsp", 256, path + ".hostingIsp"))
                .setHostingAsn(optionalText(node, "hostingAsn", 32, path + ".hostingAsn"))
                .setCdn(optionalBoolean(node, "cdn", path + ".cdn"))
                .build();
    }

    private interface ItemParser<T> {
        T parse(JsonNode node, String path);
    }

    private <T> List<T> list(JsonNode root, String field, ItemParser<T> parser) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw new Refusal(field, "must be an array");
        }
        if (node.size() > MAX_ITEMS) {
            throw new Refusal(field, "has more than " + MAX_ITEMS + " items");
        }
        List<T> items = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            items.add(parser.parse(node.get(i), field + "[" + i + "]"));
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

    private static String requiredText(JsonNode root, String field, int maxLength) {
        return requiredText(root, field, maxLength, field);
    }

    private static String requiredText(JsonNode root, String field, int maxLength, String path) {
        String value = optionalText(root, field, maxLength, path);
        if (value == null) {
            throw new Refusal(path, "is required");
        }
        return value;
    }

    private static String optionalText(JsonNode root, String field, int maxLength) {
        return optionalText(root, field, maxLength, field);
    }

    private static String optionalText(JsonNode root, String field, int maxLength, String path) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isTextual()) {
            throw new Refusal(path, "must be a string");
        }
        String value = node.asText().trim();
        if (value.isEmpty()) {
            return null;
        }
        if (value.length() > maxLength) {
            throw new Refusal(path, "is longer than " + maxLength + " characters");
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

    private static Instant optionalInstant(JsonNode root, String field) {
        return optionalInstant(root, field, field);
    }

    private static Instant optionalInstant(JsonNode root, String field, String path) {
        String text = optionalText(root, field, 64, path);
        if (text == null) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw new Refusal(path, "must be an ISO-8601 instant like 2026-11-25T10:15:30Z");
        }
    }

    private static <E extends Enum<E>> E optionalEnum(JsonNode root, String field, Class<E> type) {
        return optionalEnum(root, field, type, field);
    }

    private static <E extends Enum<E>> E optionalEnum(JsonNode root, String field, Class<E> type, String path) {
        String text = optionalText(root, field, 64, path);
        if (text == null) {
            return null;
        }
        return parseEnum(text, type, path);
    }

    private static <E extends Enum<E>> E requiredEnum(JsonNode root, String path, String field, Class<E> type) {
        return parseEnum(requiredText(root, field, 64, path), type, path);
    }

    private static <E extends Enum<E>> E parseEnum(String text, Class<E> type, String path) {
        Function<E, String> name = Enum::name;
        for (E constant : type.getEnumConstants()) {
            if (name.apply(constant).equals(text)) {
                return constant;
            }
        }
        throw new Refusal(path, "unknown value; expected one of " + Arrays.toString(type.getEnumConstants()));
    }
}
