package org.cse.deploy;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.cse.schemas.Topics;

/** Sample reports for the local run: what platform services would send, good and bad. */
final class SampleTraffic {
    static final String HASH_MATCH = """
            {"accountId": "acct-1001", "sourceService": "media-upload",
             "reporter": {"kind": "HASH_MATCH", "matchList": "ncmec-verified-hashes", "matchListVerified": true},
             "claimedCategory": "VISUAL_DEPICTION",
             "content": [{"contentId": "media-88231", "kind": "MEDIA", "url": "https://platform.invalid/m/88231",
                          "hashes": [{"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}]}]}
            """;
    static final String SEXTORTION_USER_REPORT = """
            {"accountId": "acct-2002", "sourceService": "messaging",
             "reporter": {"kind": "SIGNED_IN_USER", "id": "user-551"},
             "claimedCategory": "SEXTORTION",
             "content": [{"contentId": "msg-77120", "kind": "MESSAGE"}]}
            """;
    static final String URL_MATCH_ABROAD = """
            {"accountId": "acct-3003", "sourceService": "link-scanner",
             "reporter": {"kind": "URL_MATCH", "matchList": "iwf-url-list", "matchListVerified": true},
             "claimedCategory": "CSAM_LINK",
             "content": [{"contentId": "post-4410", "kind": "POST", "url": "https://platform.invalid/p/4410"}],
             "thirdPartyUrls": [{"url": "http://files.example.invalid/x/1", "hostingCountry": "NL", "hostingIp": "192.0.2.10"}]}
            """;
    static final String MISSING_ACCOUNT = """
            {"reporter": {"kind": "NO_ACCOUNT"}, "content": [{"contentId": "post-1"}]}
            """;

    private SampleTraffic() {
    }

    static void send(String intakeUrl, String bootstrap, PrintStream out) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        for (Map.Entry<String, String> sample : Map.of(
                "1. verified hash match on an upload", HASH_MATCH,
                "2. user report of sextortion (unconfirmed)", SEXTORTION_USER_REPORT,
                "3. verified URL-list match, hosted in the Netherlands", URL_MATCH_ABROAD,
                "4. a submission without an account id", MISSING_ACCOUNT).entrySet().stream()
                .sorted(Map.Entry.comparingByKey()).toList()) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(intakeUrl + "/v1/reports"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(sample.getValue())).build(), HttpResponse.BodyHandlers.ofString());
            out.println("> POST /v1/reports  " + sample.getKey() + "  ->  HTTP " + response.statusCode() + " " + response.body());
        }
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(Map.of(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(Topics.REPORTS_RAW.name(), "acct-4004",
                    "{\"accountId\": \"acct-4004\", \"reporter\": {\"kind\": \"CLASSIFIER\", \"id\": \"nsfw-v3\"}, \"content\": [{\"contentId\": \"p\"}]}"
                            .getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
        }
        out.println("> Kafka " + Topics.REPORTS_RAW.name() + "  5. a raw classifier submission without its score");
    }
}
