#!/bin/sh
# Benchmark: wall time of `bin/imagebake validate` on dsl-examples/ubuntu-web.imagebake.groovy against
# `packer validate` on the equivalent JSON template (src/bench/packer/ubuntu-web.json), interleaved in one run.
# imagebake is measured twice: "warm" (the template compiled before: the per-user template cache holds it, as in
# CI re-runs or plan after validate) and "cold" (IMAGEBAKE_NO_CACHE=1: the Groovy compiler runs, as after every
# edit). Prints the medians and the ratios imagebake/packer (below 1.0 means imagebake is faster).
# Usage: src/bench/validate-vs-packer.sh [ROUNDS]   (default 15)
#
# Figures, 2026-12-08 02:05 UTC, JDK 25 with the AOT start-up cache, Packer 1.6.6, 2 cores, load ~1.8 (only this
# bench), two runs of 15 rounds each, the jar before and after Groovy moved out of it into target/lib (pom.xml):
#                      warm (ms / ratio)          cold (ms / ratio)          packer (ms)
#   Groovy inside:     377 / 0.98, 371 / 0.97     557 / 1.45, 549 / 1.44     383, 381
#   Groovy beside:     347 / 0.87, 335 / 0.94     501 / 1.26, 500 / 1.41     397, 355
# The cold path (after an edit) is still 1.3-1.4x Packer: most of its extra ~160 ms is the Groovy compiler's first
# use in a fresh JVM (the ANTLR parser's tables and the resolver's class lists). Under load (2 busy loops or a test
# run on the same 2 cores) the JVM suffers more than Go: 1.5-1.9x cold, 1.0-1.3x warm, in runs during this session.
# A compiler warm-up thread started at launch was tried and dropped: no gain cold (563 vs 569 ms), 85 ms lost warm.
# 2026-12-08 04:15 UTC, the same VM slower than the day before (Packer 497 ms instead of 380-415), after picocli
# builds the model of the named command only (A/B on the same jar otherwise: ~40 ms less CPU per validate):
#   15 rounds: warm 463 ms / 0.93, cold 673 ms / 1.35, packer 497 ms; 11 rounds an hour before: 0.86 / 1.29.
# The cold path's extra time is Groovy's compiler in a fresh JVM: of its samples (JFR, 8 runs) ~36% are the
# ANTLR parser and ~24% ResolveVisitor's static start, which lists the default imports by walking the Groovy jar
# and the JDK's java.base module in every JVM. Neither can be archived in Java 25's AOT cache.
set -eu
rounds=${1:-15}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
template=$root/dsl-examples/ubuntu-web.imagebake.groovy
packer_template=$here/packer/ubuntu-web.json
command -v packer >/dev/null || { echo "packer is not installed (apt-get install packer)" >&2; exit 2; }

"$root/bin/imagebake" validate "$template" >/dev/null          # builds the jar and start-up cache if needed
(cd "$here/packer" && packer validate "$packer_template" >/dev/null)

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
: > /tmp/imagebake-bench.$$.ib
: > /tmp/imagebake-bench.$$.cold
: > /tmp/imagebake-bench.$$.pk
i=0
while [ $i -lt "$rounds" ]; do
    t0=$(now); "$root/bin/imagebake" validate "$template" >/dev/null; t1=$(now)
    (cd "$here/packer" && packer validate "$packer_template" >/dev/null); t2=$(now)
    IMAGEBAKE_NO_CACHE=1 "$root/bin/imagebake" validate "$template" >/dev/null; t3=$(now)
    ms "$t0" "$t1" >> /tmp/imagebake-bench.$$.ib
    ms "$t1" "$t2" >> /tmp/imagebake-bench.$$.pk
    ms "$t2" "$t3" >> /tmp/imagebake-bench.$$.cold
    i=$((i + 1))
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ib=$(median /tmp/imagebake-bench.$$.ib)
cold=$(median /tmp/imagebake-bench.$$.cold)
pk=$(median /tmp/imagebake-bench.$$.pk)
rm -f /tmp/imagebake-bench.$$.*
echo "rounds: $rounds (interleaved)"
echo "imagebake validate, warm: median ${ib} ms"
echo "imagebake validate, cold: median ${cold} ms"
echo "packer validate:          median ${pk} ms"
awk -v a="$ib" -v c="$cold" -v b="$pk" 'BEGIN { printf "ratio imagebake/packer: warm %.2f, cold %.2f\n", a / b, c / b }'
