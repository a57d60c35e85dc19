package org.cse.deploy;

import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.cse.schemas.Topics;

/** Sample reports for the local run: what platform services would send, good and bad. */
final class SampleTraffic {
    static final String HASH_MATCH = """
            {"accountId": "acct-1001",
             "reporter": {"kind": "HASH_MATCH", "matchList": "ncmec-verified-hashes", "matchListVerified": true},
             "claimedCategory": "VISUAL_DEPICTION",
             "content": [{"contentId": "media-88231", "kind": "MEDIA", "url": "https://platform.invalid/m/88231",
                          "hashes": [{"algorithm": "MD5", "value": "5d41402abc4b2a76b9719d911017c592"}]}]}
            """;
    static final String SEXTORTION_USER_REPORT = """
            {"accountId": "acct-2002",
             "reporter": {"kind": "SIGNED_IN_USER", "id": "user-551"},
             "claimedCategory": "SEXTORTION",
             "content": [{"contentId": "msg-77120", "kind": "MESSAGE"}]}
            """;
    static final String URL_MATCH_ABROAD = """
            {"accountId": "acct-3003",
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

    /** Each sample from the publisher that would send it, with that publisher's token (or Kafka credentials). */
    static void send(LocalPipeline pipeline, PrintStream out) throws Exception {
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        record Sample(String title, String publisher, String body) {}
        for (Sample sample : List.of(
                new Sample("1. verified hash match on an upload", "hash-matcher", HASH_MATCH),
                new Sample("2. user report of sextortion (unconfirmed)", "user-reports", SEXTORTION_USER_REPORT),
                new Sample("3. verified URL-list match, hosted in the Netherlands", "hash-matcher", URL_MATCH_ABROAD),
                new Sample("4. a submission without an account id", "user-reports", MISSING_ACCOUNT))) {
            HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(pipeline.intakeUrl() + "/v1/reports"))
                    .header("Content-Type", "application/json")
                    .header("Authorization", "Bearer " + pipeline.credentials().token(sample.publisher()))
                    .POST(HttpRequest.BodyPublishers.ofString(sample.body())).build(), HttpResponse.BodyHandlers.ofString());
            out.println("> POST /v1/reports as " + sample.publisher() + "  " + sample.title() + "  ->  HTTP " + response.statusCode()
                    + " " + response.body());
        }
        String raw = Topics.rawReports("ml-classifier").name();
        try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(pipeline.stack().clientConfig("ml-classifier"),
                new StringSerializer(), new ByteArraySerializer())) {
            producer.send(new ProducerRecord<>(raw, "acct-4004",
                    "{\"accountId\": \"acct-4004\", \"reporter\": {\"kind\": \"CLASSIFIER\", \"id\": \"nsfw-v3\"}, \"content\": [{\"contentId\": \"p\"}]}"
                            .getBytes(StandardCharsets.UTF_8))).get(10, TimeUnit.SECONDS);
        }
        out.println("> Kafka " + raw + " as ml-classifier  5. a raw classifier submission without its score");
    }
}
