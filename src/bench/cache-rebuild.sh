#!/bin/sh
# The step cache's payoff: after a full build, the same 20-step template with only its last step edited, against a
# build of that edited template from scratch (--no-cache), on the emulator's `realistic` latency profile (Azure's
# typical durations times TIME_SCALE) with real machines (sshd in sandboxes).
#
#   src/bench/cache-rebuild.sh [ROUNDS] [TIME_SCALE]     (default 3 rounds, scale 0.1)
#
# Each step does STEP_SECONDS of work (default 60 s x TIME_SCALE: a package install, scaled like the cloud's
# operations) and writes a file of its own. Per round, in one emulator:
#   1. full:    the template, cache on, with a cache resource group of its own (a miss: 20 snapshots are made);
#   2. rebuild: the template with step 20 edited, cache on (a hit at step 19: only step 20 runs);
#   3. scratch: the edited template with --no-cache (what the rebuild replaces).
# The order of 2 and 3 alternates from round to round. Checks: every build exits 0; the rebuild's log says it
# started from the snapshot after step 19 and ran step 20 only; a VM from the rebuild's image and one from the
# scratch image show the same files (SHA-256 of every file the steps wrote, and the steps' log), over SSH.
# Reported: medians of wall time (taken around each process) and the ratios rebuild/scratch (goal <= 0.3) and
# full/scratch (what caching costs the first build).
#
# Figures: src/bench/cache-rebuild.sh 3 0.1, 2026-12-08 00:49-01:10 UTC, JDK 25, 2 cores loaded by other builds
# and specs (load 3-7), step work 6 s; every round's rebuild started from the snapshot after step 19, and a VM from
# its image showed the same 40 lines (20 files' SHA-256 and the steps' log) as a VM from the scratch build's image:
#   round 1: full 160.8 s, rebuild 46.9 s, scratch 154.0 s
#   round 2: full 156.5 s, rebuild 42.5 s, scratch 160.0 s
#   round 3: full 157.4 s, rebuild 43.9 s, scratch 155.9 s
#   medians: rebuild / scratch = 0.28 (goal <= 0.3); full with cache / scratch = 1.01 (snapshots cost ~1%).
# What the rebuild still spends (profile seconds x 0.1): deleting the temporary resource group 18 s, deallocating
# 4 s, creating the VM 3 s, the managed image 1 s, the disk copy and run command ~1 s, the one step 6 s, and
# imagebake's start, sign-in and SSH. With longer steps (a 40-minute template) the ratio falls further.
set -eu
rounds=${1:-3}
scale=${2:-0.1}
here=$(cd "$(dirname "$0")/../.." && pwd)
step_seconds=${STEP_SECONDS:-$(awk -v s="$scale" 'BEGIN { printf "%g", 60 * s }')}
work=$(mktemp -d /tmp/imagebake-bench-cache-XXXXXX)
trap 'kill $emu 2>/dev/null || true; rm -rf "$work"' EXIT
"$here/bin/imagebake" --version >/dev/null
jar="$here/target/imagebake.jar"
java -jar "$jar" emulator --data "$work/emulator" --vms SANDBOX --latency realistic --time-scale "$scale" \
    >"$work/emulator.log" 2>&1 &
emu=$!
while [ ! -s "$work/emulator/cloud.json" ]; do sleep 0.2; done
cloud="$work/emulator/cloud.json"
ssh-keygen -q -t ed25519 -N '' -f "$work/checker"

template() { # $1 cache setting, $2 image name, $3 text of the last step
    {
        echo "builder azure {"
        echo "    location 'westeurope'"
        echo "    vmSize 'Standard_B1s'"
        echo "    source marketplace('Canonical', '0001-com-ubuntu-server-jammy', '22_04-lts-gen2')"
        echo "    managedImage '$2', resourceGroup: 'images'"
        echo "    $1"
        echo "}"
        i=1
        while [ $i -le 19 ]; do
            echo "provision shell { inline 'sleep $step_seconds', 'seq 1 $((i * 5000)) | sudo tee /opt/bench-step-$i >/dev/null', 'echo step $i | sudo tee -a /var/log/bench-steps' }"
            i=$((i + 1))
        done
        echo "provision shell { inline 'sleep $step_seconds', 'echo $3 | sudo tee /opt/bench-step-20', 'echo step 20 $3 | sudo tee -a /var/log/bench-steps' }"
    }
}

