#!/usr/bin/env bash
# stock-index-bench.sh: the first content-rule reset after a start, through the installed stock hook (a
# new JVM for every push), on the policy benchmark's 10,000-archive server (BenchRepos: 10,000 archives of
# 100 checkpoints, 1M checkpoints; archive 1, the oldest, is the only one that covers /full/current).
#
#   floor    the hook judging a guarded line that costs nothing to decide (/full/current to itself):
#            JVM start, class loading, opening the repository
#   cold     the reset of /full/current covered only by archive 1, without the archive index file: the
#            rule reads every archive, newest first, and writes checkpoint-guard/archive-index
#   indexed  the same reset with the file that the cold run left: one binary search, one ref lookup and
#            archive 1's tree (goal: indexed - floor <= 100 ms)
#   reject   a reset that no archive covers, with the file (the rule must read every archive the file
#            does not prove, so this is the cold cost again: the file never skips an archive)
#
# Usage: bench/stock-index-bench.sh [--runs N] [--archives N]      (default 7 runs, 10000 archives)
# Variants alternate run by run; medians in ms. The hook runs with GIT_DIR=. and its input on stdin.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=7
archives=10000
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --archives) archives="$2"; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "stock-index-bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
cd "$SRC_DIR"
java="$(command -v java)"
jar="$SRC_DIR/target/checkpoint-guard.jar"
if [ ! -f "$jar" ] || [ -n "$(find pom.xml src/main -newer "$jar" -print -quit)" ]; then
  mvn -B -q -o -DskipTests package || mvn -B -q -DskipTests package
fi
mvn -B -q -o test-compile -DskipTests >/dev/null
mvn -B -q -o dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-test.cp >/dev/null
server="$(java -Xmx1g -cp "target/test-classes:target/classes:$(cat target/bench-test.cp)" \
  dev.checkpointguard.bench.BenchData target/bench-data "$archives")"
prop() { sed -n "s/^$1=//p" "$server/bench-ids.properties"; }
current="$(prop currentTip)"; start="$(prop startGeneration)"; stray="$(prop strayTip)"

work="$(mktemp -d "${TMPDIR:-/tmp}/stock-index-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
mkdir -p "$HOME"
cp -r "$server" "$work/server.git"
bash install.sh --jar "$jar" --java "$java" --prefix "$work/prefix" --repo "$work/server.git" >/dev/null
V2=refs/entire/checkpoints/v2
printf '%s %s %s\n' "$current" "$current" "$V2/full/current" >"$work/floor.in"
printf '%s %s %s\n' "$current" "$start" "$V2/full/current" >"$work/reset.in"
printf '%s %s %s\n' "$stray" "$start" "$V2/full/current" >"$work/reject.in"
index="$work/server.git/checkpoint-guard/archive-index"

hook() { # input file, expected exit status
  local rc=0
  (cd "$work/server.git" && GIT_DIR=. ./hooks/pre-receive <"$1" >/dev/null 2>&1) || rc=$?
  [ "$rc" -eq "$2" ] || { echo "stock-index-bench.sh: $1 exited $rc, expected $2" >&2; exit 1; }
}
declare -A samples
measure() { # label, then the command
  local label="$1" s e
  shift
  s="$(date +%s%N)"
  "$@"
  e="$(date +%s%N)"
  samples[$label]+="$(((e - s) / 1000)) "
}
hook "$work/reset.in" 0 # warm-up: the file cache, and a first index file
for ((i = 0; i < runs; i++)); do
  measure floor hook "$work/floor.in" 0
  rm -f "$index"
  measure cold hook "$work/reset.in" 0
  [ -s "$index" ] || { echo "stock-index-bench.sh: the cold run left no index file" >&2; exit 1; }
  measure indexed hook "$work/reset.in" 0
  measure reject hook "$work/reject.in" 1
done
median_ms() {
  tr ' ' '\n' <<<"${samples[$1]}" | sed '/^$/d' | sort -n \
    | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}
f="$(median_ms floor)"; c="$(median_ms cold)"; x="$(median_ms indexed)"; r="$(median_ms reject)"
echo "stock hook, $archives archives, $runs runs, medians (load average $(cut -d' ' -f1-3 /proc/loadavg)):"
echo "  floor (guarded no-op line) ${f} ms; index file $(du -k "$index" | cut -f1) KB"
echo "  content-rule reset, no index file (cold)  ${c} ms   (- floor: $(awk -v a="$c" -v b="$f" 'BEGIN{printf "%.1f", a-b}') ms)"
echo "  content-rule reset, index file            ${x} ms   (- floor: $(awk -v a="$x" -v b="$f" 'BEGIN{printf "%.1f", a-b}') ms, goal <= 100)"
echo "  rejected reset, index file                ${r} ms   (- floor: $(awk -v a="$r" -v b="$f" 'BEGIN{printf "%.1f", a-b}') ms)"
