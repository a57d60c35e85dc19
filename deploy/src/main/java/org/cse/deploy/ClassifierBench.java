package org.cse.deploy;

import java.io.PrintStream;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.cse.classifier.ClassifierConfig;
import org.cse.classifier.ClassifierService;
import org.cse.classifier.ClassifierTopology;
import org.cse.classifier.Policy;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.ReportSeen;
import org.cse.events.Category;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.events.Report;
import org.cse.events.Reporter;
import org.cse.events.ReporterKind;
import org.cse.localstack.LocalStack;
import org.cse.localstack.TempDirs;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;
import org.cse.schemas.Topics;

/**
 * The classifier against Kafka's own ceiling, in the modes of {@code ./bench.sh}:
 * <ul>
 *   <li>{@code baseline}: the broker's raw produce and consume rates, and the bare Kafka Streams
 *   read-modify-write ceiling (one store read and write and one output per input, the classifier's
 *   guarantee, commit interval, input serde and state encoding);</li>
 *   <li>{@code classifier}: reports pre-loaded on {@code cse.reports.v1}, the classifier's drain rate, then
 *   the ceiling on the same records with the state bytes the classifier wrote per report (all its stores),
 *   and their ratio, after warm-up passes of both (reported as the cold figures);</li>
 *   <li>{@code latency}: a fixed offered rate produced to {@code cse.reports.v1}, each report timed from its
 *   scheduled send time to its decision seen by a {@code read_committed} consumer;</li>
 *   <li>{@code burst}: reports of one post of one account produced as fast as the producer can, through the
 *   whole pipeline: decisions, actions and NCMEC reports it produced and the classifier's drain time, after
 *   a warm-up burst of another account's post (reported as the cold figures).</li>
 * </ul>
 * Prints a table, writes JSON to {@code bench/results/}; asserts nothing.
 */
final class ClassifierBench {
    private static final String RUN = UUID.randomUUID().toString().substring(0, 8);

    private ClassifierBench() {
    }

    static void run(String mode, LocalStack stack, PrintStream out) throws Exception {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("mode", mode);
        json.put("at", Instant.now().toString());
        json.put("machine", Bench.machine());
        switch (mode) {
            case "baseline" -> json.putAll(baseline(stack, out));
            case "classifier" -> json.putAll(classifier(stack, out));
            case "latency" -> json.putAll(latency(stack, out));
            case "burst" -> json.putAll(burst(stack, out));
            default -> throw new IllegalArgumentException("not a classifier bench mode: " + mode);
        }
        out.println("written: " + Bench.write(mode, json));
    }

    // ---------------------------------------------------------------- baseline

    private static Map<String, Object> baseline(LocalStack stack, PrintStream out) throws Exception {
        int records = integer("BENCH_RECORDS", 1_000_000);
        int size = integer("BENCH_RECORD_BYTES", 500);
        int reports = integer("BENCH_REPORTS", 50_000);
        int stateBytes = integer("BENCH_STATE_BYTES", 2048);
        String topic = "bench.raw." + RUN;
        try (Admin admin = stack.admin()) {
            admin.createTopics(List.of(new NewTopic(topic, Topics.ACCOUNT_PARTITIONS, (short) 1))).all().get();
        }
        Map<String, Object> produce = produceRaw(stack, topic, records, size);
        Map<String, Object> consume = consumeRaw(stack, topic, records);
        out.printf("%nraw produce (idempotent, acks=all): %,d records of %d B in %.1f s: %,d records/s, %.1f MB/s%n", records, size,
                produce.get("seconds"), produce.get("records_per_second"), produce.get("mb_per_second"));
        out.printf("raw consume: %,d records in %.1f s: %,d records/s, %.1f MB/s%n", records, consume.get("seconds"),
                consume.get("records_per_second"), consume.get("mb_per_second"));
        Workload workload = Workload.fromEnvironment(reports);
        Map<String, Object> load = workload.preload(stack);
        Map<String, Object> ceiling = ceiling(stack, "", reports, stateBytes, 0);
        out.printf("bare Streams read-modify-write (exactly_once_v2, commit %s ms, Avro in and out, %d B state): %,d reports "
                + "at %,d/s (first commit to last; %.1f s from its start)%n", ceiling.get("commit_interval_ms"), stateBytes, reports,
                ceiling.get("per_second"), ceiling.get("seconds_from_start"));
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("settings", Map.of("records", records, "record_bytes", size, "reports", reports, "state_bytes", stateBytes,
                "workload", workload.describe()));
        json.put("raw_produce", produce);
        json.put("raw_consume", consume);
        json.put("preload", load);
        json.put("ceiling", ceiling);
        return json;
    }

    private static Map<String, Object> produceRaw(LocalStack stack, String topic, int records, int size) throws Exception {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        byte[] value = new byte[size];
        new Random(1).nextBytes(value);
        AtomicReference<Exception> failed = new AtomicReference<>();
        Instant start = Instant.now();
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(config, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (int i = 0; i < records; i++) {
                producer.send(new ProducerRecord<>(topic, value), (metadata, e) -> {
                    if (e != null) {
                        failed.set(e);
                    }
                });
            }
            producer.flush();
        }
        if (failed.get() != null) {
            throw failed.get();
        }
        return rate(records, (long) records * size, start);
    }

