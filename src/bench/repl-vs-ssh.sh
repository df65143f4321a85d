#!/bin/sh
# Benchmark for the REPL: the time from pressing Enter on a one-line `provision shell` to its first output line, in a
# REPL session already connected to a loopback OpenSSH sshd (piped input, as a script drives it), against
#   a. `ssh host echo ...` with OpenSSH, a fresh connection each time (as a user would type it), and
#   b. the same over a ControlMaster connection that is already open (OpenSSH's fastest case).
# Each figure is the time from writing the line (or starting ssh) to reading the first output line. Needs root (for
# the test user) and openssh-server. Usage: src/bench/repl-vs-ssh.sh [ROUNDS]   (default 30; medians reported)
set -eu
rounds=${1:-30}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
set -- $("$here/sshd-for-bench.sh"); port=$1; dir=$2
trap 'ssh -S "$dir/cm" -O exit x 2>/dev/null || true; kill $(cat "$dir/sshd.pid") 2>/dev/null; rm -rf "$dir"' EXIT
work=$dir/work; mkdir -p "$work"
cp "$dir/client" "$work/id_ed25519"
fp=$(ssh-keygen -lf "$dir/host_ed25519.pub" | awk '{print $2}')

"$root/bin/imagebake" --version >/dev/null   # builds the jar if needed

BENCH_PORT=$port BENCH_DIR=$dir BENCH_FP=$fp BENCH_ROUNDS=$rounds BENCH_ROOT=$root python3 - <<'PY'
import os, statistics, subprocess, time

port, d, fp = os.environ['BENCH_PORT'], os.environ['BENCH_DIR'], os.environ['BENCH_FP']
rounds, root = int(os.environ['BENCH_ROUNDS']), os.environ['BENCH_ROOT']
work = d + '/work'
ssh = ['ssh', '-i', d + '/client', '-o', 'UserKnownHostsFile=' + d + '/known_hosts', '-o', 'BatchMode=yes',
       '-p', port]
target = 'imagebake-test@127.0.0.1'

def first_line(command):
    t0 = time.perf_counter()
    p = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    p.stdout.readline()
    t1 = time.perf_counter()
    p.wait()
    return (t1 - t0) * 1000

env = dict(os.environ, IMAGEBAKE_REPL_HISTORY=work + '/history', NO_COLOR='1')
repl = subprocess.Popen([root + '/bin/imagebake', 'repl'], cwd=work, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                        stderr=subprocess.STDOUT, text=True, bufsize=1, env=env)
def send(line):
    repl.stdin.write(line + '\n')
    repl.stdin.flush()
def until(text):
    while True:
        line = repl.stdout.readline()
        if not line:
            raise SystemExit('the REPL ended early')
        if text in line:
            return
send("builder ssh { host '127.0.0.1'; port %s; user 'imagebake-test'; privateKey file('id_ed25519'); "
     "hostKey '%s' }" % (port, fp))
send(':start')
until('started ssh')
for i in range(5):  # warm-up: the first evaluations compile the sandbox's machinery
    send("provision shell { inline 'echo warm-%d' }" % i)
    until('ssh: warm-%d' % i)

subprocess.run(ssh + ['-o', 'ControlMaster=yes', '-o', 'ControlPath=' + d + '/cm', '-fN', target], check=True)
repl_ms, ssh_ms, cm_ms = [], [], []
for i in range(rounds):  # interleaved, so that load on the machine affects all three alike
    t0 = time.perf_counter()
    send("provision shell { inline 'echo round-%d' }" % i)
    until('ssh: round-%d' % i)
    repl_ms.append((time.perf_counter() - t0) * 1000)
    ssh_ms.append(first_line(ssh + [target, 'echo round-%d' % i]))
    cm_ms.append(first_line(ssh + ['-o', 'ControlPath=' + d + '/cm', target, 'echo round-%d' % i]))
send(':stop')
send(':quit')
repl.stdin.close()
repl.wait(30)

r, s, c = statistics.median(repl_ms), statistics.median(ssh_ms), statistics.median(cm_ms)
print('rounds: %d (interleaved), medians; Enter -> first output line' % rounds)
print('  imagebake repl, connected session:   %6.1f ms (p90 %.1f)' % (r, sorted(repl_ms)[int(rounds * 0.9) - 1]))
print('  ssh host echo, fresh connection:      %6.1f ms' % s)
print('  ssh host echo, ControlMaster open:    %6.1f ms' % c)
print('  ratio repl / fresh ssh:               %6.2f (goal <= 1.0)' % (r / s))
print('  ratio repl / multiplexed ssh:         %6.2f' % (r / c))
PY
