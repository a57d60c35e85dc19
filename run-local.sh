#!/usr/bin/env bash
# Runs the whole pipeline locally: a real Kafka broker (KRaft) and Apicurio schema registry as child
# processes, sandboxes of the platform, NCMEC and a hotline, the four services, and sample traffic.
# Ctrl-C stops everything. Needs only Java 17; the Maven wrapper fetches Maven and all dependencies.
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -q install -DskipTests
exec ./mvnw -B -q -pl deploy exec:java
