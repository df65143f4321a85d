#!/bin/sh
# The azure builder's wall time against two limits, on the emulator's `realistic` latency profile (Azure's typical
# durations, scaled), both from the same run:
#
#   src/bench/bake-vs-critical-path.sh [TIME_SCALE]     (default 0.1: the serial sum is 77.6 s)
#
# Serial sum (profile seconds, see LatencyProfile): the ARM operations of a bake one after another: network 3 (NSG,
# VNet, public IP in parallel) + NIC 3 + VM 30 + deallocate 40 + managed image 10 + gallery version 255 per region
# x 2 + resource group delete 180 = 776. Resource group create and generalize are synchronous.
# Critical path with overlap: the temporary group's deletion starts as soon as the gallery version is being made
# from the managed image (nothing in the group is needed any more) and runs while the version replicates, so the
# tail is max(510, 180) and the path is 776 - 180 = 596. Sign-in, SSH and the one-line provisioning step are not
# ARM operations and are counted against imagebake.
# Three runs at the default scale on the shared 2-core machine (load 3-7 from other work), after the overlap:
# 69.9, 67.1, 74.8 s: 0.90, 0.86, 0.96 of the serial sum, 1.17, 1.13, 1.25 of the critical path with overlap
# (before it, 84.8 s: 1.09 of the serial sum). The rest is not ARM time: start-up and sign-in (2-6 s under load),
# the 1 s polling that Retry-After asks for on the short network operations (2.8 s for 0.6 s of operations), SSH.
# At this scale that is 0.08-0.15 of the serial sum, so 0.8 is out of reach while the VM is deallocated (40 s)
# rather than powered off (4 s), which Azure does not document as enough for generalize (src/docs/azure-builder.md).
# At Azure's own durations (scale 1.0), where start-up and polling weigh as they do against real Azure:
#   src/bench/bake-vs-critical-path.sh 1.0, 2026-12-08 01:13-01:24 UTC, while the test suite ran on the same 2 cores:
#   608.8 s: 0.78 of the serial sum (776 s), 1.02 of the critical path with overlap (596 s). Sign-in took 4.2 s,
#   the network 7.0 s (3 + 3 s of operations), the VM 30.8 s, deallocate and generalize 40.7 s, the image 10.3 s, the
#   version 8 min 30 s, with the group's deletion inside it.
# The run is checked, not only timed: the emulator's requests.log must show the group's DELETE before the version's
# last status poll, and the group must be gone at the end.
set -eu
here=$(cd "$(dirname "$0")/../.." && pwd)
scale=${1:-0.1}
work=$(mktemp -d /tmp/imagebake-bench-bake-XXXXXX)
trap 'kill $emu 2>/dev/null || true; rm -rf "$work"' EXIT
"$here/bin/imagebake" --version >/dev/null
jar="$here/target/imagebake.jar"
java -jar "$jar" emulator --data "$work/emulator" --vms SANDBOX --latency realistic --time-scale "$scale" \
    >"$work/emulator.log" 2>&1 &
emu=$!
while [ ! -s "$work/emulator/cloud.json" ]; do sleep 0.2; done
java -cp "$jar" groovy.ui.GroovyMain -e "
import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
import com.azure.resourcemanager.compute.fluent.models.*
import com.azure.resourcemanager.compute.models.*
def c = new dev.imagebake.builder.azure.AzureClients(dev.imagebake.builder.azure.AzureCloud.resolve(
        dev.imagebake.plan.AzureBuilderSpec.Auth.DEFAULT, java.nio.file.Path.of('$work/emulator/cloud.json'),
        java.nio.file.Path.of('.'), [:]))
c.resources().getResourceGroups().createOrUpdate('images', new ResourceGroupInner().withLocation('westeurope'))
c.compute().getGalleries().createOrUpdate('images', 'corp', new GalleryInner().withLocation('westeurope'))
c.compute().getGalleryImages().createOrUpdate('images', 'corp', 'web', new GalleryImageInner().withLocation('westeurope')
    .withOsType(OperatingSystemTypes.LINUX).withOsState(OperatingSystemStateTypes.GENERALIZED)
    .withHyperVGeneration(HyperVGeneration.V2)
    .withIdentifier(new GalleryImageIdentifier().withPublisher('p').withOffer('o').withSku('s')))
" >/dev/null 2>&1
cat >"$work/t.imagebake.groovy" <<'T'
builder azure {
    location 'westeurope'
    vmSize 'Standard_B1s'
    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')
    managedImage 'web', resourceGroup: 'images'
    gallery 'corp', resourceGroup: 'images', image: 'web', version: '1.0.0', regions: [westeurope: 1, northeurope: 1]
}
provision shell { inline 'echo provisioned' }
T
start=$(date +%s%N)
java -jar "$jar" build --cloud "$work/emulator/cloud.json" "$work/t.imagebake.groovy" >"$work/build.log" 2>&1
end=$(date +%s%N)
wall_ms=$(( (end - start) / 1000000 ))
log="$work/emulator/requests.log"
delete_at=$(grep -in '"DELETE"' "$log" | grep -i '/resourcegroups/imagebake-[^/"]*"' | head -1 | cut -d: -f1)
version_done_at=$(grep -in '/capsOperations/' "$log" | tail -1 | cut -d: -f1)
if [ -z "$delete_at" ] || [ -z "$version_done_at" ] || [ "$delete_at" -gt "$version_done_at" ]; then
    echo "the resource group's deletion did not overlap the gallery version's replication" >&2
    exit 1
fi
if grep -q 'left behind' "$work/build.log" || ! grep -q 'finished in' "$work/build.log"; then
    echo "the build did not finish cleanly:" >&2
    cat "$work/build.log" >&2
    exit 1
fi
awk -v wall="$wall_ms" -v scale="$scale" 'BEGIN {
    serial = 776 * scale * 1000
    path = 596 * scale * 1000
    printf "serial sum (ARM operations one after another):     %.0f ms\n", serial
    printf "critical path with overlap (group deleted during replication): %.0f ms\n", path
    printf "imagebake build, wall time:                        %d ms\n", wall
    printf "ratio to the serial sum (goal <= 0.8):             %.2f\n", wall / serial
    printf "ratio to the critical path with overlap:           %.2f\n", wall / path
}'
grep -E "done in|finished in|removal of resource group" "$work/build.log" | sed 's/^/  /'
