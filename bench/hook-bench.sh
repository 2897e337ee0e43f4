#!/usr/bin/env bash
# hook-bench.sh: wall-time ratios of the stock-git hook, measured in one run on this machine.
#
#   (a) a push that names no guarded ref, into a repository with checkpoint-guard's hook installed,
#       against the same push into a repository whose pre-receive hook is a no-op shell script
#       (target: ratio <= 1.2);
#   (b) a rotation of 100 checkpoints as v0.6.2 pushes it: the archive create, then the /full/current reset
#       in a second push once the archive is on the server (stock git never counts an archive of the same
#       push as cover, docs/stock-hook.md), with the tuned hook
#       (shaded unsigned jar, C1 only, SerialGC, AppCDS archive) against the plain-JVM baseline (our
#       classes plus the signed Maven Central jars on the classpath, default JIT and GC, no AppCDS)
#       (target: ratio <= 0.5). Reported for the whole push and for the hook process alone;
#   (c) the same rotation push with the tuned hook against bench/baselines/pre-receive.py, a Python hook
#       on git plumbing that judges the same lines at checkpoint granularity (issue 11: <= 0.35).
#
# Usage: bench/hook-bench.sh [--runs N] [--warmup N]
# Needs: git, java 17+, mvn (offline is fine) for the jar and the baseline classpath. Variants are
# interleaved run by run so that load changes on a shared machine hit both alike; medians are reported.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=15
warmup=2
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --warmup) warmup="$2"; shift 2 ;;
    -h | --help) sed -n '2,18p' "$0"; exit 0 ;;
    *) echo "hook-bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ "$runs" -ge 1 ] && [ "$runs" -le 200 ] || { echo "hook-bench.sh: --runs must be 1..200" >&2; exit 2; }

java="$(command -v java)" || { echo "hook-bench.sh: java not found" >&2; exit 2; }
command -v mvn >/dev/null || { echo "hook-bench.sh: mvn not found" >&2; exit 2; }

jar="$SRC_DIR/target/checkpoint-guard.jar"
thin="$SRC_DIR/target/original-checkpoint-guard.jar"
if [ ! -f "$jar" ] || [ ! -f "$thin" ] \
  || [ -n "$(find "$SRC_DIR/pom.xml" "$SRC_DIR/src/main" -newer "$jar" -print -quit)" ]; then
  (cd "$SRC_DIR" && mvn -B -q -o -DskipTests package) || (cd "$SRC_DIR" && mvn -B -q -DskipTests package)
