package org.cse.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.cse.events.Category;
import org.cse.events.ReporterKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ReportValidatorTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private final ReportValidator validator = new ReportValidator(Clock.fixed(NOW, ZoneOffset.UTC));

    static final String VALID = """
            {"reportId": "r-1", "accountId": "acct-1",
             "reporter": {"kind": "HASH_MATCH", "matchList": "ncmec-hashes", "matchListVerified": true},
             "claimedCategory": "VISUAL_DEPICTION",
             "content": [{"contentId": "post-9", "kind": "MEDIA", "hashes": [{"algorithm": "md5", "value": "abc"}]}],
             "thirdPartyUrls": [{"url": "http://example.invalid/x", "hostingCountry": "NL"}],
             "reportedAt": "2026-11-25T11:59:00Z"}
            """;

    @Test
    void acceptsACompleteHashMatchReport() {
        ReportValidator.Result result = validate(VALID);

        assertThat(result).isInstanceOf(ReportValidator.Valid.class);
        var report = ((ReportValidator.Valid) result).report();
        assertThat(report.getReportId()).isEqualTo("r-1");
        assertThat(report.getAccountId()).isEqualTo("acct-1");
        assertThat(report.getReporter().getKind()).isEqualTo(ReporterKind.HASH_MATCH);
        assertThat(report.getReporter().getMatchListVerified()).isTrue();
        assertThat(report.getClaimedCategory()).isEqualTo(Category.VISUAL_DEPICTION);
        assertThat(report.getContent().get(0).getHashes().get(0).getAlgorithm()).isEqualTo("MD5");
        assertThat(report.getThirdPartyUrls().get(0).getHostingCountry()).isEqualTo("NL");
        assertThat(report.getReceivedAt()).isEqualTo(NOW);
        assertThat(report.getSourceService()).isEqualTo("http");
    }

    @Test
    void givesAReportIdWhenThePublisherHasNone() {
        var result = validate("""
                {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}]}""");

        assertThat(((ReportValidator.Valid) result).report().getReportId()).isNotBlank();
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            missing account id            | {"reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}]}                                  | accountId
            account id of the wrong type  | {"accountId": 42, "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}]}                 | accountId
            unknown category              | {"accountId": "a", "claimedCategory": "SPAM", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}]} | claimedCategory
            unknown reporter kind         | {"accountId": "a", "reporter": {"kind": "ROBOT"}, "content": [{"contentId": "p"}]}                    | reporter.kind
            missing reporter              | {"accountId": "a", "content": [{"contentId": "p"}]}                                                    | reporter
            no content at all             | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}}                                                 | content
            content not an array          | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": "p"}                                | content
            content item without id       | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"kind": "POST"}]}                 | content[0].contentId
            classifier without a score    | {"accountId": "a", "reporter": {"kind": "CLASSIFIER", "id": "m1"}, "content": [{"contentId": "p"}]}   | reporter.classifierScore
            classifier score out of range | {"accountId": "a", "reporter": {"kind": "CLASSIFIER", "id": "m1", "classifierScore": 1.5}, "content": [{"contentId": "p"}]} | reporter.classifierScore
            hash match without a list     | {"accountId": "a", "reporter": {"kind": "HASH_MATCH"}, "content": [{"contentId": "p"}]}               | reporter.matchList
            user report without reporter  | {"accountId": "a", "reporter": {"kind": "SIGNED_IN_USER"}, "content": [{"contentId": "p"}]}           | reporter.id
            bad hosting country           | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "thirdPartyUrls": [{"url": "u", "hostingCountry": "nl"}]} | thirdPartyUrls[0].hostingCountry
            bad timestamp                 | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}], "reportedAt": "yesterday"} | reportedAt
            report from the future        | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}], "reportedAt": "2027-01-01T00:00:00Z"} | reportedAt
            """)
    void refusesWithTheFieldNamed(String why, String json, String field) {
        ReportValidator.Result result = validate(json);

        assertThat(result).as(why).isInstanceOf(ReportValidator.Invalid.class);
        assertThat(((ReportValidator.Invalid) result).field()).isEqualTo(field);
        assertThat(((ReportValidator.Invalid) result).code()).isEqualTo("INVALID_FIELD");
    }

    @Test
    void refusesMalformedJsonAndNonObjects() {
        assertThat(validate("{\"accountId\": ")).isInstanceOfSatisfying(ReportValidator.Invalid.class,
                invalid -> assertThat(invalid.code()).isEqualTo("MALFORMED_JSON"));
        assertThat(validate("[1, 2]")).isInstanceOfSatisfying(ReportValidator.Invalid.class,
                invalid -> assertThat(invalid.code()).isEqualTo("MALFORMED_JSON"));
        assertThat(validate("{} {}")).isInstanceOf(ReportValidator.Invalid.class);
    }

    @Test
    void errorMessagesNeverEchoTheSubmittedValue() {
        String secret = "very-sensitive-description-text";
        var result = validate("{\"accountId\": \"a\", \"reporter\": {\"kind\": \"NO_ACCOUNT\"}, \"claimedCategory\": \"" + secret
                + "\", \"content\": [{\"contentId\": \"p\"}]}");

        assertThat(((ReportValidator.Invalid) result).message()).doesNotContain(secret);
    }

    private ReportValidator.Result validate(String json) {
        return validator.validate(json.getBytes(StandardCharsets.UTF_8), "http");
    }
}
