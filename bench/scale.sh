#!/usr/bin/env bash
# scale.sh: check and repair at scale, against C git's floor for reading the same trees, in one run.
#
# Generates (once, cached in target/bench-data/scale-v1.git) a repository with 100,000 archived
# checkpoints: 900 archives of 100 and 1,000 under-threshold archives of 10, /main with created_at,
# a few checkpoints in /full/current (dev.checkpointguard.bench.ScaleRepo). Then, each on a fresh copy
# from which the pack holding every transcript blob has been removed (a command that read a transcript
# would fail on the missing object):
#   floor    git rev-list --objects over every v2 ref, plus every session metadata.json blob of /main
#            (git ls-tree -r | git cat-file --batch): the data check and repair need; measured before
#            each tool run, and each ratio is the tool's run over that floor run
#   check    checkpoint-guard check
#   minimal  checkpoint-guard repair --mode minimal   (10,000 checkpoints re-homed; ends with a check)
#   full     checkpoint-guard repair --mode full      (100,000 checkpoints repacked; ends with a check)
# Each tool run is the shaded jar in its own JVM with -Xmx$HEAP (default 1g); wall time and max RSS from
# /usr/bin/time (CPU = user + sys, all threads: on a loaded machine it moves less than wall time), peak
# heap from the GC log (largest heap occupancy before a collection). After each repair the transcript
# pack is put back and `git rev-list --objects --all` proves that every object the repaired refs need
# is present.
#
# Usage: bench/scale.sh [--runs N] [--heap SIZE]      (medians of N runs, default 3)
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
heap=1g
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    -h | --help) sed -n '2,19p' "$0"; exit 0 ;;
    *) echo "scale.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "scale.sh: /usr/bin/time (GNU time) is needed for max RSS" >&2; exit 2; }

cd "$SRC_DIR"
mvn_() { mvn -B -q -o "$@" || mvn -B -q "$@"; }
jar="$SRC_DIR/target/checkpoint-guard.jar"
if [ ! -f "$jar" ] || [ -n "$(find pom.xml src/main -newer "$jar" -print -quit)" ]; then
  mvn_ -DskipTests package >/dev/null
fi
mvn_ test-compile >/dev/null
mvn_ dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-test.cp >/dev/null
testcp="$SRC_DIR/target/test-classes:$SRC_DIR/target/classes:$(cat target/bench-test.cp)"

export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
data="$SRC_DIR/target/bench-data"
template="$data/scale-v1.git"
mkdir -p "$data"
if [ ! -f "$template/scale-repo.properties" ]; then
  rm -rf "$template"
  java -Xmx2g -cp "$testcp" dev.checkpointguard.bench.ScaleRepo "$template"
fi
pack="$(sed -n 's/^transcriptPack=//p' "$template/scale-repo.properties")"
pack="${pack%.pack}"
work="$(mktemp -d "${TMPDIR:-/tmp}/scale-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

fresh_copy() { # $1 = dir: a copy of the template without the transcript pack
  rm -rf "$1"
  cp -a "$template" "$1"
  rm -f "$1/objects/pack/$pack".*
}

# floor: C git reading the same data the tools need, issue 11: every tree of every v2 ref
# (git rev-list --objects) plus every session metadata.json blob of /main (git ls-tree -r, then
# git cat-file --batch). Measured right before each tool run, so that each ratio is side by side.
git -C "$template" for-each-ref --format='%(refname)' refs/entire/checkpoints/v2/ > "$work/v2-refs"
floor_once() { # prints "wall cpu"
  /usr/bin/time -f '%e %U %S' -o "$work/t1" git -C "$template" rev-list --objects --stdin < "$work/v2-refs" > "$work/objs"
  /usr/bin/time -f '%e %U %S' -o "$work/t2" sh -c 'git -C "$1" ls-tree -r refs/entire/checkpoints/v2/main \
    | awk '"'"'$4 ~ /^[0-9a-f][0-9a-f]\/[0-9a-f]+\/[0-9]+\/metadata\.json$/ {print $3}'"'"' \
    | git -C "$1" cat-file --batch > "$2"' sh "$template" "$work/blobs"
  read -r e1 u1 s1 < "$work/t1"
  read -r e2 u2 s2 < "$work/t2"
  awk -v e1="$e1" -v e2="$e2" -v c="$u1 $s1 $u2 $s2" 'BEGIN {split(c, x, " "); printf "%.2f %.2f\n", e1 + e2, x[1] + x[2] + x[3] + x[4]}'
}
floor_times=()
floor_cpus=()
floor_sample() {
  floor_once > "$work/f"
  read -r fe fc < "$work/f"
  floor_times+=("$fe")
  floor_cpus+=("$fc")
}
floor_sample
floor_objects="$(wc -l < "$work/objs")"
floor_blobs="$(grep -c ' blob ' "$work/blobs" || true)"