# A VM from the image, and what it holds: the SHA-256 of every file the steps wrote, and the steps' log.
inspect() { # $1 image name, $2 VM name
    java -cp "$jar" groovy.ui.GroovyMain -e "
import com.azure.resourcemanager.compute.fluent.models.*
import com.azure.resourcemanager.compute.models.*
import com.azure.resourcemanager.network.fluent.models.*
import com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner
def c = new dev.imagebake.builder.azure.AzureClients(dev.imagebake.builder.azure.AzureCloud.resolve(
        dev.imagebake.plan.AzureBuilderSpec.Auth.DEFAULT, java.nio.file.Path.of('$cloud'), java.nio.file.Path.of('.'), [:]))
def sub = c.cloud().subscription()
c.resources().getResourceGroups().createOrUpdate('check', new ResourceGroupInner().withLocation('westeurope'))
def net = c.network()
net.getVirtualNetworks().createOrUpdate('check', 'vnet', new VirtualNetworkInner().withLocation('westeurope')
    .withAddressSpace(new com.azure.resourcemanager.network.models.AddressSpace().withAddressPrefixes(['10.0.0.0/16']))
    .withSubnets([new SubnetInner().withName('default').withAddressPrefix('10.0.0.0/24')]))
def subnet = net.getSubnets().get('check', 'vnet', 'default')
def pip = net.getPublicIpAddresses().createOrUpdate('check', 'pip-$2', new PublicIpAddressInner().withLocation('westeurope')
    .withPublicIpAllocationMethod(com.azure.resourcemanager.network.models.IpAllocationMethod.STATIC))
def nic = net.getNetworkInterfaces().createOrUpdate('check', 'nic-$2', new NetworkInterfaceInner().withLocation('westeurope')
    .withIpConfigurations([new NetworkInterfaceIpConfigurationInner().withName('ip').withSubnet(subnet).withPublicIpAddress(pip)]))
def image = c.compute().getImages().getByResourceGroup('images', '$1')
c.compute().getVirtualMachines().createOrUpdate('check', '$2', new VirtualMachineInner().withLocation('westeurope')
    .withHardwareProfile(new HardwareProfile().withVmSize(VirtualMachineSizeTypes.fromString('Standard_B1s')))
    .withStorageProfile(new StorageProfile().withImageReference(new ImageReference().withId(image.id())))
    .withOsProfile(new OSProfile().withComputerName('$2').withAdminUsername('checker').withLinuxConfiguration(
        new LinuxConfiguration().withDisablePasswordAuthentication(true).withSsh(new SshConfiguration().withPublicKeys(
            [new SshPublicKey().withPath('/home/checker/.ssh/authorized_keys').withKeyData(new File('$work/checker.pub').text.trim())]))))
    .withNetworkProfile(new NetworkProfile().withNetworkInterfaces([new NetworkInterfaceReference().withId(nic.id()).withPrimary(true)])))
def ip = net.getPublicIpAddresses().getByResourceGroup('check', 'pip-$2')
def vm = c.compute().getVirtualMachines().getByResourceGroup('check', '$2')
println ip.ipAddress() + ' ' + (vm.tags()?.get('imagebake-emulator-ssh-port') ?: '22')
" >"$work/$2.address" 2>"$work/$2.err" || { cat "$work/$2.err" >&2; exit 1; }
    set -- "$1" "$2" $(cat "$work/$2.address")
    n=0
    until ssh -q -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -i "$work/checker" \
        -p "$4" "checker@$3" 'sha256sum /opt/bench-step-*; cat /var/log/bench-steps' >"$work/$2.seen" 2>/dev/null; do
        n=$((n + 1)); [ $n -lt 300 ] || { echo "no SSH to the VM from $1" >&2; exit 1; }; sleep 0.2
    done
}

timed() { # $1 label, rest: build arguments; prints milliseconds
    label=$1; shift
    start=$(date +%s%N)
    if ! java -jar "$jar" build --cloud "$cloud" "$@" >"$work/$label.log" 2>&1; then
        echo "build $label failed:" >&2; tail -30 "$work/$label.log" >&2; exit 1
    fi
    end=$(date +%s%N)
    echo $(( (end - start) / 1000000 ))
}

