#!/usr/bin/env bash
# End-to-end benchmark on the embedded stack: hash-matched reports posted to intake at BENCH_RATE per
# second (default 100), BENCH_REPORTS of them (default 1000); prints startup time, throughput and
# p50/p95/p99/max latency from POST to 202, decision, suspension applied and NCMEC report finished.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -q install -DskipTests
exec ./mvnw -B -q -pl deploy exec:java@bench
