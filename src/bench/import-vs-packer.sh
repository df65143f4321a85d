#!/bin/sh
# Benchmark: wall time of `imagebake import --check` on the corpus's largest templates, in one interleaved run.
#  - 13 (nomad-image-factory, HCL2, six files, 20.7 KB: the largest template of the corpus). Packer 1.6.6 cannot
#    read it (its `data` blocks came with Packer 1.7), so it is timed alone.
#  - 08 (actions/runner-images ubuntu2004.json, 14.6 KB: the largest single file), against
#    `packer validate -syntax-only` of the same file (Packer's own read of the template: parse, no plugins, no cloud),
#    for a ratio imagebake/packer.
# Every result is checked: imagebake's to-do list must equal the corpus golden file and its exit code be 1 (the
# template needs listed work); Packer must print its "Syntax-only check passed".
# Usage: src/bench/import-vs-packer.sh [ROUNDS]   (default 9)
set -eu
rounds=${1:-9}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
corpus=$root/src/test/resources/packer
largest=$corpus/13-nomad-image-factory-rhel
json=$corpus/08-runner-images-ubuntu2004/ubuntu2004.json
command -v packer >/dev/null || { echo "packer is not installed (apt-get install packer)" >&2; exit 2; }
export CHECKPOINT_DISABLE=1   # no update check from Packer

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$root/bin/imagebake" import --check "$largest" >/dev/null 2>&1 || true   # builds the jar and start-up cache if needed

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
check_import() { # $1 exit code, $2 output, $3 golden
    [ "$1" = 1 ] || { echo "imagebake import exited $1, expected 1" >&2; exit 1; }
    cmp -s "$2" "$3" || { echo "imagebake import's to-do list differs from $3" >&2; exit 1; }
}
i=0
while [ $i -lt "$rounds" ]; do
    t0=$(now); code=0; "$root/bin/imagebake" import --check "$largest" >"$tmp/13" 2>/dev/null || code=$?; t1=$(now)
    check_import "$code" "$tmp/13" "$corpus/golden/13.todo.txt"
    ms "$t0" "$t1" >> "$tmp/ib13"
    if [ $((i % 2)) = 0 ]; then order="ib pk"; else order="pk ib"; fi   # alternate which goes first
    for who in $order; do
        if [ "$who" = ib ]; then
            t0=$(now); code=0; "$root/bin/imagebake" import --check "$json" >"$tmp/08" 2>/dev/null || code=$?; t1=$(now)
            check_import "$code" "$tmp/08" "$corpus/golden/08.todo.txt"
            ms "$t0" "$t1" >> "$tmp/ib08"
        else
            t0=$(now); (cd "$(dirname "$json")" && packer validate -syntax-only "$json") >"$tmp/pk" 2>&1; t1=$(now)
            grep -q 'Syntax-only check passed' "$tmp/pk" || { echo "packer did not pass the syntax check:" >&2; cat "$tmp/pk" >&2; exit 1; }
            ms "$t0" "$t1" >> "$tmp/pk08"
        fi
    done
    i=$((i + 1))
done
median() { sort -n "$1" | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ib13=$(median "$tmp/ib13"); ib08=$(median "$tmp/ib08"); pk08=$(median "$tmp/pk08")
echo "rounds: $rounds (interleaved, order alternating; every result checked)"
echo "imagebake import --check 13 (HCL2, 6 files, 20.7 KB):  median ${ib13} ms"
echo "imagebake import --check 08 (JSON, 14.6 KB):            median ${ib08} ms"
echo "packer validate -syntax-only 08:                         median ${pk08} ms"
awk -v a="$ib08" -v b="$pk08" 'BEGIN { printf "ratio imagebake import / packer syntax check (08): %.2f\n", a / b }'