java -cp "$jar" groovy.ui.GroovyMain -e "
def c = new dev.imagebake.builder.azure.AzureClients(dev.imagebake.builder.azure.AzureCloud.resolve(
        dev.imagebake.plan.AzureBuilderSpec.Auth.DEFAULT, java.nio.file.Path.of('$cloud'), java.nio.file.Path.of('.'), [:]))
c.resources().getResourceGroups().createOrUpdate('images', new com.azure.resourcemanager.resources.fluent.models.ResourceGroupInner().withLocation('westeurope'))
" >/dev/null 2>&1

: >"$work/full.ms"; : >"$work/rebuild.ms"; : >"$work/scratch.ms"
r=1
while [ $r -le "$rounds" ]; do
    mkdir -p "$work/r$r"
    template "cache resourceGroup: 'bench-cache-$r'" "full-$r" "edit-0" >"$work/r$r/full.imagebake.groovy"
    template "cache resourceGroup: 'bench-cache-$r'" "rebuild-$r" "edit-$r" >"$work/r$r/rebuild.imagebake.groovy"
    template "cache resourceGroup: 'bench-cache-$r'" "scratch-$r" "edit-$r" >"$work/r$r/scratch.imagebake.groovy"
    timed "full-$r" "$work/r$r/full.imagebake.groovy" >>"$work/full.ms"
    grep -q "cache: miss" "$work/full-$r.log" || { echo "round $r: the first build was not a miss" >&2; exit 1; }
    if [ $((r % 2)) -eq 1 ]; then
        timed "rebuild-$r" "$work/r$r/rebuild.imagebake.groovy" >>"$work/rebuild.ms"
        timed "scratch-$r" --no-cache "$work/r$r/scratch.imagebake.groovy" >>"$work/scratch.ms"
    else
        timed "scratch-$r" --no-cache "$work/r$r/scratch.imagebake.groovy" >>"$work/scratch.ms"
        timed "rebuild-$r" "$work/r$r/rebuild.imagebake.groovy" >>"$work/rebuild.ms"
    fi
    grep -q "holds steps 1-19 of 20; the VM starts from it and runs from step 20" "$work/rebuild-$r.log" \
        || { echo "round $r: the rebuild did not start from the snapshot after step 19" >&2; exit 1; }
    [ "$(grep -c 'from the cache: snapshot' "$work/rebuild-$r.log")" -eq 19 ] \
        || { echo "round $r: the rebuild did not leave out steps 1-19" >&2; exit 1; }
    inspect "rebuild-$r" "vm-rebuild-$r"
    inspect "scratch-$r" "vm-scratch-$r"
    if ! cmp -s "$work/vm-rebuild-$r.seen" "$work/vm-scratch-$r.seen"; then
        echo "round $r: the images differ:" >&2; diff "$work/vm-rebuild-$r.seen" "$work/vm-scratch-$r.seen" >&2; exit 1
    fi
    [ "$(grep -c '^step ' "$work/vm-rebuild-$r.seen")" -eq 20 ] || { echo "round $r: not 20 steps in the image" >&2; exit 1; }
    echo "round $r: full $(sed -n "${r}p" "$work/full.ms") ms, rebuild $(sed -n "${r}p" "$work/rebuild.ms") ms," \
        "scratch $(sed -n "${r}p" "$work/scratch.ms") ms; images equal ($(grep -c . "$work/vm-rebuild-$r.seen") lines compared)"
    r=$((r + 1))
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
full=$(median "$work/full.ms"); rebuild=$(median "$work/rebuild.ms"); scratch=$(median "$work/scratch.ms")
echo "step work ${step_seconds} s, time scale $scale, $rounds round(s), medians:"
echo "  full build, cache on (miss, 20 snapshots):  $full ms"
echo "  rebuild, last step edited (hit at step 19):  $rebuild ms"
echo "  same edited template from scratch:           $scratch ms"
awk -v r="$rebuild" -v s="$scratch" -v f="$full" 'BEGIN {
    printf "  rebuild / scratch (goal <= 0.3):            %.2f\n", r / s
    printf "  full with cache / scratch (cost of caching): %.2f\n", f / s
}'