fi
# no space in this path: JDK 17 ignores the AppCDS archive of a jar under a path with a space
work="$(mktemp -d "${TMPDIR:-/tmp}/hook-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
(cd "$SRC_DIR" && { mvn -B -q -o dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$work/deps.txt" \
  || mvn -B -q dependency:build-classpath -DincludeScope=runtime -Dmdep.outputFile="$work/deps.txt"; }) >/dev/null
baseline_cp="$thin:$(cat "$work/deps.txt")"

export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@localhost GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@localhost
mkdir -p "$HOME"

# --- content: /full/current with 100 checkpoints, its archive, and the reset -----------------------
client="$work/client"
git init -q "$client"
cd "$client"
git commit -q --allow-empty -m "ordinary branch commit"
blob="$(printf 'x\n' | git hash-object -w --stdin)"
for i in $(seq 0 99); do
  id="$(printf '%012x' $((0xa0000000000 + i)))"
  printf '100644 %s\t%s/%s/0/raw_transcript\n' "$blob" "${id:0:2}" "${id:2}"
done | GIT_INDEX_FILE="$work/index" git update-index --add --index-info
tree="$(GIT_INDEX_FILE="$work/index" git write-tree)"
printf '100644 %s\tgeneration.json\n' "$blob" | GIT_INDEX_FILE="$work/index" git update-index --add --index-info
archive_tree="$(GIT_INDEX_FILE="$work/index" git write-tree)"
empty="$(git mktree </dev/null)"
init="$(git commit-tree -m 'Initialize v2 ref' "$empty")"
current="$(git commit-tree -p "$init" -m 'Checkpoint: 0a0000000063' "$tree")"
archive="$(git commit-tree -p "$current" -m 'Archive generation' "$archive_tree")"
reset="$(git commit-tree -m 'Start generation' "$empty")"
V2=refs/entire/checkpoints/v2
git update-ref "$V2/main" "$current"
git update-ref "$V2/full/current" "$current"
git update-ref "$V2/full/0000000000001" "$archive"
git update-ref refs/bench/reset "$reset"

# --- servers --------------------------------------------------------------------------------------------
server() { # name, then seeded with main, current, the archive and reset objects
  git init -q --bare "$work/$1"
  git push -q "$work/$1" "$V2/main:$V2/main" "$V2/full/current:$V2/full/current" \
    "HEAD:refs/heads/master" "$archive:refs/bench/archive" "$reset:refs/bench/reset"
}
server noop.git
server guard.git
server baseline.git
server python.git
printf '#!/bin/sh\nexit 0\n' >"$work/noop.git/hooks/pre-receive"
chmod +x "$work/noop.git/hooks/pre-receive"
bash "$SRC_DIR/install.sh" --jar "$jar" --java "$java" --prefix "$work/prefix" --repo "$work/guard.git" >/dev/null
grep -q "^CG_JSA=.$work/prefix/checkpoint-guard.jsa.$" "$work/guard.git/hooks/pre-receive" \
  || { echo "hook-bench.sh: install.sh made no usable AppCDS archive" >&2; exit 1; }
{
  printf '#!/bin/sh\n'
  printf 'exec %q -cp %q dev.checkpointguard.cli.Main pre-receive\n' "$java" "$baseline_cp"
} >"$work/baseline.git/hooks/pre-receive"
chmod +x "$work/baseline.git/hooks/pre-receive"
cp "$SRC_DIR/bench/baselines/pre-receive.py" "$work/python.git/hooks/pre-receive"

printf '0000000000000000000000000000000000000000 %s %s\n' "$archive" "$V2/full/0000000000001" >"$work/archive.in"
printf '%s %s %s\n' "$current" "$reset" "$V2/full/current" >"$work/reset.in"

restore() { # undo a rotation push without running hooks
  git -C "$work/$1" update-ref "$V2/full/current" "$current"
  git -C "$work/$1" update-ref -d "$V2/full/0000000000001" 2>/dev/null || true
}

# --- operations (each prints nothing on success, fails loudly otherwise) -----------------------------
unpush() { # prepare step of (a), not timed
  git -C "$work/$1" update-ref -d refs/heads/bench 2>/dev/null || true
}
plain_push() {
  git push -q "$work/$1" HEAD:refs/heads/bench 2>/dev/null
}
rotation_push() { # the caller restores the server first; two pushes, as v0.6.2 rotates
  git push -q "$work/$1" "$V2/full/0000000000001:$V2/full/0000000000001" 2>/dev/null \
    && git push -q "$work/$1" "+refs/bench/reset:$V2/full/current" 2>/dev/null
}
hook_only() { # the two judgements of a rotation; run after rotation_push, so the archive is on the server
  (cd "$work/$1" && GIT_DIR=. ./hooks/pre-receive <"$work/archive.in" 2>/dev/null \
    && GIT_DIR=. ./hooks/pre-receive <"$work/reset.in" 2>/dev/null)
}

now_ns() { date +%s%N; }
declare -A samples
measure() { # label, then the command
  local label="$1"
  shift
  local s e
  s="$(now_ns)"
  "$@" || { echo "hook-bench.sh: '$label' failed" >&2; exit 1; }
  e="$(now_ns)"
  samples[$label]+="$(((e - s) / 1000)) "
}

# sanity: the guarded hooks accept the rotation (so the timings are of a real, accepted push)
restore guard.git; restore baseline.git; restore python.git
rotation_push guard.git || { echo "hook-bench.sh: the tuned hook refused the rotation" >&2; exit 1; }
rotation_push baseline.git || { echo "hook-bench.sh: the baseline hook refused the rotation" >&2; exit 1; }
rotation_push python.git || { echo "hook-bench.sh: the python hook refused the rotation" >&2; exit 1; }

# (a) is cheap and its difference small, so it gets 8 times the runs
for ((i = 0; i < warmup + 8 * runs; i++)); do
  unpush noop.git; unpush guard.git
  if [ "$i" -lt "$warmup" ]; then
    plain_push noop.git; plain_push guard.git
    continue
  fi
  if [ $((i % 2)) -eq 0 ]; then
    measure a_noop plain_push noop.git
    measure a_guard plain_push guard.git
  else
    measure a_guard plain_push guard.git
    measure a_noop plain_push noop.git
  fi
done
for ((i = 0; i < warmup + runs; i++)); do
  restore guard.git; restore baseline.git; restore python.git
  if [ "$i" -lt "$warmup" ]; then
    rotation_push guard.git; rotation_push baseline.git; rotation_push python.git
    continue
  fi
  measure b_tuned_push rotation_push guard.git
  measure b_base_push rotation_push baseline.git
  measure c_python_push rotation_push python.git
  measure b_tuned_hook hook_only guard.git || exit 1
  measure b_base_hook hook_only baseline.git
  measure c_python_hook hook_only python.git
done

# (a) without git around it: the hook process alone on the same one-line input, CPU time (user+sys)
# summed over many runs; the load of a shared machine disturbs this far less than wall time.
printf '0000000000000000000000000000000000000000 %s refs/heads/bench\n' "$(git rev-parse HEAD)" >"$work/plain.in"
hook_cpu_us() { # repository; prints CPU microseconds per run
  local n=$((20 * runs)) t
  TIMEFORMAT='%3U %3S'
  t="$({ time (cd "$work/$1" && for ((k = 0; k < n; k++)); do GIT_DIR=. ./hooks/pre-receive <"$work/plain.in" || exit 1; done); } 2>&1)"
  awk -v t="$t" -v n="$n" 'BEGIN {split(t, a, " "); printf "%d", (a[1] + a[2]) * 1000000 / n}'
}
cpu_noop="$(hook_cpu_us noop.git)"; cpu_guard="$(hook_cpu_us guard.git)"

median_ms() { # prints the median of the samples (microseconds) in ms, 1 decimal
  tr ' ' '\n' <<<"${samples[$1]}" | sed '/^$/d' | sort -n | awk '{a[NR]=$1} END {m=(NR%2)?a[(NR+1)/2]:(a[NR/2]+a[NR/2+1])/2; printf "%.1f", m/1000}'
}
ratio() { awk -v x="$1" -v y="$2" 'BEGIN {printf "%.2f", x/y}'; }

a_noop="$(median_ms a_noop)"; a_guard="$(median_ms a_guard)"
bt="$(median_ms b_tuned_push)"; bb="$(median_ms b_base_push)"
ht="$(median_ms b_tuned_hook)"; hb="$(median_ms b_base_hook)"
cp_="$(median_ms c_python_push)"; ch="$(median_ms c_python_hook)"
echo "checkpoint-guard stock hook benchmark: $runs runs (+$warmup warm-up), medians, $(nproc) CPUs, $("$java" -version 2>&1 | head -n 1), $(git --version)"
echo "(a) push without guarded refs ($((8 * runs)) runs): no-op hook ${a_noop} ms, checkpoint-guard ${a_guard} ms, ratio $(ratio "$a_guard" "$a_noop") (target <= 1.2)"
echo "    hook process alone, CPU per run: no-op ${cpu_noop} us, checkpoint-guard ${cpu_guard} us"
echo "(b) rotation (2 pushes), 100 checkpoints: plain JVM ${bb} ms, tuned ${bt} ms, ratio $(ratio "$bt" "$bb") (target <= 0.5)"
echo "    hook process alone:            plain JVM ${hb} ms, tuned ${ht} ms, ratio $(ratio "$ht" "$hb")"
echo "(c) rotation (2 pushes), 100 checkpoints: python + git plumbing ${cp_} ms, tuned ${bt} ms, ratio $(ratio "$bt" "$cp_") (issue 11: <= 0.35)"
echo "    hook process alone:            python ${ch} ms, tuned ${ht} ms, ratio $(ratio "$ht" "$ch")"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
