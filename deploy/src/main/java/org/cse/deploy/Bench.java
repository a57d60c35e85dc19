package org.cse.deploy;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.cse.events.Decision;
import org.cse.localstack.LocalStack;
import org.cse.localstack.TopicReader;
import org.cse.localstack.sandbox.Behaviour;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.cse.localstack.sandbox.PlatformSandbox;
import org.cse.runtime.ServiceMain;
import org.cse.schemas.Topics;

/**
 * End-to-end latency and throughput of the whole pipeline on this machine: verified hash matches
 * posted to intake at a fixed rate, each for its own account, timed to the broker's acknowledgement
 * (HTTP 202), the decision on {@code cse.decisions.v1}, the suspension applied at the platform sandbox
 * and the report finished at the NCMEC sandbox (file uploaded and described). Prints figures; asserts
 * nothing. The targets these figures are read against are in the README ("Benchmarks").
 *
 * <p>{@code BENCH_MODE}: {@code stages} (default) offers {@code BENCH_REPORTS} (default 1000) at
 * {@code BENCH_RATE} per second (default 100) with prompt sandboxes; {@code pipeline} offers
 * {@code BENCH_RATE} per second for {@code BENCH_SECONDS} (default 60) twice in one run, once with
 * sandboxes answering in ~1 ms and once with realistic latencies (platform 50 ms, NCMEC 200 ms,
 * hotline 100 ms, evidence store 50 ms per call, ±10% jitter), prints both throughputs and their
 * ratio, and writes the figures as JSON to {@code bench/results/}; {@code history} measures escalation
 * against a million earlier referrals ({@link HistoryBench}).
 */
public final class Bench {
    private static final Pattern ESP_IDENTIFIER = Pattern.compile("<espIdentifier>([^<]+)</espIdentifier>");

    /** When each step happened for one report. */
    private static final class Timings {
        volatile Instant sent;
        volatile Instant accepted;
        volatile Instant decided;
        volatile Instant suspended;
        volatile Instant finished;
        volatile int status;
    }

    private Bench() {
    }

    /** Sandbox latencies of one pipeline-mode run. */
    private record Profile(String name, Duration platform, Duration ncmec, Duration hotline, Duration evidence) {
        void apply(LocalPipeline pipeline) {
            pipeline.platform().behave(behaviour(platform));
            pipeline.ncmec().behave(behaviour(ncmec));
            pipeline.hotline().behave(behaviour(hotline));
            pipeline.evidence().behave(behaviour(evidence));
        }

        private static Behaviour behaviour(Duration latency) {
            return Behaviour.latency(latency, latency.dividedBy(10));
        }
    }

    /** What one run measured. */
    /**
     * What one run measured. {@code throughput}: finished reports from the first post to the last finished one (a
     * single straggler lowers it); {@code steadyPerSecond}: reports finished per second over the second half of the
     * sending time; {@code backlogMid} / {@code backlogEnd}: reports posted and not yet finished halfway through and at
     * the last post; {@code backlogSlope}: how fast that backlog grew over the second half (least squares over one
     * sample a second, reports per second): the rate was held when it grew by no more than 3% of the offered rate.
     */
    private record Figures(int offered, int rate, long accepted, long finished, double sendSeconds, double throughput,
                           double steadyPerSecond, long backlogMid, long backlogEnd, double backlogSlope, boolean held,
                           double drainSeconds, long p50, long p99, long max) {}

