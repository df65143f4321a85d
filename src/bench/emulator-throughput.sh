#!/bin/sh
# Throughput of the local Azure emulator under the real Azure SDK: starts `imagebake emulator` on a fresh data folder
# (its own JVM), then runs src/bench/emulator/EmulatorThroughput.java with THREADS threads for SECONDS seconds: a mixed
# workload of SDK operations (70 % GETs of a resource group or VNet, 20 % NSG tag updates, 10 % public IP
# creations/deletions; updates and creations are LROs the SDK polls). Reports SDK operations/s, HTTP requests/s, and
# the server time per request (median/p90/p99 of the request log's "us", i.e. time spent in the emulator).
# Usage: src/bench/emulator-throughput.sh [SECONDS] [THREADS]   (default 20 s, 4 threads; EMULATOR_JAVA_OPTS for the
# emulator JVM, e.g. -XX:StartFlightRecording=filename=/tmp/emulator.jfr to profile it)
set -eu
seconds=${1:-20}
threads=${2:-4}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
dir=$(mktemp -d)
emulator_pid=
trap '[ -n "$emulator_pid" ] && kill "$emulator_pid" 2>/dev/null; rm -rf "$dir"' EXIT

cd "$root"
mvn -B -q -o compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$dir/cp" >/dev/null
cp="$root/target/classes:$(cat "$dir/cp")"

# Retry-After 0 lets the driver poll operations at once (its delay provider); Azure's 1 s would measure sleeping.
java ${EMULATOR_JAVA_OPTS:-} -cp "$cp" dev.imagebake.cli.Main emulator --data "$dir/data" --retry-after 0 > "$dir/emulator.out" 2>&1 &
emulator_pid=$!
i=0
until grep -q 'Ctrl-C' "$dir/emulator.out" 2>/dev/null; do
    i=$((i + 1)); [ $i -gt 300 ] && { echo "emulator did not start:" >&2; cat "$dir/emulator.out" >&2; exit 1; }
    sleep 0.1
done

echo "emulator-throughput: $threads threads, $seconds s, $(nproc) cores, $(java -version 2>&1 | head -1)"
java -cp "$cp" "$here/emulator/EmulatorThroughput.java" "$dir/data" "$seconds" "$threads"
