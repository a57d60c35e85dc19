package org.cse.intake;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.cse.events.Category;
import org.cse.events.GeneratedMedium;
import org.cse.events.ReporterKind;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class ReportValidatorTest {
    private static final Instant NOW = Instant.parse("2026-11-25T12:00:00Z");
    private final ReportValidator validator = new ReportValidator(Clock.fixed(NOW, ZoneOffset.UTC));

    static final String VALID = """
            {"reportId": "r-1", "accountId": "acct-1",
             "reporter": {"kind": "HASH_MATCH", "matchList": "ncmec-verified-hashes", "matchListVerified": true},
             "claimedCategory": "VISUAL_DEPICTION",
             "content": [{"contentId": "post-9", "kind": "MEDIA", "hashes": [{"algorithm": "md5", "value": "5D41402ABC4B2A76B9719D911017C592"}]}],
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
        assertThat(report.getContent().get(0).getHashes().get(0).getValue()).isEqualTo("5d41402abc4b2a76b9719d911017c592");
        assertThat(report.getThirdPartyUrls().get(0).getHostingCountry()).isEqualTo("NL");
        assertThat(report.getReceivedAt()).isEqualTo(NOW);
        assertThat(report.getSourceService()).isEqualTo("http");
    }

    @Test
    void aClassifierReportMayStateTheMediumOfAGeneratedDepiction() {
        var stated = validate("""
                {"accountId": "a", "reporter": {"kind": "CLASSIFIER", "id": "genai-detector", "classifierScore": 0.97},
                 "claimedCategory": "GENERATED_DEPICTION", "generatedMedium": "AI_OR_COMPUTER_GENERATED", "content": [{"contentId": "p"}]}""");
        var silent = validate(VALID);

        assertThat(((ReportValidator.Valid) stated).report().getGeneratedMedium()).isEqualTo(GeneratedMedium.AI_OR_COMPUTER_GENERATED);
        assertThat(((ReportValidator.Valid) silent).report().getGeneratedMedium()).isEqualTo(GeneratedMedium.NOT_STATED);
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
            unknown generated medium      | {"accountId": "a", "reporter": {"kind": "CLASSIFIER", "id": "m1", "classifierScore": 0.5}, "generatedMedium": "CGI", "content": [{"contentId": "p"}]} | generatedMedium
            medium stated by a user       | {"accountId": "a", "reporter": {"kind": "SIGNED_IN_USER", "id": "u1"}, "generatedMedium": "DRAWN_OR_ANIMATED", "content": [{"contentId": "p"}]} | generatedMedium
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

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            account id of dots              | {"accountId": "..", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}]}                              | accountId
            account id with a slash         | {"accountId": "a/b", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}]}                             | accountId
            account id with NUL             | {"accountId": "a\\u0000", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}]}                      | accountId
            account id with CRLF            | {"accountId": "a\\r\\nb", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}]}                     | accountId
            content id with a control char  | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p\\u0001"}]}                      | content[0].contentId
            url with a carriage return      | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p", "url": "http://x/\\ry"}]}     | content[0].url
            url with ESC                    | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "thirdPartyUrls": [{"url": "http://x/\\u001b"}]}             | thirdPartyUrls[0].url
            url with U+FFFE                 | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "thirdPartyUrls": [{"url": "http://x/\\ufffe"}]}             | thirdPartyUrls[0].url
            url with a lone surrogate       | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "thirdPartyUrls": [{"url": "http://x/\\ud800"}]}             | thirdPartyUrls[0].url
            unknown country XX              | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "thirdPartyUrls": [{"url": "u", "hostingCountry": "XX"}]}    | thirdPartyUrls[0].hostingCountry
            hosting ip not an address       | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "thirdPartyUrls": [{"url": "u", "hostingIp": "evil.example"}]} | thirdPartyUrls[0].hostingIp
            hash algorithm unknown          | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p", "hashes": [{"algorithm": "<x>", "value": "ab"}]}]} | content[0].hashes[0]
            hash of the wrong length        | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p", "hashes": [{"algorithm": "SHA1", "value": "ab"}]}]} | content[0].hashes[0]
            year zero                       | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}], "reportedAt": "0000-01-01T00:00:00Z"} | reportedAt
            hour 24                         | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}], "reportedAt": "2026-11-24T24:00:00Z"} | reportedAt
            far past overflowing a long     | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p"}], "reportedAt": "-999999999-01-01T00:00:00Z"} | reportedAt
            too many hashes                 | {"accountId": "a", "reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "p", "hashes": [{"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}, {"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}, {"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}, {"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}, {"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}]}]} | content[0].hashes
            a score of infinity             | {"accountId": "a", "reporter": {"kind": "CLASSIFIER", "id": "m", "classifierScore": 1e999}, "content": [{"contentId": "p"}]} | reporter.classifierScore
            """)
    void refusesHostileValuesNamingTheField(String why, String json, String field) {
        ReportValidator.Result result = validate(json);

        assertThat(result).as(why).isInstanceOf(ReportValidator.Invalid.class);
        assertThat(((ReportValidator.Invalid) result).field()).as(why).isEqualTo(field);
    }

    @Test
    void refusesDuplicateKeysSoTheLastOneCannotWin() {
        var result = validate("""
                {"accountId": "a", "reporter": {"kind": "SIGNED_IN_USER", "id": "u"},
                 "reporter": {"kind": "HASH_MATCH", "matchList": "l", "matchListVerified": true}, "content": [{"contentId": "p"}]}""");

        assertThat(result).isInstanceOfSatisfying(ReportValidator.Invalid.class, invalid -> {
            assertThat(invalid.code()).isEqualTo("MALFORMED_JSON");
            assertThat(invalid.reason()).contains("twice");
        });
    }

    @Test
    void refusesBytesThatAreNotStrictUtf8() {
        byte[] overlongSlash = {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'};
        byte[] cesuSurrogate = {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'};
        byte[] pastMaxCodePoint = {'{', '"', 'a', '"', ':', '"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"', '}'};
        for (byte[] body : new byte[][] {overlongSlash, cesuSurrogate, pastMaxCodePoint}) {
            assertThat(validator.validate(body, "http")).isInstanceOfSatisfying(ReportValidator.Invalid.class,
                    invalid -> assertThat(invalid.reason()).contains("UTF-8"));
        }
    }

    @Test
    void refusesDeepNestingHugeNamesAndHugeNumbersWithAnAnswer() {
        assertThat(validate("[".repeat(5000) + "]".repeat(5000))).isInstanceOf(ReportValidator.Invalid.class);
        assertThat(validate("{\"" + "k".repeat(900_000) + "\": 1}")).isInstanceOf(ReportValidator.Invalid.class);
        assertThat(validate("{\"accountId\": " + "9".repeat(2000) + "}")).isInstanceOf(ReportValidator.Invalid.class);
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