    public static void main(String[] args) throws Exception {
        ServiceMain.pinFormatLocale(); // as every service's main does: the classifier's figures depend on it
        LocalRun.quietLogs("ERROR");
        String mode = System.getenv().getOrDefault("BENCH_MODE", "stages");
        int rate = Integer.parseInt(System.getenv().getOrDefault("BENCH_RATE", "100"));
        PrintStream out = System.out;
        if (!java.util.Set.of("stages", "pipeline", "history", "baseline", "classifier", "latency", "burst").contains(mode)) {
            System.err.println("bench: the mode must be stages, pipeline, history, baseline, classifier, latency or burst, not " + mode);
            System.exit(2);
        }

        Instant started = Instant.now();
        try (LocalStack stack = LocalStack.start()) {
            Instant stackReady = Instant.now();
            if (mode.equals("history")) {
                out.printf("startup: broker+registry+topics %.1f s%n", seconds(started, stackReady));
                HistoryBench.run(stack, out);
                System.exit(0);
            }
            if (java.util.Set.of("baseline", "classifier", "latency", "burst").contains(mode)) {
                out.printf("startup: broker+registry+topics %.1f s%n", seconds(started, stackReady));
                ClassifierBench.run(mode, stack, out);
                System.exit(0);
            }
            try (LocalPipeline pipeline = LocalPipeline.start(stack, Duration.ofMinutes(2), tunables())) {
                Instant pipelineReady = Instant.now();
                if (!tunables().isEmpty()) {
                    out.println("tunables from the environment: " + tunables());
                }
                out.printf("startup: broker+registry+topics %.1f s, four services ready %.1f s after that%n",
                        seconds(started, stackReady), seconds(stackReady, pipelineReady));
                switch (mode) {
                    case "stages" -> {
                        int reports = Integer.parseInt(System.getenv().getOrDefault("BENCH_REPORTS", "1000"));
                        run(stack, pipeline, "warmup", Math.min(100, reports), rate, null);
                        run(stack, pipeline, "measured", reports, rate, out);
                    }
                    case "pipeline" -> pipeline(stack, pipeline, rate,
                            Integer.parseInt(System.getenv().getOrDefault("BENCH_SECONDS", "60")), out);
                    default -> throw new IllegalStateException("unhandled mode " + mode);
                }
            }
        }
        System.exit(0);
    }