run_tool() { # $1 = label, rest = command args; prints "seconds maxrss_kb peak_heap_mb"
  local label="$1"; shift
  local repo="$work/repo-$label"
  fresh_copy "$repo"
  local rc=0
  /usr/bin/time -f '%e %M %U %S' -o "$work/t" java "-Xmx$heap" "-Xlog:gc:file=$work/gc-$label.log" \
    -jar "$jar" "$@" --repo "$repo" > "$work/out-$label" 2> "$work/err-$label" || rc=$?
  # check exits 1 on this damaged repository by design; a repair must exit 0 (healthy afterwards)
  if [ "$rc" -gt 1 ] || { [ "$1" = repair ] && [ "$rc" != 0 ]; } \
      || tr '\r' '\n' < "$work/err-$label" | grep -q -i 'missing\|exception'; then
    echo "scale.sh: $label failed with exit code $rc (a missing transcript blob?):" >&2
    tr '\r' '\n' < "$work/err-$label" | grep -v '^ *$' | tail -5 >&2
    exit 1
  fi
  local peak
  peak="$(sed -n 's/.* \([0-9]*\)M->[0-9]*M(.*/\1/p' "$work/gc-$label.log" | sort -n | tail -1)"
  if [ "$1" = repair ]; then
    grep -q '^check: healthy' "$work/out-$label" \
      || { echo "scale.sh: $label did not end healthy:" >&2; tail -3 "$work/out-$label" >&2; exit 1; }
    cp "$template/objects/pack/$pack".* "$repo/objects/pack/"
    git -C "$repo" rev-list --objects --all > /dev/null \
      || { echo "scale.sh: $label left a ref whose objects are missing" >&2; exit 1; }
  fi
  echo "$(tail -1 "$work/t" | awk '{print $1, $2, $3 + $4}') ${peak:-0}"
}

declare -A wall rss heapmb cpu ratio cratio
for label in check minimal full; do
  case "$label" in
    check) args=(check) ;;
    minimal) args=(repair --mode minimal) ;;
    full) args=(repair --mode full) ;;
  esac
  ts=(); rs=(); hs=(); cs=(); qs=(); qc=()
  for _ in $(seq "$runs"); do
    floor_sample
    run_tool "$label" "${args[@]}" > "$work/result"
    read -r t r c h < "$work/result"
    ts+=("$t"); rs+=("$r"); hs+=("$h"); cs+=("$c")
    qs+=("$(awk -v a="$t" -v b="$fe" 'BEGIN {printf "%.2f", a / b}')")
    qc+=("$(awk -v a="$c" -v b="$fc" 'BEGIN {printf "%.2f", a / b}')")
  done
  ratio[$label]="$(printf '%s\n' "${qs[@]}" | median)"
  cratio[$label]="$(printf '%s\n' "${qc[@]}" | median)"
  cpu[$label]="$(printf '%s\n' "${cs[@]}" | median)"
  wall[$label]="$(printf '%s\n' "${ts[@]}" | median)"
  rss[$label]="$(printf '%s\n' "${rs[@]}" | sort -n | tail -1)"
  heapmb[$label]="$(printf '%s\n' "${hs[@]}" | sort -n | tail -1)"
done
summary() { grep -E '^(applied|check):' "$work/out-$1" | tr '\n' ' '; }

echo
echo "scale benchmark: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"\
  "$(java -version 2>&1 | head -1), $(git --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "repository: $(sed -n 's/^\(healthy\|small\|current\)=/\1 /p' "$template/scale-repo.properties" | tr '\n' ' ')"\
  "($(du -sh "$template" | cut -f1)); medians of $runs runs; -Xmx$heap"
printf '%-40s %8s %8s %8s %8s %9s %9s\n' "what" "wall s" "x floor" "CPU s" "x floor" "RSS MB" "heap MB"
floor="$(printf '%s\n' "${floor_times[@]}" | median)"
floor_cpu="$(printf '%s\n' "${floor_cpus[@]}" | median)"
printf '%-40s %8s %8s %8s %8s %9s %9s\n' "floor: rev-list v2 + /main metadata blobs" "$floor" "1.0" "$floor_cpu" "1.0" "-" "-"
for label in check minimal full; do
  case "$label" in
    check) what="check" ;;
    minimal) what="repair --mode minimal" ;;
    full) what="repair --mode full" ;;
  esac
  printf '%-40s %8s %8s %8s %8s %9s %9s\n' "$what" "${wall[$label]}" "${ratio[$label]}" "${cpu[$label]}" \
    "${cratio[$label]}" "$((${rss[$label]} / 1024))" "${heapmb[$label]}"
done
echo "(x floor: median of the per-run ratios, each tool run against the floor measured just before it)"
echo "floor listed $floor_objects objects and read $floor_blobs metadata blobs; minimal: $(summary minimal)"
echo "full: $(summary full)"
echo "transcript pack removed during every tool run: $pack.pack (no command read a transcript blob)"
