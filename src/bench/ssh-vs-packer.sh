#!/bin/sh
# Benchmarks for the engine and the SSH communicator, against peers measured in the same run (needs root for the
# test user, packer and openssh-server installed):
#   1. upload of a 200 MiB file: imagebake's transfer throughput against OpenSSH scp to the same sshd (imagebake's
#      time includes its check of the size and SHA-256 on the machine, which scp does not do);
#   2. a template of 20 inline shell steps, a 50 MiB upload and a shell-local step, via `builder ssh`, against
#      Packer 1.6.6's null builder running the equivalent JSON template: wall time and peak memory (RSS).
# Usage: src/bench/ssh-vs-packer.sh [ROUNDS]   (default 5; medians are reported)
set -eu
rounds=${1:-5}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
set -- $("$here/sshd-for-bench.sh"); port=$1; dir=$2
trap 'kill $(cat "$dir/sshd.pid") 2>/dev/null; rm -rf "$dir"' EXIT
work=$dir/work; mkdir -p "$work"
head -c 200M /dev/urandom > "$work/200m.bin"
head -c 50M /dev/urandom > "$work/50m.bin"
cp "$dir/client" "$work/id_ed25519"
fp=$(ssh-keygen -lf "$dir/host_ed25519.pub" | awk '{print $2}')
ssh_opts="-i $dir/client -o UserKnownHostsFile=$dir/known_hosts -o BatchMode=yes"

"$root/bin/imagebake" --version >/dev/null   # builds the jar if needed

builder="builder ssh { host '127.0.0.1'; port $port; user 'imagebake-test'; privateKey file('id_ed25519'); hostKey '$fp' }"
printf '%s\n%s\n' "$builder" "provision file { source '200m.bin'; destination '/tmp/ib-bench-200m.bin' }" \
    > "$work/upload.imagebake.groovy"
{
    echo "$builder"
    i=1; while [ $i -le 20 ]; do echo "provision shell { inline 'echo step $i' }"; i=$((i+1)); done
    echo "provision file { source '50m.bin'; destination '/tmp/ib-bench-50m.bin' }"
    echo "provision shellLocal { inline 'echo local' }"
} > "$work/steps.imagebake.groovy"
{
    printf '{"builders":[{"type":"null","ssh_host":"127.0.0.1","ssh_port":%s,"ssh_username":"imagebake-test",' "$port"
    printf '"ssh_private_key_file":"%s"}],"provisioners":[' "$dir/client"
    i=1; while [ $i -le 20 ]; do printf '{"type":"shell","inline":["echo step %s"]},' $i; i=$((i+1)); done
    printf '{"type":"file","source":"%s","destination":"/tmp/pk-bench-50m.bin"},' "$work/50m.bin"
    printf '{"type":"shell-local","inline":["echo local"]}]}\n'
} > "$work/steps.json"

now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
: > "$work/scp"; : > "$work/ssh0"; : > "$work/ib_up"; : > "$work/ib_up_wall"
: > "$work/ib"; : > "$work/pk"; : > "$work/ib_mem"; : > "$work/pk_mem"
i=0
while [ $i -lt "$rounds" ]; do
    t0=$(now); ssh $ssh_opts -p "$port" imagebake-test@127.0.0.1 true; t1=$(now)
    echo $(( (t1 - t0) / 1000000 )) >> "$work/ssh0"
    t0=$(now); scp -q $ssh_opts -P "$port" "$work/200m.bin" imagebake-test@127.0.0.1:/tmp/scp-bench-200m.bin; t1=$(now)
    echo $(( (t1 - t0) / 1000000 )) >> "$work/scp"
    t0=$(now); "$root/bin/imagebake" build "$work/upload.imagebake.groovy" > "$work/up.out"; t1=$(now)
    echo $(( (t1 - t0) / 1000000 )) >> "$work/ib_up_wall"
    sed -n 's/.*(200.0 MiB in \([0-9.]*\) s, .*/\1/p' "$work/up.out" | awk '{ print int($1 * 1000) }' >> "$work/ib_up"
    /usr/bin/time -f '%e %M' -o "$work/t" "$root/bin/imagebake" build "$work/steps.imagebake.groovy" > /dev/null
    awk '{ print int($1 * 1000) }' "$work/t" >> "$work/ib"; awk '{ print $2 }' "$work/t" >> "$work/ib_mem"
    /usr/bin/time -f '%e %M' -o "$work/t" packer build "$work/steps.json" > /dev/null
    awk '{ print int($1 * 1000) }' "$work/t" >> "$work/pk"; awk '{ print $2 }' "$work/t" >> "$work/pk_mem"
    i=$((i + 1))
done
scp_ms=$(median < "$work/scp"); ssh0=$(median < "$work/ssh0"); up_ms=$(median < "$work/ib_up")
up_wall=$(median < "$work/ib_up_wall")
ib=$(median < "$work/ib"); pk=$(median < "$work/pk"); ibm=$(median < "$work/ib_mem"); pkm=$(median < "$work/pk_mem")
echo "rounds: $rounds (interleaved), medians"
echo "1. 200 MiB upload"
echo "   scp end to end:                   ${scp_ms} ms (ssh connect+login alone: ${ssh0} ms)"
awk -v s="$scp_ms" -v c="$ssh0" -v u="$up_ms" 'BEGIN {
    printf "   scp transfer (minus login):       %.0f MiB/s\n", 200 / ((s - c) / 1000)
    printf "   imagebake transfer:               %.0f MiB/s (%s ms)\n", 200 / (u / 1000), u
    printf "   throughput ratio imagebake/scp:   %.2f (goal >= 0.9)\n", (s - c) / u }'
echo "   imagebake build end to end:       ${up_wall} ms (JVM start, connect, upload)"
echo "2. 20 shell steps + 50 MiB upload + shell-local"
echo "   imagebake build: ${ib} ms, peak RSS ${ibm} KiB"
echo "   packer build:    ${pk} ms, peak RSS ${pkm} KiB"
awk -v a="$ib" -v b="$pk" 'BEGIN { printf "   wall time ratio imagebake/packer: %.2f (goal <= 0.5)\n", a / b }'
ssh $ssh_opts -p "$port" imagebake-test@127.0.0.1 'rm -f /tmp/ib-bench-* /tmp/pk-bench-* /tmp/scp-bench-*'