    /** The same offered load with fast and with realistic sandboxes; throughput of each and their ratio. */
    private static void pipeline(LocalStack stack, LocalPipeline pipeline, int rate, int seconds, PrintStream out) throws Exception {
        // BENCH_RATES (e.g. 150,200,250) climbs offered rates; without it, BENCH_RATE alone
        Duration fast = Duration.ofMillis(1);
        Map<String, Profile> known = Map.of("fast", new Profile("fast", fast, fast, fast, fast),
                "realistic", new Profile("realistic", Duration.ofMillis(50), Duration.ofMillis(200), Duration.ofMillis(100),
                        Duration.ofMillis(50)));
        // the order is a setting: the first run also pays for whatever warm-up the short warm-up run left
        List<Profile> profiles = java.util.Arrays.stream(System.getenv().getOrDefault("BENCH_PROFILES", "realistic,fast").split(","))
                .map(String::trim).map(name -> java.util.Optional.ofNullable(known.get(name)).orElseThrow(() ->
                        new IllegalArgumentException("BENCH_PROFILES names fast and realistic, not " + name))).toList();
        // offered rates, ascending: each profile climbs them until one is not held; its sustained rate is the last held
        List<Integer> rates = java.util.Arrays.stream(System.getenv().getOrDefault("BENCH_RATES", Integer.toString(rate)).split(","))
                .map(String::trim).map(Integer::parseInt).sorted().toList();
        Map<String, Map<Integer, Figures>> figures = new java.util.LinkedHashMap<>();
        Map<String, Integer> sustained = new java.util.LinkedHashMap<>();
        // Measured: whichever profile ran first after a short warm-up came out slower, so a warm-up run goes before both.
        int warmup = rates.get(0) * Integer.parseInt(System.getenv().getOrDefault("BENCH_WARMUP_SECONDS", "60"));
        profiles.get(0).apply(pipeline);
        run(stack, pipeline, "warmup", warmup, rates.get(0), null);
        for (Profile profile : profiles) {
            profile.apply(pipeline);
            run(stack, pipeline, "warmup-" + profile.name(), rates.get(0) * 5, rates.get(0), null);
            Map<Integer, Figures> byRate = new java.util.LinkedHashMap<>();
            figures.put(profile.name(), byRate);
            for (int offered : rates) {
                out.printf("%n== %s sandboxes (platform %d ms, NCMEC %d ms, hotline %d ms, evidence store %d ms per call), %d/s for %d s ==%n",
                        profile.name(), profile.platform().toMillis(), profile.ncmec().toMillis(), profile.hotline().toMillis(),
                        profile.evidence().toMillis(), offered, seconds);
                Figures measured = run(stack, pipeline, "measured-" + profile.name() + "-" + offered, offered * seconds, offered, out);
                byRate.put(offered, measured);
                if (!measured.held()) {
                    break;
                }
                sustained.put(profile.name(), offered);
            }
        }
        out.printf("%n%-10s %8s %6s %14s %20s %18s%n", "sandboxes", "offered", "held", "finished/s*", "first->last finished",
                "p50/p99 finished");
        figures.forEach((name, byRate) -> byRate.forEach((offered, f) -> out.printf("%-10s %6d/s %6s %12.0f/s %18.0f/s %10d/%d ms%n", name,
                offered, f.held() ? "yes" : "no", f.steadyPerSecond(), f.throughput(), f.p50(), f.p99())));
        out.println("* finished per second over the second half of the sending");
        int fastRate = sustained.getOrDefault("fast", 0);
        int realisticRate = sustained.getOrDefault("realistic", 0);
        double ratio = realisticRate / (double) Math.max(1, fastRate);
        out.printf("%npipeline: sustained (highest offered rate held for %d s, backlog not growing) %d/s with fast sandboxes, %d/s "
                + "with realistic latencies: latency_ratio %.2f%s%n", seconds, fastRate, realisticRate, ratio,
                rates.size() > 1 && (fastRate == rates.get(rates.size() - 1) || realisticRate == rates.get(rates.size() - 1))
                        ? " (the highest rate tried was held: the ceiling is above it)" : "");
        Map<String, Object> json = new java.util.LinkedHashMap<>();
        json.put("mode", "pipeline");
        json.put("at", Instant.now().toString());
        json.put("machine", machine());
        json.put("settings", Map.of("tunables", tunables(), "offered_per_second", rates, "seconds", seconds, "warmup_reports", warmup,
                "order", profiles.stream().map(Profile::name).toList(), "held_when", "the backlog's least-squares growth over the second half of the sending is at most 3% of the offered rate",
                "profiles", profiles.stream().map(p -> Map.of(
                "name", p.name(), "platform_ms", p.platform().toMillis(), "ncmec_ms", p.ncmec().toMillis(), "hotline_ms",
                p.hotline().toMillis(), "evidence_ms", p.evidence().toMillis(), "jitter", "10%")).toList()));
        json.put("figures", figures);
        json.put("sustained_per_second", sustained);
        json.put("latency_ratio", Math.round(ratio * 100) / 100.0);
        out.println("written: " + write("pipeline", json));
    }

    /**
     * Service variables set in the bench's own environment that tune, not wire, the pipeline: they replace
     * the local defaults so that one run can try, say, {@code ESCALATION_MAX_IN_FLIGHT=1024}; the JSON records them.
     */
    static Map<String, String> tunables() {
        return tunables(System.getenv());
    }

