#!/usr/bin/env bash
# Benchmarks on the embedded stack; prints figures, asserts nothing.
#   ./bench.sh [stages]   hash-matched reports posted to intake at BENCH_RATE per second (default 100),
#                         BENCH_REPORTS of them (default 1000): startup time, throughput and p50/p95/p99/max
#                         latency from POST to 202, decision, suspension applied and NCMEC report finished.
#   ./bench.sh pipeline   each rate of BENCH_RATES (e.g. 150,200,250; default BENCH_RATE) for BENCH_SECONDS
#                         (default 60) with realistic API latencies and with ~1 ms sandboxes, until one is not
#                         held: sustained rates and latency_ratio, written as JSON to bench/results/ (after a
#                         BENCH_WARMUP_SECONDS warm-up, default 60).
#   ./bench.sh history    escalation alone: BENCH_REPORTS (default 3000) drained with an empty state, then with
#                         BENCH_HISTORY (default 1,000,000) earlier referrals in its state; rates, ratio, heap;
#                         written as JSON to bench/results/.
#   ./bench.sh baseline   the broker's raw produce/consume rate (BENCH_RECORDS of BENCH_RECORD_BYTES, default
#                         1,000,000 x 500 B) and the bare Kafka Streams read-modify-write ceiling on BENCH_REPORTS
#                         reports (default 50,000) with a BENCH_STATE_BYTES state (default 2048).
#   ./bench.sh classifier BENCH_REPORTS (default 50,000) pre-loaded on cse.reports.v1 (Zipf accounts, shares of
#                         verified matches and viral duplicates), the classifier's drain rate, what its stores
#                         were written, the ceiling on the same records, classifier.ratio_to_ceiling.
#   ./bench.sh latency    BENCH_RATE (default 1000) reports/s for BENCH_SECONDS (default 30, after
#                         BENCH_WARMUP_SECONDS of warm-up, default 90) to cse.reports.v1: p50/p99/p99.9/max
#                         from each scheduled send to its decision seen read_committed, p99 per fifth of the run.
#   ./bench.sh burst      BENCH_REPORTS (default 100,000) reports of one post of one account through the whole
#                         pipeline: decisions, actions, NCMEC reports, classifier drain time.
set -euo pipefail
cd "$(dirname "$0")"
export BENCH_MODE="${1:-${BENCH_MODE:-stages}}"
# The modes that measure the classifier run it in this JVM: give it the classifier's JVM options (its JAVA_OPTS in
# deploy/k8s/services.yaml and deploy/compose/docker-compose.yml): G1's default 200 ms pause goal let young
# collections pause it 57-150 ms, the tail of the latency mode. Options in MAVEN_OPTS come after, so they win.
# stages and pipeline keep the JVM defaults. The JSON records the JVM's options (machine.jvm_options).
case "$BENCH_MODE" in
  classifier|latency|burst) export MAVEN_OPTS="-XX:+UseG1GC -XX:MaxGCPauseMillis=20${MAVEN_OPTS:+ $MAVEN_OPTS}" ;;
esac
./mvnw -B -q install -DskipTests
exec ./mvnw -B -q -pl deploy exec:java@bench
