package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.cse.localstack.LocalStack;
import org.cse.localstack.LocalStackExtension;
import org.cse.ops.Console;
import org.cse.runtime.Env;
import org.cse.schemas.Topics;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The live console in a real browser (Debian's chromium through its chromedriver, driven by Selenium)
 * against the running pipeline with traffic flowing: the operator signs in, live figures and the chart
 * render and change, an account search answers; the screenshot lands in target/console.png. Without
 * Chromium the test is skipped, except under CI ({@code CI=true}), where .ci/run installs it and a
 * missing browser fails.
 */
@ExtendWith(LocalStackExtension.class)
class ConsoleBrowserIT {
    private static final Path CHROMIUM = onPath("chromium");
    private static final Path CHROMEDRIVER = onPath("chromedriver");
    private final HttpClient http = HttpClient.newHttpClient();

    @Test
    void anOperatorSeesLiveFiguresAndAChartThatChangeAndCanSearchAnAccount(LocalStack stack) throws Exception {
        if (CHROMIUM == null || CHROMEDRIVER == null) {
            String missing = "no chromium or no chromedriver on the PATH (apt-get install chromium chromium-driver; .ci/run does)";
            if ("true".equals(System.getenv("CI"))) {
                fail("CI=true and " + missing);
            }
            Assumptions.abort("skipped: " + missing);
        }
        try (LocalPipeline pipeline = LocalPipeline.start(stack, Duration.ofMinutes(2));
             Console console = Console.start(new Env(pipeline.opsEnvironment("ops")), Clock.systemUTC(), "127.0.0.1", 0)) {
            String base = "http://127.0.0.1:" + console.port();
            assertThat(get(base + "/api/overview", null).statusCode()).as("the API needs an operator token").isEqualTo(401);
            assertThat(get(base + "/", null).headers().firstValue("Content-Security-Policy")).hasValueSatisfying(
                    csp -> assertThat(csp).contains("default-src 'self'"));

            // one unreadable decision, for the dead-letter table
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(stack.clientConfig(), new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(Topics.DECISIONS.name(), "acct-garbage".getBytes(StandardCharsets.UTF_8),
                        "not avro".getBytes(StandardCharsets.UTF_8))).get(30, TimeUnit.SECONDS);
            }
            String searched = "acct-console-" + UUID.randomUUID();
            post(pipeline, SampleTraffic.HASH_MATCH.replace("acct-1001", searched));
            ScheduledExecutorService traffic = Executors.newSingleThreadScheduledExecutor();
            traffic.scheduleAtFixedRate(() -> {
                try {
                    post(pipeline, SampleTraffic.HASH_MATCH.replace("acct-1001", "acct-console-" + UUID.randomUUID()));
                    post(pipeline, SampleTraffic.SEXTORTION_USER_REPORT.replace("acct-2002", "acct-console-" + UUID.randomUUID()));
                } catch (Exception e) {
                    // the next tick tries again; the assertions below tell whether traffic flowed
                }
            }, 0, 250, TimeUnit.MILLISECONDS);

            WebDriver browser = chromium();
            try {
                browser.get(base + "/");
                browser.findElement(By.id("token")).sendKeys("op_wrong-token");
                browser.findElement(By.cssSelector("#signin button")).click();
                await().atMost(Duration.ofSeconds(20)).until(() -> browser.findElement(By.id("signin-error")).getText()
                        .contains("refused"));

                browser.findElement(By.id("token")).sendKeys(pipeline.credentials().operatorToken());
                browser.findElement(By.cssSelector("#signin button")).click();
                await().atMost(Duration.ofSeconds(60)).until(() -> updates(browser) >= 1);
                long firstReports = number(browser, "reports-total");
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1))
                        .until(() -> number(browser, "reports-total") > firstReports
                                && Integer.parseInt(browser.findElement(By.id("chart")).getAttribute("data-points")) >= 3
                                && number(browser, "reports-rate") > 0 && number(browser, "decisions-rate") > 0);
                // the chart is drawn with the series' own colours (not only axes and grid), and redrawn as data comes
                assertThat(seriesPixels(browser)).as("pixels in the reports and decisions colours").isGreaterThan(100);
                String chartBefore = chartImage(browser);
                int updatesBefore = updates(browser);
                await().atMost(Duration.ofSeconds(30)).until(() -> updates(browser) >= updatesBefore + 3);
                assertThat(chartImage(browser)).as("the chart after three refreshes").isNotEqualTo(chartBefore);
                await().atMost(Duration.ofSeconds(60)).until(() -> number(browser, "decisions-total") > 0
                        && !browser.findElement(By.id("clock-p50")).getText().equals("–"));
                assertThat(browser.findElement(By.id("lag-table")).getText()).contains("cse-classifier");
                await().atMost(Duration.ofSeconds(30)).until(() -> browser.findElement(By.id("dlq-table")).getText()
                        .contains(Topics.ENFORCEMENT_DLQ.name() + " DESERIALIZATION"));
                assertThat(browser.findElement(By.id("status")).getText()).isEqualTo("live");

                browser.findElement(By.id("account")).sendKeys(searched);
                browser.findElement(By.cssSelector("#search button")).click();
                await().atMost(Duration.ofSeconds(30)).until(() -> browser.findElement(By.id("account-view")).getText()
                        .contains(searched + ": SUSPENDED"));
                assertThat(browser.findElement(By.id("account-view")).getText()).contains("SUSPEND_PERMANENTLY").contains("NCMEC");

                long before = number(browser, "reports-total");
                await().atMost(Duration.ofSeconds(20)).until(() -> number(browser, "reports-total") > before);
                byte[] png = ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES);
                Files.createDirectories(Path.of("target"));
                Files.write(Path.of("target", "console.png"), png);
                assertThat(png.length).isGreaterThan(20_000);
            } finally {
                browser.quit();
                traffic.shutdownNow();
            }
        }
    }

    private static WebDriver chromium() throws Exception {
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        // this machine has no network beyond loopback: the background-networking flags keep Chromium from trying
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--window-size=1400,1500", "--user-data-dir=" + profile());
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
                .usingAnyFreePort().build();
        return new ChromeDriver(service, options);
    }

    /** Chromium's profile, under target/ (its processes may outlive the driver: nothing deletes it under them). */
    private static Path profile() throws java.io.IOException {
        return Files.createTempDirectory(Files.createDirectories(Path.of("target")), "console-chromium").toAbsolutePath();
    }

    /** Pixels of the chart painted in the reports (#3867d6) or decisions (#20bf6b) line colour. */
    private static long seriesPixels(WebDriver browser) {
        Object count = ((JavascriptExecutor) browser).executeScript(
                "const c = document.querySelector('#chart canvas'); if (!c || c.width === 0) return 0;"
                        + "const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let n = 0;"
                        + "const near = (i, r, g, b) => Math.abs(d[i] - r) < 30 && Math.abs(d[i + 1] - g) < 30 && Math.abs(d[i + 2] - b) < 30;"
                        + "for (let i = 0; i < d.length; i += 4) { if (d[i + 3] > 200 && (near(i, 0x38, 0x67, 0xd6) || near(i, 0x20, 0xbf, 0x6b))) n++; }"
                        + "return n;");
        return ((Number) count).longValue();
    }

    private static String chartImage(WebDriver browser) {
        return (String) ((JavascriptExecutor) browser).executeScript("return document.querySelector('#chart canvas').toDataURL();");
    }

    /** An executable of this name on the PATH, as .ci/run looks for it, or null. */
    private static Path onPath(String name) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir, name);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    private static int updates(WebDriver browser) {
        String updates = browser.findElement(By.tagName("body")).getAttribute("data-updates");
        return updates == null ? 0 : Integer.parseInt(updates);
    }

    /** A figure as the page shows it ("1,234.5"), or -1 while it shows none. */
    private static double numberOf(WebDriver browser, String id) {
        String text = browser.findElement(By.id(id)).getText().replace(",", "").trim();
        return text.isEmpty() || text.equals("–") ? -1 : Double.parseDouble(text);
    }

    private static long number(WebDriver browser, String id) {
        return (long) Math.ceil(numberOf(browser, id));
    }

    private HttpResponse<String> get(String url, String token) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private void post(LocalPipeline pipeline, String json) throws Exception {
        http.send(HttpRequest.newBuilder(URI.create(pipeline.intakeUrl() + "/v1/reports"))
                .header("Authorization", "Bearer " + pipeline.credentials().token(List.of("hash-matcher", "user-reports")
                        .get(json.contains("HASH_MATCH") ? 0 : 1)))
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }
}