    /**
     * The tunables among {@code environment}: the services' in-flight, backoff and timeout settings and the
     * {@code KAFKA_*} client settings that change what is measured, but never a credential (the JSON records
     * them), JVM options, nor what wires a service to the local stack: the address, the security protocol,
     * SASL/SSL settings, client, application, group and transactional ids, the state folder.
     */
    static Map<String, String> tunables(Map<String, String> environment) {
        java.util.regex.Pattern tunable = java.util.regex.Pattern.compile(
                "(INTAKE|CLASSIFIER|ENFORCEMENT|ESCALATION)_(MAX_IN_FLIGHT|BACKOFF_INITIAL|BACKOFF_MAX|REQUEST_TIMEOUT)|KAFKA_[A-Z0-9_]+");
        // never a credential (it would be printed and written to the JSON) nor the wiring (a protocol, an id, a folder)
        java.util.regex.Pattern excluded = java.util.regex.Pattern.compile(".*(PASS|PWD|SECRET|JAAS|KEY|TOKEN|CREDENTIAL|USER|AUTH"
                + "|BOOTSTRAP|OPTS|SECURITY|SASL|SSL|CLIENT_ID|APPLICATION_ID|GROUP_ID|STATE_DIR|TRANSACTIONAL_ID).*");
        Map<String, String> set = new java.util.TreeMap<>();
        environment.forEach((name, value) -> {
            if (tunable.matcher(name).matches() && !excluded.matcher(name).matches()) {
                set.put(name, value);
            }
        });
        return set;
    }

    /** The machine a result was measured on, and the bench JVM's own options (those of the services it runs in-process). */
    static Map<String, Object> machine() {
        return Map.of("cores", Runtime.getRuntime().availableProcessors(), "jvm", System.getProperty("java.vm.name") + " "
                + Runtime.version(), "kafka", kafkaVersion(), "os", System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                "max_heap_mib", Runtime.getRuntime().maxMemory() >> 20,
                "jvm_options", jvmOptions(java.lang.management.ManagementFactory.getRuntimeMXBean().getInputArguments()),
                "format_locale", java.util.Locale.getDefault(java.util.Locale.Category.FORMAT).toLanguageTag());
    }

    /**
     * The options among a JVM's arguments that change what a bench measures: {@code -XX:} (the collector and its pause
     * goal, among others) and the heap and stack sizes; never a {@code -D} property (it may hold a secret) nor an agent.
     */
    static List<String> jvmOptions(List<String> arguments) {
        return arguments.stream().filter(argument -> argument.startsWith("-XX:") || argument.startsWith("-Xmx")
                || argument.startsWith("-Xms") || argument.startsWith("-Xss") || argument.startsWith("-Xmn")).toList();
    }

    /**
     * The command that produced a result: the bench's variables and the tunables set in its environment, then
     * {@code ./bench.sh <mode>} (JVM options are in {@code machine.jvm_options}; before 2026-12-03T22:20 they were not recorded).
     */
    static String command(String mode) {
        Map<String, String> set = new java.util.TreeMap<>(tunables());
        System.getenv().forEach((name, value) -> {
            if (name.startsWith("BENCH_") && !name.equals("BENCH_MODE")) {
                set.put(name, value);
            }
        });
        StringBuilder command = new StringBuilder();
        set.forEach((name, value) -> command.append(name).append('=').append(value).append(' '));
        return command.append("./bench.sh ").append(mode).toString();
    }

    /**
     * Writes a result as JSON to {@code bench/results/<mode>-<time>.json} (or {@code BENCH_RESULTS}), its
     * {@link #command} first; returns the file.
     */
    static java.nio.file.Path write(String mode, Map<String, Object> json) throws IOException {
        java.nio.file.Path root = java.nio.file.Path.of("").toAbsolutePath();
        while (root.getParent() != null && !java.nio.file.Files.exists(root.resolve("bench.sh"))) {
            root = root.getParent();
        }
        java.nio.file.Path folder = System.getenv("BENCH_RESULTS") != null ? java.nio.file.Path.of(System.getenv("BENCH_RESULTS"))
                : root.resolve("bench/results");
        java.nio.file.Files.createDirectories(folder);
        java.nio.file.Path file = folder.resolve(mode + "-" + Instant.now().toString().replace(':', '-').substring(0, 19) + ".json");
        Map<String, Object> recorded = new java.util.LinkedHashMap<>();
        recorded.put("command", command(mode));
        recorded.putAll(json);
        java.nio.file.Files.writeString(file, new com.fasterxml.jackson.databind.ObjectMapper()
                .writerWithDefaultPrettyPrinter().writeValueAsString(recorded) + "\n");
        return file.toAbsolutePath().normalize();
    }