    private static Map<String, Object> consumeRaw(LocalStack stack, String topic, int records) {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-raw-" + RUN);
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        long seen = 0;
        long bytes = 0;
        Instant start = Instant.now();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            Instant deadline = start.plus(Duration.ofMinutes(10));
            while (seen < records && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    seen++;
                    bytes += record.value().length;
                }
            }
        }
        return rate(seen, bytes, start);
    }

    private static Map<String, Object> rate(long records, long bytes, Instant start) {
        double seconds = Duration.between(start, Instant.now()).toMillis() / 1000.0;
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("records", records);
        figures.put("seconds", seconds);
        figures.put("records_per_second", Math.round(records / seconds));
        figures.put("mb_per_second", Math.round(bytes / seconds / 1e6 * 10) / 10.0);
        return figures;
    }

    /**
     * The bare processor on the reports of {@code cse.reports.v1}: decodes each report with the registry
     * serde, reads its account's state from a RocksDB store, appends to it (single-object Avro, like the
     * classifier's history, kept near {@code stateBytes}), writes it back and forwards one record, encoded
     * with the registry serde. The classifier's guarantee and commit interval (its Kafka settings), as the
     * super user, with its own application id.
     */
    private static Map<String, Object> ceiling(LocalStack stack, String suffix, int reports, int stateBytes, int extraWrites)
            throws Exception {
        String applicationId = "bench-ceiling-" + RUN + suffix;
        String output = "bench.ceiling.out." + RUN + suffix;
        try (Admin admin = stack.admin()) {
            admin.createTopics(List.of(new NewTopic(output, Topics.ACCOUNT_PARTITIONS, (short) 1))).all().get();
        }
        KafkaSettings kafka;
        try (ClassifierEnvironment environment = ClassifierEnvironment.open(stack, "")) {
            kafka = KafkaSettings.from(new Env(environment.variables()));
        }
        java.nio.file.Path stateDir = Files.createTempDirectory("bench-ceiling");
        try {
            Properties props = kafka.streams("bench-ceiling", applicationId, stateDir.toString(),
                    Topics.CLASSIFIER_DLQ.name(), ClassifierService.COMMIT_INTERVAL);
            props.putAll(stack.clientConfig()); // the super user: the bench's own topics and group
            props.putIfAbsent(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, Long.toString(ClassifierService.CACHE_MAX_BYTES));
            Serde<Report> reportSerde = Topics.REPORTS.valueSerde(stack.registryClient());
            int keep = Math.max(1, stateBytes / 86); // a ReportSeen (report id, 64-hex fingerprint) is ~86 bytes encoded
            StreamsBuilder builder = new StreamsBuilder();
            builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("state"), Serdes.String(),
                    new org.cse.runtime.delivery.SingleObjectSerde<>(AccountState.class, List.of())));
            String[] stores = {"state"};
            if (extraWrites > 0) { // the ceiling has the one store
                builder.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore("entries"), Serdes.String(),
                        Serdes.ByteArray()));
                stores = new String[] {"state", "entries"};
            }
            builder.stream(Topics.REPORTS.name(), Consumed.with(Serdes.String(), reportSerde).withName("reports"))
                    .process(() -> new ReadModifyWrite(keep, extraWrites), Named.as("read-modify-write"), stores)
                    .to(output, Produced.with(Serdes.String(), reportSerde).withName("out"));
            Instant start = Instant.now();
            try (KafkaStreams streams = new KafkaStreams(builder.build(), props)) {
                streams.start();
                Drain drain = awaitDrained(stack, applicationId, Topics.REPORTS.name(), start, Duration.ofMinutes(20));
                long cpu = streamThreadCpuNanos(applicationId);
                Map<String, Object> figures = new LinkedHashMap<>();
                figures.put("reports", drain.records());
                figures.put("seconds_from_start", drain.fromStart());
                figures.put("per_second", Math.round(drain.perSecond()));
                figures.put("stream_thread_cpu_us_per_report", cpuPerReport(cpu, reports));
                figures.put("state_bytes", stateBytes);
                figures.put("extra_writes_per_report", extraWrites);
                figures.put("guarantee", props.getProperty("processing.guarantee"));
                figures.put("commit_interval_ms", props.getProperty("commit.interval.ms"));
                return figures;
            }
        } finally {
            TempDirs.delete(stateDir);
        }
    }

    /**
     * The ceiling's state: an account history holding its last reports, encoded as the classifier encodes its own.
     * With {@code extraWrites}, each report also reads and writes that many small entries of its own (keys unique
     * to the report, as the classifier's report entries are) in a second store: the framework's price of more
     * store operations per report, apart from any policy.
     */
    private static final class ReadModifyWrite implements Processor<String, Report, String, Report> {
        private static final byte[] ENTRY = new byte[32];
        private final int keep;
        private final int extraWrites;
        private KeyValueStore<String, AccountState> store;
        private KeyValueStore<String, byte[]> entries;
        private ProcessorContext<String, Report> context;

        ReadModifyWrite(int keep, int extraWrites) {
            this.keep = keep;
            this.extraWrites = extraWrites;
        }

        @Override
        public void init(ProcessorContext<String, Report> context) {
            this.context = context;
            this.store = context.getStateStore("state");
            this.entries = extraWrites > 0 ? context.getStateStore("entries") : null;
        }

        @Override
        public void process(Record<String, Report> record) {
            AccountState state = store.get(record.key());
            if (state == null) {
                state = Policy.newAccount(record.key());
            }
            List<ReportSeen> seen = new ArrayList<>(state.getRecentReports());
            seen.add(new ReportSeen(record.value().getReportId(), "%064x".formatted(record.value().getReportId().hashCode()), null));
            state.setRecentReports(seen.size() > keep ? seen.subList(seen.size() - keep, seen.size()) : seen);
            store.put(record.key(), state);
            for (int i = 0; i < extraWrites; i++) {
                String key = record.key() + "/" + record.value().getReportId() + "/" + i;
                if (entries.get(key) == null) {
                    entries.put(key, ENTRY);
                }
            }
            context.forward(record);
        }
    }

    // ---------------------------------------------------------------- classifier

    /**
     * The classifier's drain and the ceiling's on the same pre-loaded reports. With BENCH_WARMUP_PASSES (default 1),
     * each first drains them that many times under application ids of its own, so that both are measured with
     * the same JVM warmed up (the compiler, not the bench, was a quarter of the machine during a cold drain);
     * the warm-up passes' figures are kept as the cold ones.
     */
    private static Map<String, Object> classifier(LocalStack stack, PrintStream out) throws Exception {
        int reports = integer("BENCH_REPORTS", 50_000);
        int warmups = integer("BENCH_WARMUP_PASSES", 1);
        List<Integer> moreWrites = extraWrites(); // refused before minutes of work, not after
        Workload workload = Workload.fromEnvironment(reports);
        Map<String, Object> load = workload.preload(stack);
        out.printf("%npre-loaded %,d reports on %s in %.1f s (%s)%n", reports, Topics.REPORTS.name(), load.get("seconds"),
                workload.describe());
        List<Map<String, Object>> cold = new ArrayList<>();
        for (int pass = 0; pass < warmups; pass++) {
            Pass warm = pass(stack, "-warmup-" + pass, reports, "warm-up", out);
            out.printf("warm-up ratio %.2f%n", warm.ratio());
            cold.add(Map.of("classifier_per_second", warm.classifier().get("per_second"), "ceiling_per_second",
                    warm.ceiling().get("per_second"), "ratio", Math.round(warm.ratio() * 100) / 100.0));
        }
        Pass measured = pass(stack, "", reports, "measured", out);
        out.printf("classifier.ratio_to_ceiling %.2f (after %d warm-up pass%s of each)%n", measured.ratio(), warmups,
                warmups == 1 ? "" : "es");
        List<Map<String, Object>> extra = new ArrayList<>();
        int stateBytes = ((Number) measured.ceiling().get("state_bytes")).intValue();
        double classifierRate = ((Number) measured.classifier().get("per_second")).doubleValue();
        for (int writes : moreWrites) {
            Map<String, Object> more = ceiling(stack, "-extra-" + writes, reports, stateBytes, writes);
            double ratio = classifierRate / ((Number) more.get("per_second")).doubleValue();
            more.put("classifier_ratio", Math.round(ratio * 100) / 100.0);
            out.printf("ceiling with %d more store reads and writes per report (unique keys): %,d/s; Streams thread CPU %s µs per report; "
                    + "classifier at %.2f of it%n", writes, more.get("per_second"), more.get("stream_thread_cpu_us_per_report"), ratio);
            extra.add(more);
        }
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("settings", Map.of("reports", reports, "warmup_passes", warmups, "workload", workload.describe(),
                "tunables", Bench.tunables()));
        json.put("preload", load);
        json.put("classifier", measured.classifier());
        json.put("ceiling", measured.ceiling());
        json.put("classifier.ratio_to_ceiling", Math.round(measured.ratio() * 100) / 100.0);
        json.put("warmup_passes", cold);
        if (!extra.isEmpty()) {
            json.put("ceilings_with_more_writes", extra);
        }
        return json;
    }

    /** One pass: the classifier's drain, then the ceiling's on the same records with the state it wrote per report. */
    private record Pass(Map<String, Object> classifier, Map<String, Object> ceiling, double ratio) {}

    private static Pass pass(LocalStack stack, String suffix, int reports, String label, PrintStream out) throws Exception {
        Map<String, Object> drained = drainClassifier(stack, suffix, reports, label, out);
        int stateBytes = (int) (long) (Long) ((Map<?, ?>) drained.get("state_stores")).get("bytes_written_per_input");
        Map<String, Object> ceiling = ceiling(stack, suffix, reports, Math.max(stateBytes, 100), 0);
        out.printf("%s ceiling: bare Streams read-modify-write, same records, guarantee %s, commit %s ms, %,d B state: %,d/s; "
                + "Streams thread CPU %s µs per report%n", label, ceiling.get("guarantee"), ceiling.get("commit_interval_ms"),
                stateBytes, ceiling.get("per_second"), ceiling.get("stream_thread_cpu_us_per_report"));
        double ratio = ((Number) drained.get("per_second")).doubleValue() / ((Number) ceiling.get("per_second")).doubleValue();
        return new Pass(drained, ceiling, ratio);
    }

    /** One classifier, under an application id of its own, draining the pre-loaded reports from the start; its figures and store writes. */
    private static Map<String, Object> drainClassifier(LocalStack stack, String suffix, int reports, String label, PrintStream out)
            throws Exception {
        String applicationId;
        Drain drain;
        long cpu;
        try (ClassifierEnvironment environment = ClassifierEnvironment.open(stack, suffix)) {
            applicationId = environment.variables().get("CLASSIFIER_APPLICATION_ID");
            Instant start = Instant.now();
            ClassifierService classifier = new ClassifierService(ClassifierConfig.from(new Env(environment.variables())));
            classifier.start();
            try {
                drain = awaitDrained(stack, applicationId, Topics.REPORTS.name(), start, Duration.ofMinutes(30));
                cpu = streamThreadCpuNanos(applicationId);
            } finally {
                classifier.close();
            }
        }
        Map<String, Object> drained = new LinkedHashMap<>();
        drained.put("reports", drain.records());
        drained.put("seconds_from_start", drain.fromStart());
        drained.put("per_second", Math.round(drain.perSecond()));
        drained.put("stream_thread_cpu_us_per_report", cpuPerReport(cpu, reports));
        Map<String, Object> stores = stateStores(stack, applicationId, reports, out);
        drained.put("state_stores", stores);
        out.printf("%s classifier: drained %,d reports at %,d/s (first commit to last; %.1f s from its start); Streams thread CPU "
                + "%s µs per report; state written per report %,d B%n", label, reports, drained.get("per_second"), drain.fromStart(),
                drained.get("stream_thread_cpu_us_per_report"), stores.get("bytes_written_per_input"));
        return drained;
    }

    // ---------------------------------------------------------------- latency

    private static Map<String, Object> latency(LocalStack stack, PrintStream out) throws Exception {
        int rate = integer("BENCH_RATE", 1000);
        int seconds = integer("BENCH_SECONDS", 30);
        try (ClassifierEnvironment environment = ClassifierEnvironment.open(stack, "")) {
            return latency(stack, environment, rate, seconds, out);
        }
    }

    private static Map<String, Object> latency(LocalStack stack, ClassifierEnvironment environment, int rate, int seconds,
                                               PrintStream out) throws Exception {
        ClassifierService classifier = new ClassifierService(ClassifierConfig.from(new Env(environment.variables())));
        classifier.start();
        try {
            awaitReady(classifier);
            Map<String, Long> warmupScheduled = new ConcurrentHashMap<>();
            Map<String, Long> scheduled = new ConcurrentHashMap<>();
            Map<String, Long> seen = new ConcurrentHashMap<>();
            java.util.concurrent.atomic.AtomicBoolean reading = new java.util.concurrent.atomic.AtomicBoolean(true);
            Thread reader = decisionReader(stack, List.of("warm-" + RUN + "-", "lat-" + RUN + "-"), seen, reading);
            reader.start();
            // warm-up at the same rate, measured apart: the JIT compiles the classifier and the broker (started for the bench)
            // on the same two cores while reports queue. Their C2 threads used 0.7 of the two cores 20-40 s into a run, 0.04 after
            // 95 s (/proc); the figure is the steady state of a broker and classifier that have run a while, as in production
            int warmup = integer("BENCH_WARMUP_SECONDS", 90);
            try (KafkaProducer<String, Report> producer = publisher(stack)) {
                offer(producer, "warm-" + RUN, rate, warmup, warmupScheduled);
                offer(producer, "lat-" + RUN, rate, seconds, scheduled);
            }
            Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
            while (!seen.keySet().containsAll(scheduled.keySet()) && Instant.now().isBefore(deadline)) {
                Thread.sleep(50);
            }
            reading.set(false);
            reader.join(30_000);
            Map<String, Object> figures = latencies(scheduled, seen, seconds);
            figures.put("offered_per_second", rate);
            String commit = KafkaSettings.from(new Env(environment.variables()))
                    .streams("c", "c", "/tmp", "d", ClassifierService.COMMIT_INTERVAL).getProperty("commit.interval.ms");
            figures.put("commit_interval_ms", Long.parseLong(commit));
            out.printf("%nlatency: %,d reports at %d/s for %d s, each timed from its scheduled send to its decision seen read_committed "
                    + "(classifier commit interval %s ms, after %d s of warm-up)%n", scheduled.size(), rate, seconds, commit, warmup);
            out.printf("%-8s %8s %8s %8s %8s %10s%n", "", "p50", "p99", "p99.9", "max", "decisions");
            out.printf("%-8s %8d %8d %8d %8d %10d%n", "ms", figures.get("p50_ms"), figures.get("p99_ms"), figures.get("p999_ms"),
                    figures.get("max_ms"), figures.get("decisions_seen"));
            out.printf("p99 by fifth of the run (ms): %s%n", figures.get("p99_ms_by_fifth_of_the_run"));
            if (warmup > 0) {
                Map<String, Object> warm = latencies(warmupScheduled, seen, warmup);
                figures.put("warmup", warm);
                out.printf("warm-up (%d s before, same rate; not the figure): p50 %d, p99 %d, max %d ms; p99 by fifth %s%n", warmup,
                        warm.get("p50_ms"), warm.get("p99_ms"), warm.get("max_ms"), warm.get("p99_ms_by_fifth_of_the_run"));
            }
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("settings", Map.of("offered_per_second", rate, "seconds", seconds, "warmup_seconds", warmup,
                    "tunables", Bench.tunables()));
            json.put("latency", figures);
            json.put("latency.p99_ms", figures.get("p99_ms"));
            return json;
        } finally {
            classifier.close();
        }
    }

    /**
     * Each report's latency from its scheduled send to its decision seen: p50/p99/p99.9/max and the p99 of the reports
     * scheduled in each fifth of the {@code seconds} (where in the run the tail is).
     */
    private static Map<String, Object> latencies(Map<String, Long> scheduled, Map<String, Long> seen, int seconds) {
        // each report seen: {scheduled send, latency}
        List<long[]> timed = scheduled.entrySet().stream().filter(e -> seen.containsKey(e.getKey()))
                .map(e -> new long[] {e.getValue(), seen.get(e.getKey()) - e.getValue()}).toList();
        long[] latencies = timed.stream().mapToLong(t -> t[1]).sorted().toArray();
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("seconds", seconds);
        figures.put("reports", scheduled.size());
        figures.put("decisions_seen", latencies.length);
        figures.put("p50_ms", percentile(latencies, 0.50));
        figures.put("p99_ms", percentile(latencies, 0.99));
        figures.put("p999_ms", percentile(latencies, 0.999));
        figures.put("max_ms", latencies.length == 0 ? -1 : latencies[latencies.length - 1]);
        long first = scheduled.values().stream().mapToLong(Long::longValue).min().orElse(0);
        List<Long> windows = new java.util.ArrayList<>();
        for (int w = 0; w < 5; w++) {
            long from = first + w * seconds * 1000L / 5;
            long to = first + (w + 1) * seconds * 1000L / 5;
            windows.add(percentile(timed.stream().filter(t -> t[0] >= from && t[0] < to).mapToLong(t -> t[1]).sorted().toArray(), 0.99));
        }
        figures.put("p99_ms_by_fifth_of_the_run", windows);
        return figures;
    }

    /** The publisher's producer: one for the warm-up and the measured run, as intake keeps one (its start is not timed). */
    private static KafkaProducer<String, Report> publisher(LocalStack stack) {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 1);
        return new KafkaProducer<>(config, Topics.REPORTS.keySerde().serializer(), Topics.REPORTS.valueSerde(stack.registryClient()).serializer());
    }

    /**
     * Produces verified hash matches, one per account, at {@code rate} per second for {@code seconds},
     * each at its scheduled time (recorded before the send, so a stall of the producer counts against
     * the latency instead of delaying the schedule: no coordinated omission).
     */
    private static void offer(KafkaProducer<String, Report> producer, String prefix, int rate, int seconds, Map<String, Long> scheduled)
            throws Exception {
        long start = System.nanoTime();
        long startMillis = System.currentTimeMillis();
        long total = (long) rate * seconds;
        for (long i = 0; i < total; i++) {
            long due = start + i * 1_000_000_000L / rate;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
            String account = prefix + "-" + i;
            scheduled.put(account, startMillis + (due - start) / 1_000_000);
            producer.send(new ProducerRecord<>(Topics.REPORTS.name(), account, Workload.hashMatch("r-" + account, account,
                    "m-" + account)));
        }
        producer.flush();
    }

    private static Thread decisionReader(LocalStack stack, List<String> prefixes, Map<String, Long> seen,
                                         java.util.concurrent.atomic.AtomicBoolean reading) {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        config.put(ConsumerConfig.GROUP_ID_CONFIG, "bench-decisions-" + RUN);
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "latest");
        KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, Topics.DECISIONS.keySerde().deserializer(),
                new ByteArrayDeserializer());
        consumer.subscribe(List.of(Topics.DECISIONS.name()));
        // join before anything is produced: "latest" must mean before the first report
        Instant deadline = Instant.now().plus(Duration.ofSeconds(60));
        while (consumer.assignment().isEmpty() && Instant.now().isBefore(deadline)) {
            consumer.poll(Duration.ofMillis(100));
        }
        Thread thread = new Thread(() -> {
            try (consumer) {
                while (reading.get()) {
                    for (ConsumerRecord<String, byte[]> record : consumer.poll(Duration.ofMillis(20))) {
                        long now = System.currentTimeMillis();
                        if (record.key() != null && prefixes.stream().anyMatch(record.key()::startsWith)) {
                            seen.putIfAbsent(record.key(), now);
                        }
                    }
                }
            }
        }, "bench-decision-reader");
        thread.setDaemon(true);
        return thread;
    }

    private static long percentile(long[] sorted, double p) {
        if (sorted.length == 0) {
            return -1;
        }
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    // ---------------------------------------------------------------- burst

    /**
     * Reports of one post of one account through the whole pipeline. With BENCH_WARMUP_REPORTS (default 50,000; 0 for
     * none) a first burst of another account's post warms the pipeline up and is reported as the cold figure:
     * the measured burst hits a classifier that has run before, as in production.
     */
    private static Map<String, Object> burst(LocalStack stack, PrintStream out) throws Exception {
        int reports = integer("BENCH_REPORTS", 100_000);
        int warmup = integer("BENCH_WARMUP_REPORTS", 50_000);
        try (LocalPipeline pipeline = LocalPipeline.start(stack, Duration.ofMinutes(2), Bench.tunables())) {
            String applicationId = pipeline.environment("classifier").get("CLASSIFIER_APPLICATION_ID");
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("settings", Map.of("reports", reports, "warmup_reports", warmup, "tunables", Bench.tunables()));
            if (warmup > 0) {
                Map<String, Object> cold = oneBurst(stack, pipeline, applicationId, "viral-warmup-" + RUN, warmup, out);
                out.printf("(warm-up burst on another account, %,d reports)%n", warmup);
                json.put("burst.warmup", cold);
            }
            Map<String, Object> burst = oneBurst(stack, pipeline, applicationId, "viral-" + RUN, reports, out);
            burst.forEach((key, value) -> json.put("burst." + key, value));
            // both bursts' writes, read from the changelogs (a lower bound: compaction may have run)
            json.put("burst.state_stores", stateStores(stack, applicationId, reports + warmup, out));
            return json;
        }
    }

    /** One burst of one account's post, from the first record produced to the classifier's last commit, and what came of it. */
    private static Map<String, Object> oneBurst(LocalStack stack, LocalPipeline pipeline, String applicationId, String account,
            int reports, PrintStream out) throws Exception {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        config.put(ProducerConfig.ACKS_CONFIG, "all");
        config.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        config.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
        Instant start = Instant.now();
        try (KafkaProducer<String, Report> producer = new KafkaProducer<>(config, Topics.REPORTS.keySerde().serializer(),
                Topics.REPORTS.valueSerde(stack.registryClient()).serializer())) {
            for (int i = 0; i < reports; i++) {
                producer.send(new ProducerRecord<>(Topics.REPORTS.name(), account, Workload.hashMatch(account + "-" + i,
                        account, "post-" + account)));
            }
            producer.flush();
        }
        double produced = Duration.between(start, Instant.now()).toMillis() / 1000.0;
        double drained = awaitDrained(stack, applicationId, Topics.REPORTS.name(), start, Duration.ofMinutes(20)).fromStart();
        // what came of it, once enforcement and escalation have had time to act
        Thread.sleep(15_000);
        long decisions;
        try (var reader = stack.reader(Topics.DECISIONS)) {
            decisions = reader.settle(r -> account.equals(r.key()), Duration.ofSeconds(10)).size();
        }
        long actions = pipeline.platform().applied(account).size();
        long ncmec = pipeline.ncmec().finishedReports().stream().filter(r -> r.xml().contains(account)).count();
        out.printf("%nburst: %,d verified-match reports of one post of one account produced in %.1f s; the classifier consumed the "
                + "last %.1f s after the first was produced%n", reports, produced, drained);
        out.printf("%-14s %10s%n%-14s %10d%n%-14s %10d%n%-14s %10d%n", "produced", "count", "decisions", decisions,
                "actions", actions, "ncmec reports", ncmec);
        Map<String, Object> figures = new LinkedHashMap<>();
        figures.put("reports", reports);
        figures.put("produce_seconds", produced);
        figures.put("drain_seconds", drained);
        figures.put("decisions", decisions);
        figures.put("actions", actions);
        figures.put("ncmec_reports", ncmec);
        return figures;
    }

    // ---------------------------------------------------------------- shared

    /**
     * CPU time the Streams threads of an application have used so far (threads named after its client id, which
     * is its application id), in ns: the cost per report on a shared machine, where rates move 15-30% between
     * identical runs. -1 if none was found (a KAFKA_CLIENT_ID renamed them) or the JVM does not measure thread CPU.
     */
    private static long streamThreadCpuNanos(String applicationId) {
        java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
        long total = -1;
        for (java.lang.management.ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            long cpu = info == null || !info.getThreadName().startsWith(applicationId + "-StreamThread-") ? -1
                    : threads.getThreadCpuTime(info.getThreadId());
            if (cpu >= 0) {
                total = Math.max(total, 0) + cpu;
            }
        }
        return total;
    }

    /** Microseconds of CPU per report, one decimal; null when the CPU was not measured. */
    private static Double cpuPerReport(long nanos, int reports) {
        return nanos < 0 ? null : Math.round(nanos / 1000.0 / reports * 10) / 10.0;
    }

    /**
     * A bench classifier's environment, with an application id of its own (a fresh group, reading from the
     * start), and the sandboxes, credential files and state folder it points at: they stay until it is
     * closed, which deletes the folder (a classifier's RocksDB state here was up to 250 MB a run, left in /tmp).
     */
    private record ClassifierEnvironment(LocalPipeline sandboxes, Map<String, String> variables) implements AutoCloseable {
        static ClassifierEnvironment open(LocalStack stack, String suffix) {
            LocalPipeline sandboxes = LocalPipeline.sandboxesOnly(stack);
            Map<String, String> env = new HashMap<>(sandboxes.environment("classifier"));
            env.put("CLASSIFIER_APPLICATION_ID", "cse-classifier-bench-" + RUN + suffix);
            env.putAll(Bench.tunables());
            return new ClassifierEnvironment(sandboxes, env);
        }

        @Override
        public void close() {
            sandboxes.close();
        }
    }

    private static void awaitReady(ClassifierService classifier) throws InterruptedException {
        Instant deadline = Instant.now().plus(Duration.ofMinutes(2));
        while (!classifier.isReady()) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("classifier not ready within 2 minutes");
            }
            Thread.sleep(50);
        }
    }

    /**
     * How a group drained a topic: seconds from {@code start} to the last offset committed, and the rate
     * from its first commit to its last (records committed in between over that time), which leaves out
     * the group's start-up (joining, assignment, restoration).
     */
    record Drain(double fromStart, double perSecond, long records) {}

    /** Waits until the group {@code group} has committed every partition of {@code topic} up to its end (checked every 100 ms). */
    static Drain awaitDrained(LocalStack stack, String group, String topic, Instant start, Duration limit) throws Exception {
        try (Admin admin = stack.admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (int p = 0; p < admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size(); p++) {
                latest.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            Map<TopicPartition, Long> ends = new HashMap<>();
            admin.listOffsets(latest).all().get().forEach((tp, info) -> ends.put(tp, info.offset()));
            long total = ends.values().stream().mapToLong(Long::longValue).sum();
            Instant deadline = start.plus(limit);
            Instant first = null;
            long atFirst = 0;
            while (Instant.now().isBefore(deadline)) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
                Instant now = Instant.now();
                long done = ends.keySet().stream().mapToLong(tp -> committed.get(tp) == null ? 0
                        : Math.min(committed.get(tp).offset(), ends.get(tp))).sum();
                if (first == null && done > 0) {
                    first = now;
                    atFirst = done;
                }
                if (done >= total) {
                    double fromStart = Duration.between(start, now).toMillis() / 1000.0;
                    double steady = first == null || !now.isAfter(first) ? total / fromStart
                            : (total - atFirst) / (Duration.between(first, now).toMillis() / 1000.0);
                    return new Drain(fromStart, Math.round(steady), total);
                }
                Thread.sleep(100);
            }
            throw new IllegalStateException(group + " did not drain " + topic + " within " + limit);
        }
    }

    /**
     * What the classifier wrote to its stores and what they hold at the end, per store (the summary, the
     * incidents, the report ids, the index; see SplitHistory), read from their changelogs:
     * records and bytes written, entries and bytes held, the largest entry; and the bytes written per
     * input, the figure the ceiling's state size is set to.
     */
    private static Map<String, Object> stateStores(LocalStack stack, String applicationId, long inputs, PrintStream out) {
        Map<String, Object> figures = new LinkedHashMap<>();
        long written = 0;
        long records = 0;
        for (String store : ClassifierTopology.HISTORY_STORES) {
            Changelog changelog = changelog(stack, applicationId + "-" + store + "-changelog");
            long held = 0;
            long largest = 0;
            long entries = 0;
            for (byte[] value : changelog.latest().values()) {
                if (value != null) {
                    entries++;
                    held += value.length;
                    largest = Math.max(largest, value.length);
                }
            }
            Map<String, Object> one = new LinkedHashMap<>();
            one.put("records_written", changelog.records());
            one.put("bytes_written", changelog.bytes());
            one.put("entries", entries);
            one.put("bytes_held", held);
            one.put("largest_entry_bytes", largest);
            figures.put(store, one);
            written += changelog.bytes();
            records += changelog.records();
            out.printf("store %-18s written %,9d records %,13d B; holds %,8d entries %,12d B (largest %,d B)%n", store,
                    changelog.records(), changelog.bytes(), entries, held, largest);
        }
        figures.put("bytes_written_per_input", inputs == 0 ? 0 : written / inputs);
        figures.put("records_written_per_input", inputs == 0 ? 0 : Math.round(100.0 * records / inputs) / 100.0);
        return figures;
    }

    /** A changelog read once: the records and bytes of every value written (the state written), and each key's latest value. */
    private record Changelog(String topic, long records, long bytes, Map<String, byte[]> latest) {}

    private static Changelog changelog(LocalStack stack, String topic) {
        Map<String, Object> config = new HashMap<>(stack.clientConfig());
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        long records = 0;
        long bytes = 0;
        Map<String, byte[]> latest = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            Instant deadline = Instant.now().plus(Duration.ofMinutes(5));
            while (partitions.stream().anyMatch(p -> consumer.position(p) < ends.get(p)) && Instant.now().isBefore(deadline)) {
                for (ConsumerRecord<byte[], byte[]> record : consumer.poll(Duration.ofMillis(200))) {
                    latest.put(new String(record.key(), java.nio.charset.StandardCharsets.UTF_8), record.value());
                    if (record.value() != null) {
                        records++;
                        bytes += record.value().length;
                    }
                }
            }
        }
        return new Changelog(topic, records, bytes, latest);
    }

    /**
     * {@code BENCH_CEILING_MORE_WRITES}: a comma-separated list of counts (e.g. {@code 2,4}); for each, after the
     * measured pass, the ceiling again with that many more store reads and writes per report. Not the issue's
     * ceiling: an experiment on what the count of store operations costs. Empty by default.
     */
    private static List<Integer> extraWrites() {
        String list = System.getenv().getOrDefault("BENCH_CEILING_MORE_WRITES", "").trim();
        java.util.Set<Integer> counts = new java.util.LinkedHashSet<>();
        for (String count : list.isEmpty() ? new String[0] : list.split(",")) {
            counts.add(count("BENCH_CEILING_MORE_WRITES (a list such as 1,2,4)", count, 1));
        }
        return List.copyOf(counts);
    }

    /** A count from the environment: every one of the bench's is 0 or more, and anything else is refused by name. */
    private static int integer(String name, int otherwise) {
        return count(name, System.getenv().getOrDefault(name, Integer.toString(otherwise)), 0);
    }

    /** {@code text}, given as {@code name}, as a whole number of at least {@code least}; anything else is refused by name. */
    private static int count(String name, String text, int least) {
        int count;
        try {
            count = Integer.parseInt(text.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(name + " must be a whole number, not " + text.trim());
        }
        if (count < least) {
            throw new IllegalArgumentException(name + " must be " + least + " or more, not " + count);
        }
        return count;
    }

    /**
     * The reports of the classifier bench: accounts drawn from a Zipf distribution (repeat offenders
     * at its head), a share of verified hash matches (each a decision), a share of duplicates of a few
     * viral posts (one incident each, decided once), the rest user reports (review requests).
     */
    record Workload(int reports, int accounts, double zipf, double verifiedShare, double viralShare, int viralPosts, long seed) {
        static Workload fromEnvironment(int reports) {
            return new Workload(reports, integer("BENCH_ACCOUNTS", Math.max(1000, reports / 20)),
                    Double.parseDouble(System.getenv().getOrDefault("BENCH_ZIPF", "1.1")),
                    Double.parseDouble(System.getenv().getOrDefault("BENCH_VERIFIED_SHARE", "0.3")),
                    Double.parseDouble(System.getenv().getOrDefault("BENCH_VIRAL_SHARE", "0.1")), 5, 42);
        }

        Map<String, Object> describe() {
            return Map.of("accounts", accounts, "zipf_exponent", zipf, "verified_share", verifiedShare, "viral_share", viralShare,
                    "viral_posts", viralPosts, "seed", seed);
        }

        /** Produces the reports to {@code cse.reports.v1} as fast as the producer goes; returns its figures. */
        Map<String, Object> preload(LocalStack stack) throws Exception {
            double[] cumulative = new double[accounts];
            double sum = 0;
            for (int k = 0; k < accounts; k++) {
                sum += 1 / Math.pow(k + 1, zipf);
                cumulative[k] = sum;
            }
            Random random = new Random(seed);
            Map<String, Object> config = new HashMap<>(stack.clientConfig());
            config.put(ProducerConfig.ACKS_CONFIG, "all");
            config.put(ProducerConfig.LINGER_MS_CONFIG, 10);
            config.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
            long bytes = 0;
            int verified = 0;
            int viral = 0;
            Instant start = Instant.now();
            org.apache.kafka.common.serialization.Serializer<Report> serializer = Topics.REPORTS.valueSerde(stack.registryClient())
                    .serializer();
            try (KafkaProducer<String, byte[]> producer = new KafkaProducer<>(config, Topics.REPORTS.keySerde().serializer(),
                    new ByteArraySerializer())) {
                for (int i = 0; i < reports; i++) {
                    String id = "wl-" + RUN + "-" + i;
                    double roll = random.nextDouble();
                    Report report;
                    if (roll < viralShare) {
                        int post = random.nextInt(viralPosts);
                        String account = "wl-viral-" + RUN + "-" + post;
                        report = hashMatch(id, account, "viral-post-" + post);
                        viral++;
                    } else {
                        int index = Arrays.binarySearch(cumulative, random.nextDouble() * sum);
                        String account = "wl-" + RUN + "-acct-" + (index < 0 ? -index - 1 : index);
                        if (roll < viralShare + verifiedShare) {
                            report = hashMatch(id, account, "media-" + id);
                            verified++;
                        } else {
                            report = userReport(id, account, "post-" + id);
                        }
                    }
                    byte[] value = serializer.serialize(Topics.REPORTS.name(), report);
                    bytes += value.length;
                    producer.send(new ProducerRecord<>(Topics.REPORTS.name(), report.getAccountId(), value));
                }
                producer.flush();
            }
            Map<String, Object> figures = rate(reports, bytes, start);
            figures.put("average_report_bytes", bytes / Math.max(1, reports));
            figures.put("verified", verified);
            figures.put("viral_duplicates", viral);
            return figures;
        }

        static Report hashMatch(String reportId, String account, String contentId) {
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            return Report.newBuilder().setReportId(reportId).setAccountId(account)
                    .setReporter(Reporter.newBuilder().setKind(ReporterKind.HASH_MATCH).setMatchList("ncmec-verified-hashes")
                            .setMatchListVerified(true).build())
                    .setContent(List.of(ContentRef.newBuilder().setContentId(contentId).setKind(ContentKind.MEDIA)
                            .setUrl("https://platform.invalid/m/" + contentId)
                            .setHashes(List.of(new ContentHash("MD5", "%032x".formatted(contentId.hashCode() & 0xffffffffL)))).build()))
                    .setSourceService("hash-matcher").setReportedAt(now).setReceivedAt(now).build();
        }

        static Report userReport(String reportId, String account, String contentId) {
            Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
            return Report.newBuilder().setReportId(reportId).setAccountId(account)
                    .setReporter(Reporter.newBuilder().setKind(ReporterKind.SIGNED_IN_USER).setReporterId("user-" + reportId).build())
                    .setClaimedCategory(Category.VISUAL_DEPICTION)
                    .setContent(List.of(ContentRef.newBuilder().setContentId(contentId).setKind(ContentKind.POST)
                            .setUrl("https://platform.invalid/p/" + contentId).build()))
                    .setSourceService("web").setReportedAt(now).setReceivedAt(now).build();
        }
    }
}
