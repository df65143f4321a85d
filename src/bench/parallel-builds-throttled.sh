#!/bin/sh
# 20 builds of one template at once against the emulator with ARM throttling on (token buckets per subscription,
# 429 + Retry-After) and the realistic latency profile, against a single build of the same shape, in the same run.
#
#   src/bench/parallel-builds-throttled.sh [BUILDS] [TIME_SCALE]     (defaults 20, 0.05)
#
# Goal: all succeed, and the wall time of the parallel run is within 1.5x of the single build.
#
# Measured (2 cores, time scale 0.05, 2026-11-27): 20 builds 26.8 s against 23.4 s for one, ratio 1.15; 10 builds
# ratio 1.07. Before the credentials had a token pool of their own (AzureCloud), 20 builds took 215 s (ratio 8.1):
# 20 sign-ins filled azure-core's shared pool (10 threads per core) with token requests whose replies were read
# on that same pool, so "sign in to Azure" sat out the 90 s read timeout twice. 10 builds were unaffected.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
builds=${1:-20}
scale=${2:-0.05}
work=$(mktemp -d /tmp/imagebake-bench-parallel-XXXXXX)
trap 'kill $emu 2>/dev/null || true; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
"$here/bin/imagebake" --version >/dev/null
jar="$here/target/imagebake.jar"
java -jar "$jar" emulator --data "$work/emulator" --vms SANDBOX --latency realistic --time-scale "$scale" --throttle \
    >"$work/emulator.log" 2>&1 &
emu=$!
while [ ! -s "$work/emulator/cloud.json" ]; do sleep 0.2; done
java -cp "$jar" groovy.ui.GroovyMain -e "
import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
def c = new dev.imagebake.builder.azure.AzureClients(dev.imagebake.builder.azure.AzureCloud.resolve(
        dev.imagebake.plan.AzureBuilderSpec.Auth.DEFAULT, java.nio.file.Path.of('$work/emulator/cloud.json'),
        java.nio.file.Path.of('.'), [:]))
c.resources().getResourceGroups().createOrUpdate('images', new ResourceGroupInner().withLocation('westeurope'))
" >/dev/null 2>&1
template() {
    cat <<T
def count = $1
(1..count).each { i ->
    builder azure("b\${i}") {
        location 'westeurope'
        vmSize 'Standard_B1s'
        source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
        managedImage "web-$2-\${i}", resourceGroup: 'images'
    }
}
provision shell { inline 'echo provisioned' }
T
}
template 1 single >"$work/one.imagebake.groovy"
template "$builds" many >"$work/many.imagebake.groovy"
run() {
    start=$(date +%s%N)
    status=0
    java -jar "$jar" build --cloud "$work/emulator/cloud.json" "$work/$1.imagebake.groovy" >"$work/$1.log" 2>&1 || status=$?
    end=$(date +%s%N)
    echo "$(( (end - start) / 1000000 )) $status"
}
set -- $(run one); one_ms=$1; one_status=$2
set -- $(run many); many_ms=$1; many_status=$2
succeeded=$(grep -c " succeeded " "$work/many.log" || true)
throttled=$(grep -c '"status":429' "$work/emulator/requests.log" || true)
echo "single build:            ${one_ms} ms (exit ${one_status})"
echo "${builds} builds at once:     ${many_ms} ms (exit ${many_status}, ${succeeded} succeeded)"
echo "429 answers (throttled): ${throttled}"
awk -v a="$many_ms" -v b="$one_ms" 'BEGIN { printf "ratio (goal <= 1.5):     %.2f\n", a / b }'