    /** The Kafka client's version, from the properties file kafka-clients ships. */
    private static String kafkaVersion() {
        try (java.io.InputStream in = org.apache.kafka.clients.producer.KafkaProducer.class
                .getResourceAsStream("/kafka/kafka-version.properties")) {
            java.util.Properties properties = new java.util.Properties();
            if (in != null) {
                properties.load(in);
            }
            return properties.getProperty("version", "unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static Figures run(LocalStack stack, LocalPipeline pipeline, String label, int reports, int rate, PrintStream out)
            throws Exception {
        String run = label + "-" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Timings> byAccount = new ConcurrentHashMap<>();
        List<String> accounts = new ArrayList<>();
        for (int i = 0; i < reports; i++) {
            String account = "bench-" + run + "-" + i;
            accounts.add(account);
            byAccount.put(account, new Timings());
        }
        HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
        String authorization = "Bearer " + pipeline.credentials().token("hash-matcher");
        ExecutorService senders = Executors.newFixedThreadPool(16);
        AtomicBoolean done = new AtomicBoolean();
        CountDownLatch listening = new CountDownLatch(1);
        Thread decisionWatcher = new Thread(() -> {
            try (TopicReader<String, Decision> decisions = stack.reader(Topics.DECISIONS)) {
                decisions.poll(Duration.ofMillis(500));
                listening.countDown();
                while (!done.get()) {
                    for (ConsumerRecord<String, Decision> record : decisions.poll(Duration.ofMillis(20))) {
                        Timings timings = byAccount.get(record.key());
                        if (timings != null && timings.decided == null) {
                            timings.decided = Instant.now();
                        }
                    }
                }
            }
        }, "bench-decisions");
        decisionWatcher.start();
        try {
            listening.await(30, TimeUnit.SECONDS);
            long intervalNanos = TimeUnit.SECONDS.toNanos(1) / rate;
            long start = System.nanoTime();
            for (int i = 0; i < reports; i++) {
                long wait = start + i * intervalNanos - System.nanoTime();
                if (wait > 0) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                String account = accounts.get(i);
                senders.execute(() -> post(http, pipeline.intakeUrl(), authorization, account, byAccount.get(account)));
            }
            Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
            Progress progress = new Progress();
            while (Instant.now().isBefore(deadline) && !complete(byAccount, pipeline, progress)) {
                // the sandboxes timestamp each step themselves: looking less often costs no precision, only CPU
                Thread.sleep(500);
            }
        } finally {
            done.set(true);
            decisionWatcher.join();
            senders.shutdown();
            senders.awaitTermination(30, TimeUnit.SECONDS);
        }
        Figures figures = figures(reports, rate, byAccount);
        if (out != null) {
            report(out, byAccount, figures);
            stragglers(out, pipeline, byAccount);
        }
        return figures;
    }

    private static void post(HttpClient http, String intakeUrl, String authorization, String account, Timings timings) {
        String body = SampleTraffic.HASH_MATCH.replace("acct-1001", account).replace("media-88231", "media-" + account);
        timings.sent = Instant.now();
        try {
            HttpResponse<Void> response = http.send(HttpRequest.newBuilder(URI.create(intakeUrl + "/v1/reports"))
                    .header("Content-Type", "application/json").header("Authorization", authorization)
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                    HttpResponse.BodyHandlers.discarding());
            timings.status = response.statusCode();
            timings.accepted = Instant.now();
        } catch (Exception e) {
            timings.status = -1;
        }
    }

    /** Collects what the sandboxes saw since the last look; true once every accepted report has gone all the way. */
    private static boolean complete(Map<String, Timings> byAccount, LocalPipeline pipeline, Progress progress) {
        List<PlatformSandbox.AppliedAction> applied = pipeline.platform().applied();
        for (PlatformSandbox.AppliedAction action : applied.subList(progress.actionsSeen, applied.size())) {
            Timings timings = byAccount.get(action.accountId());
            if (timings != null && "SUSPEND_PERMANENTLY".equals(action.type())) {
                timings.suspended = action.appliedAt();
            }
        }
        progress.actionsSeen = applied.size();
        for (CyberTiplineSandbox.StoredReport report : pipeline.ncmec().finishedReports()) {
            if (progress.reportsSeen.add(report.id())) {
                Matcher account = ESP_IDENTIFIER.matcher(report.xml());
                Timings timings = account.find() ? byAccount.get(account.group(1)) : null;
                if (timings != null) {
                    timings.finished = report.finishedAt();
                }
            }
        }
        return byAccount.values().stream().allMatch(t -> t.status != 0
                && (t.status != 202 || t.decided != null && t.suspended != null && t.finished != null));
    }

    /** How far the bench has read the sandboxes' records, so each is looked at once. */
    private static final class Progress {
        int actionsSeen;
        final Set<Long> reportsSeen = new HashSet<>();
    }

    private static void report(PrintStream out, Map<String, Timings> byAccount, Figures figures) {
        List<Timings> all = List.copyOf(byAccount.values());
        long suspended = all.stream().filter(t -> t.suspended != null).count();
        out.printf("%d hash-matched reports offered at %d/s (sent in %.1f s): %d accepted (202), %d suspensions applied, "
                + "%d NCMEC reports finished, %d not through within 5 minutes%n", figures.offered(), figures.rate(),
                figures.sendSeconds(), figures.accepted(), suspended, figures.finished(),
                all.stream().filter(t -> t.status == 202 && (t.suspended == null || t.finished == null)).count());
        out.printf("throughput: %.1f reports/s from first post to last finished NCMEC report; %.1f/s finished over the second "
                + "half of the sending; backlog %d halfway, %d at the last post, growing %.1f/s over the second half (%s); "
                + "drained %.1f s after the last post%n", figures.throughput(), figures.steadyPerSecond(), figures.backlogMid(),
                figures.backlogEnd(), figures.backlogSlope(), figures.held() ? "held" : "not held", figures.drainSeconds());
        out.println("latency from POST, ms          p50      p95      p99      max");
        line(out, "accepted (HTTP 202)", all, t -> t.accepted);
        line(out, "decision on cse.decisions.v1", all, t -> t.decided);
        line(out, "suspension applied (platform)", all, t -> t.suspended);
        line(out, "NCMEC report finished", all, t -> t.finished);
    }

    private static Figures figures(int reports, int rate, Map<String, Timings> byAccount) {
        List<Timings> all = List.copyOf(byAccount.values());
        long accepted = all.stream().filter(t -> t.status == 202).count();
        long finished = all.stream().filter(t -> t.finished != null).count();
        Instant first = all.stream().map(t -> t.sent).filter(t -> t != null).min(Instant::compareTo).orElseThrow();
        Instant lastSent = all.stream().map(t -> t.sent).filter(t -> t != null).max(Instant::compareTo).orElseThrow();
        Instant lastFinished = all.stream().map(t -> t.finished).filter(t -> t != null).max(Instant::compareTo).orElse(lastSent);
        long[] millis = all.stream().filter(t -> t.sent != null && t.finished != null)
                .mapToLong(t -> Duration.between(t.sent, t.finished).toMillis()).sorted().toArray();
        Instant mid = first.plus(Duration.between(first, lastSent).dividedBy(2));
        long finishedInSecondHalf = all.stream().filter(t -> t.finished != null && !t.finished.isBefore(mid)
                && !t.finished.isAfter(lastSent)).count();
        long backlogMid = backlog(all, mid);
        long backlogEnd = backlog(all, lastSent);
        // one sample a second over the second half; a momentary pile-up (a commit, a GC) barely moves the fitted slope
        List<double[]> samples = new ArrayList<>();
        for (Instant at = mid; !at.isAfter(lastSent); at = at.plusSeconds(1)) {
            samples.add(new double[] {seconds(mid, at), backlog(all, at)});
        }
        double meanT = samples.stream().mapToDouble(x -> x[0]).average().orElse(0);
        double meanB = samples.stream().mapToDouble(x -> x[1]).average().orElse(0);
        double covariance = samples.stream().mapToDouble(x -> (x[0] - meanT) * (x[1] - meanB)).sum();
        double variance = samples.stream().mapToDouble(x -> (x[0] - meanT) * (x[0] - meanT)).sum();
        double slope = variance == 0 ? 0 : Math.round(covariance / variance * 10) / 10.0;
        return new Figures(reports, rate, accepted, finished, seconds(first, lastSent),
                Math.round(finished / Math.max(0.001, seconds(first, lastFinished)) * 10) / 10.0,
                Math.round(finishedInSecondHalf / Math.max(0.001, seconds(mid, lastSent)) * 10) / 10.0, backlogMid, backlogEnd,
                slope, slope <= 0.03 * rate, Math.max(0, seconds(lastSent, lastFinished)), millis.length == 0 ? -1 : percentile(millis, 50),
                millis.length == 0 ? -1 : percentile(millis, 99), millis.length == 0 ? -1 : millis[millis.length - 1]);
    }

    /** The three slowest reports, as escalation's operator lookup shows their referrals: where the time went. */
    private static void stragglers(PrintStream out, LocalPipeline pipeline, Map<String, Timings> byAccount) {
        HttpClient http = HttpClient.newHttpClient();
        byAccount.entrySet().stream().filter(e -> e.getValue().sent != null && e.getValue().finished != null)
                .sorted((a, b) -> Duration.between(b.getValue().sent, b.getValue().finished)
                        .compareTo(Duration.between(a.getValue().sent, a.getValue().finished)))
                .limit(3).forEach(entry -> {
                    try {
                        HttpResponse<String> lookup = http.send(HttpRequest.newBuilder(URI.create(pipeline.escalationUrl()
                                + "/v1/deliveries/" + entry.getKey())).header("Authorization", "Bearer "
                                + pipeline.credentials().operatorToken()).build(), HttpResponse.BodyHandlers.ofString());
                        out.printf("slow: %s %d ms: %s%n", entry.getKey(), Duration.between(entry.getValue().sent,
                                entry.getValue().finished).toMillis(), lookup.body().length() > 700 ? lookup.body().substring(0, 700)
                                : lookup.body());
                    } catch (IOException e) {
                        out.println("slow: " + entry.getKey() + ": lookup failed: " + e);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
    }

    /** Reports posted by {@code at} and not finished by then. */
    private static long backlog(List<Timings> all, Instant at) {
        return all.stream().filter(t -> t.sent != null && !t.sent.isAfter(at) && (t.finished == null || t.finished.isAfter(at))).count();
    }

    private static void line(PrintStream out, String step, List<Timings> all, Function<Timings, Instant> at) {
        long[] millis = all.stream().filter(t -> t.sent != null && at.apply(t) != null)
                .mapToLong(t -> Duration.between(t.sent, at.apply(t)).toMillis()).sorted().toArray();
        if (millis.length == 0) {
            out.printf("%-30s (none)%n", step);
            return;
        }
        out.printf("%-30s %6d   %6d   %6d   %6d   (n=%d)%n", step, percentile(millis, 50), percentile(millis, 95),
                percentile(millis, 99), millis[millis.length - 1], millis.length);
    }

    private static long percentile(long[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static double seconds(Instant from, Instant to) {
        return Duration.between(from, to).toMillis() / 1000.0;
    }
}
