#!/bin/sh
# Benchmarks for the engine and the SSH communicator, against peers measured in the same run (needs root for the
# test user, packer and openssh-server installed):
#   1. upload of a 200 MiB file: imagebake's transfer throughput against OpenSSH scp to the same sshd (imagebake's
#      time includes its check of the size and SHA-256 on the machine, which scp does not do), and against OpenSSH
#      doing the same work as imagebake (ssh 'cat > f', then size and SHA-256 read back on the machine, while this
#      host hashes the file it sends);
#   2. a template of 20 inline shell steps, a 50 MiB upload and a shell-local step, via `builder ssh`, against
#      Packer 1.6.6's null builder running the equivalent JSON template: wall time and peak memory.
# Fairness and self-checks:
#   - one cipher for everyone: sshj (imagebake) prefers aes128-gcm@openssh.com (SshCommunicator.preferFastCiphers),
#     so scp/ssh get `-c aes128-gcm@openssh.com`; the sshd logs at DEBUG1 and the cipher every tool really
#     negotiated is read back from its log and printed (Packer's Go client picks its own, reported as seen);
#   - wall clock for every tool, taken by this script around the process (not imagebake's own log line);
#   - Packer runs with CHECKPOINT_DISABLE=1 (no update check over the network);
#   - every transferred file is removed before and checked by SHA-256 on the machine after each run, for every tool;
#     the 20 steps' output is checked to hold "step 20" and "local" for both;
#   - the order imagebake/packer alternates from round to round; medians of the rounds (at least 5);
#   - memory is the peak PSS summed over the whole process tree (Packer's plugin processes included), sampled every
#     50 ms from /proc/PID/smaps_rollup in separate runs, so the sampler does not disturb the timed runs.
# Usage: src/bench/ssh-vs-packer.sh [ROUNDS]   (default 5, at least 5; medians are reported)
#
# Figures (the machine was loaded: other Maven builds ran on its 2 cores during the run, so absolute times are
# noisy; the ratios from the same alternating run are what count):
#   src/bench/ssh-vs-packer.sh 5, 2026-12-07, JDK 25 (temurin), Packer 1.6.6, OpenSSH 9.2, load average 8-9:
#   cipher aes128-gcm@openssh.com for scp, imagebake and Packer (all read back from sshd's log); every file verified.
#                                  before (launcher ran build plain)   after (AOT cache + serial GC for build)
#   20 steps, imagebake / packer:  2721 / 2374 ms = 1.15x              2565 / 2747 ms = 0.93x (0.91x in a 2nd run)
#   peak tree PSS, imagebake:      149 MB vs Packer's 298 MB = 0.50x   160 MB vs 298 MB = 0.54x
#   200 MiB upload, scp vs imagebake (own log, with its SHA-256 check): 302 vs 122 MiB/s = 0.40 (0.27 before; noisy)
#   Quiet machine, same command, 2026-12-07 23:24 UTC, load 2.1 (after the change): 20 steps 1338 / 1701 ms = 0.79x;
#   peak tree PSS 227 MB vs 295 MB = 0.77x; 200 MiB upload 189 vs 518 MiB/s for scp = 0.36; same cipher everywhere.
#   Where imagebake's ~2.6-3.2 s go (same template, loaded): ~1.3 s JVM start and evaluation (what `validate` costs),
#   0.1-0.2 s connect and authenticate, 0.6-0.8 s for the 20 steps (one connection, one session per shell step,
#   20-40 ms a step), 0.7 s for the 50 MiB upload with its checks. The mapped AOT cache adds ~11 MB of PSS.
#   The goal (0.5x) is not reached: imagebake's start-up alone is about half of Packer's whole build.
#   2026-12-08, quiet machine (load 1.1-2.1 from this bench alone), src/bench/ssh-vs-packer.sh 7, 3 runs:
#     found first: the resume record's step hashes (stop 27) read and hashed the 50 MiB file before every build, on
#     a cold JVM (0.36 s), and the AOT cache's C1-only training profiles, replayed in build, halved upload speed
#     (200 MiB: 2.2 s against 1.1 s). Hashes are now taken only when a build fails, and build does not replay them.
#     before: 20 steps 1.74-1.94 s against Packer's 1.72-1.79 s = ~1.05x (single runs, same hour)
#     after:  1406 / 2081 ms = 0.68x; 1363 / 1996 ms = 0.68x; 1780 / 2311 ms = 0.77x (the VM slowed down meanwhile:
#             Packer's own median moved from 1.7 s to 2.3 s); PSS 158-161 MB against 295 MB = 0.54x.
#     200 MiB upload: OpenSSH doing the same work (cat, size and SHA-256 read back on the machine, SHA-256 here)
#     197 MiB/s, imagebake 167 MiB/s = 0.85 (scp, which checks nothing, 442 MiB/s).
#   Where the 1.4 s go now (quiet): ~550 ms JVM start, picocli and evaluation (Groovy's runtime and its indy call
#   sites), 110-200 ms connect (the key exchange's curve arithmetic runs interpreted; warming it on another thread
#   was tried and lost 170 ms on 2 cores), 20 steps at ~11 ms each after the first (~70 ms), which is what OpenSSH
#   takes for the same remote work over a multiplexed connection (11 ms), and ~320-450 ms for the 50 MiB upload,
#   of which ~110 ms is the SHA-256 read back on the machine.
set -eu
rounds=${1:-5}
[ "$rounds" -ge 5 ] || { echo "at least 5 rounds" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
command -v packer >/dev/null || { echo "packer is not installed" >&2; exit 2; }
set -- $(SSHD_LOG_LEVEL=DEBUG1 "$here/sshd-for-bench.sh"); port=$1; dir=$2
trap 'kill $(cat "$dir/sshd.pid") 2>/dev/null; rm -rf "$dir"' EXIT
work=$dir/work; mkdir -p "$work"
head -c 200M /dev/urandom > "$work/200m.bin"
head -c 50M /dev/urandom > "$work/50m.bin"
sum200=$(sha256sum < "$work/200m.bin" | cut -d' ' -f1)
sum50=$(sha256sum < "$work/50m.bin" | cut -d' ' -f1)
cp "$dir/client" "$work/id_ed25519"
fp=$(ssh-keygen -lf "$dir/host_ed25519.pub" | awk '{print $2}')
cipher=aes128-gcm@openssh.com
ssh_opts="-i $dir/client -o UserKnownHostsFile=$dir/known_hosts -o BatchMode=yes -c $cipher"
export CHECKPOINT_DISABLE=1
unset PACKER_LOG 2>/dev/null || true

"$root/bin/imagebake" --version >/dev/null   # builds the jar (and start-up cache) if needed

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

# Runs a command (output to $work/out) and prints the peak PSS in KiB of its whole process tree.
cat > "$work/treepss.py" <<'PY'
import os, subprocess, sys, time
def tree(root):
    kids = {}
    for p in os.listdir('/proc'):
        if p.isdigit():
            try:
                with open('/proc/%s/stat' % p) as f:
                    ppid = int(f.read().rsplit(')', 1)[1].split()[1])
                kids.setdefault(ppid, []).append(int(p))
            except (OSError, IndexError, ValueError):
                pass
    out, todo = [], [root]
    while todo:
        p = todo.pop(); out.append(p); todo.extend(kids.get(p, []))
    return out
def pss(pids):
    total = 0
    for p in pids:
        try:
            with open('/proc/%d/smaps_rollup' % p) as f:
                for line in f:
                    if line.startswith('Pss:'):
                        total += int(line.split()[1]); break
        except OSError:
            pass
    return total
with open(sys.argv[1], 'w') as out:
    child = subprocess.Popen(sys.argv[2:], stdout=out, stderr=subprocess.STDOUT)
    peak = 0
    while child.poll() is None:
        peak = max(peak, pss(tree(child.pid)))
        time.sleep(0.05)
print(peak)
sys.exit(child.returncode)
PY

remote() { ssh $ssh_opts -p "$port" imagebake-test@127.0.0.1 "$@"; }
clean() { remote 'rm -f /tmp/ib-bench-* /tmp/pk-bench-* /tmp/scp-bench-*'; }
# check FILE SUM: the file on the machine has the expected SHA-256
check() {
    got=$(remote "sha256sum < $1" | cut -d' ' -f1)
    [ "$got" = "$2" ] || { echo "FAILED: $1 on the machine has SHA-256 $got, expected $2" >&2; exit 1; }
}
# steps_ok OUT: the 20 steps and the local step ran
steps_ok() {
    grep -q 'step 20' "$1" && grep -q 'local' "$1" || { echo "FAILED: steps missing in the output of $2" >&2; exit 1; }
}
# ciphers NAME: the distinct ciphers the sshd saw since the log was last truncated, recorded for NAME
ciphers() {
    sed -n 's/.*kex: client->server cipher: \([^ ]*\).*/\1/p' "$dir/sshd.log" | sort -u | tr '\n' ' ' >> "$work/cipher.$1"
    echo >> "$work/cipher.$1"
    : > "$dir/sshd.log"
}
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

run_ib() {
    clean; : > "$dir/sshd.log"
    t0=$(now); "$root/bin/imagebake" build "$work/steps.imagebake.groovy" > "$work/out" 2>&1; t1=$(now)
    ciphers ib; ms "$t0" "$t1" >> "$work/ib"
    steps_ok "$work/out" imagebake; check /tmp/ib-bench-50m.bin "$sum50"
    clean
    (cd "$work" && python3 treepss.py "$work/out" "$root/bin/imagebake" build "$work/steps.imagebake.groovy") >> "$work/ib_mem"
    steps_ok "$work/out" imagebake; check /tmp/ib-bench-50m.bin "$sum50"
}
run_pk() {
    clean; : > "$dir/sshd.log"
    t0=$(now); packer build "$work/steps.json" > "$work/out" 2>&1; t1=$(now)
    ciphers pk; ms "$t0" "$t1" >> "$work/pk"
    steps_ok "$work/out" packer; check /tmp/pk-bench-50m.bin "$sum50"
    clean
    (cd "$work" && python3 treepss.py "$work/out" packer build "$work/steps.json") >> "$work/pk_mem"
    steps_ok "$work/out" packer; check /tmp/pk-bench-50m.bin "$sum50"
}

for f in scp same ssh0 ib_up ib_up_wall ib pk ib_mem pk_mem cipher.scp cipher.same cipher.ib_up cipher.ib cipher.pk; do : > "$work/$f"; done
i=0
while [ $i -lt "$rounds" ]; do
    # 1. upload (order alternates too)
    t0=$(now); remote true; t1=$(now); ms "$t0" "$t1" >> "$work/ssh0"
    clean
    up_scp() {
        : > "$dir/sshd.log"; t0=$(now); scp -q $ssh_opts -P "$port" "$work/200m.bin" imagebake-test@127.0.0.1:/tmp/scp-bench-200m.bin; t1=$(now)
        ciphers scp; ms "$t0" "$t1" >> "$work/scp"; check /tmp/scp-bench-200m.bin "$sum200"
    }
    # OpenSSH doing what imagebake's upload does: the bytes into cat on the machine, then their size and SHA-256
    # read back there, while this host hashes the file it sends (imagebake hashes what it sends as it goes).
    up_same() {
        : > "$dir/sshd.log"; t0=$(now)
        sha256sum < "$work/200m.bin" > "$work/same.local" &
        remote 'f=/tmp/scp-bench-same.bin; cat > "$f" && wc -c < "$f" && sha256sum < "$f"' < "$work/200m.bin" > "$work/same.out"
        wait; t1=$(now)
        ciphers same; ms "$t0" "$t1" >> "$work/same"
        [ "$(sed -n 2p "$work/same.out" | cut -d' ' -f1)" = "$sum200" ] && [ "$(cut -d' ' -f1 "$work/same.local")" = "$sum200" ] \
            || { echo "FAILED: OpenSSH same-work upload did not verify" >&2; exit 1; }
        remote 'rm -f /tmp/scp-bench-same.bin'
    }
    up_ib() {
        : > "$dir/sshd.log"; t0=$(now); "$root/bin/imagebake" build "$work/upload.imagebake.groovy" > "$work/up.out" 2>&1; t1=$(now)
        ciphers ib_up; ms "$t0" "$t1" >> "$work/ib_up_wall"; check /tmp/ib-bench-200m.bin "$sum200"
        sed -n 's/.*(200.0 MiB in \([0-9.]*\) s, .*/\1/p' "$work/up.out" | awk '{ print int($1 * 1000) }' >> "$work/ib_up"
    }
    if [ $((i % 2)) -eq 0 ]; then up_scp; up_same; up_ib; run_ib; run_pk; else up_ib; up_same; up_scp; run_pk; run_ib; fi
    clean
    i=$((i + 1))
done
scp_ms=$(median < "$work/scp"); same_ms=$(median < "$work/same"); ssh0=$(median < "$work/ssh0"); up_ms=$(median < "$work/ib_up")
up_wall=$(median < "$work/ib_up_wall")
ib=$(median < "$work/ib"); pk=$(median < "$work/pk"); ibm=$(median < "$work/ib_mem"); pkm=$(median < "$work/pk_mem")
seen() { sort -u "$work/cipher.$1" | tr "\n" " " | tr -s " " | sed "s/ *$//"; }
echo "rounds: $rounds (order alternating), medians; $(date -u '+%Y-%m-%d %H:%M UTC'); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "ciphers seen by sshd: scp: $(seen scp); ssh same work: $(seen same); imagebake upload: $(seen ib_up); imagebake steps: $(seen ib); packer: $(seen pk)"
echo "all transferred files verified by SHA-256 on the machine after each run"
echo "1. 200 MiB upload"
echo "   scp end to end:                   ${scp_ms} ms (ssh connect+login alone: ${ssh0} ms)"
awk -v s="$scp_ms" -v c="$ssh0" -v u="$up_ms" -v w="$same_ms" 'BEGIN {
    printf "   scp transfer (minus login):       %.0f MiB/s\n", 200 / ((s - c) / 1000)
    printf "   ssh, same work as imagebake:      %.0f MiB/s (%s ms minus login: cat, then size and SHA-256 read back\n", 200 / ((w - c) / 1000), w
    printf "                                     on the machine, SHA-256 here meanwhile)\n"
    printf "   imagebake transfer (own log):     %.0f MiB/s (%s ms, with its SHA-256 check)\n", 200 / (u / 1000), u
    printf "   throughput ratio imagebake/scp:   %.2f (goal >= 0.9; scp checks nothing)\n", (s - c) / u
    printf "   ratio imagebake/ssh same work:    %.2f\n", (w - c) / u }'
echo "   imagebake build end to end:       ${up_wall} ms wall (JVM start, connect, upload, check)"
echo "2. 20 shell steps + 50 MiB upload + shell-local"
echo "   imagebake build: ${ib} ms wall, peak tree PSS ${ibm} KiB"
echo "   packer build:    ${pk} ms wall, peak tree PSS ${pkm} KiB"
awk -v a="$ib" -v b="$pk" -v m="$ibm" -v n="$pkm" 'BEGIN {
    printf "   wall time ratio imagebake/packer: %.2f (goal <= 0.5)\n", a / b
    printf "   PSS ratio imagebake/packer:       %.2f (goal <= 1.0)\n", m / n }'
