#!/usr/bin/env bash
# convert-scale.sh: convert at scale, against C git's floor for reading the same v2 data, in one run.
#
# The repository is the scale benchmark's (target/bench-data/scale-v1.git, generated once by
# dev.checkpointguard.bench.ScaleRepo): 100,005 checkpoints in /main and 1,901 /full/* refs, no v1 branch,
# so every checkpoint is converted. Each round measures, one after the other (same load):
#   floor    git rev-list --objects over every v2 ref, git ls-tree -r over /main and
#            git cat-file --batch of every metadata.json blob that ls-tree lists
#   convert  checkpoint-guard convert on a fresh copy (reads and verifies every transcript, writes v1)
#   rerun    checkpoint-guard convert on that converted copy again (nothing to do)
#   check    checkpoint-guard check on that same copy
# Each tool run is the shaded jar in its own JVM with -Xmx$HEAP (default 512m) and $JVM_OPTS; wall time,
# user+sys CPU and max RSS from /usr/bin/time, peak heap from the GC log. The last round's copy is then
# verified (convert --verify, timed too): v1 must hold every v2 checkpoint, session and transcript.
#
# Usage: bench/convert-scale.sh [--runs N] [--heap SIZE] [--jvm-opts "OPTS"]   (medians of N rounds, default 3)
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=3
heap=512m
jvm_opts=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    --heap) heap="$2"; shift 2 ;;
    --jvm-opts) jvm_opts="$2"; shift 2 ;;
    -h | --help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "convert-scale.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ -x /usr/bin/time ] || { echo "convert-scale.sh: /usr/bin/time (GNU time) is needed" >&2; exit 2; }

cd "$SRC_DIR"
mvn_() { mvn -B -q -o "$@" || mvn -B -q "$@"; }
jar="$SRC_DIR/target/checkpoint-guard.jar"
if [ ! -f "$jar" ] || [ -n "$(find pom.xml src/main -newer "$jar" -print -quit)" ]; then
  mvn_ -DskipTests package >/dev/null
fi
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null LC_ALL=C
data="$SRC_DIR/target/bench-data"
template="$data/scale-v1.git"
if [ ! -f "$template/scale-repo.properties" ]; then
  mvn_ test-compile >/dev/null
  mvn_ dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-test.cp >/dev/null
  rm -rf "$template"
  mkdir -p "$data"
  java -Xmx2g -cp "$SRC_DIR/target/test-classes:$SRC_DIR/target/classes:$(cat target/bench-test.cp)" \
    dev.checkpointguard.bench.ScaleRepo "$template"
fi
work="$(mktemp -d "${TMPDIR:-/tmp}/convert-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
git -C "$template" for-each-ref --format='%(refname)' refs/entire/checkpoints/v2/ > "$work/v2-refs"

floor() {
  /usr/bin/time -f '%e %U %S' -o "$work/t" bash -c '
    git -C "$1" rev-list --objects --stdin < "$2" > "$3/objs"
    git -C "$1" ls-tree -r refs/entire/checkpoints/v2/main | awk '"'"'$4 ~ /metadata\.json$/ {print $3}'"'"' \
      | git -C "$1" cat-file --batch > "$3/meta"' _ "$template" "$work/v2-refs" "$work"
  read -r e u s < <(tail -1 "$work/t")
  echo "$e $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') - -"
}

tool() { # $1 = label, $2 = repository, rest = command args; prints "wall cpu rss_mb peak_heap_mb"
  local label="$1" repo="$2"; shift 2
  local rc=0
  # shellcheck disable=SC2086
  /usr/bin/time -f '%e %U %S %M' -o "$work/t" java "-Xmx$heap" $jvm_opts "-Xlog:gc:file=$work/gc-$label.log" \
    -jar "$jar" "$@" --repo "$repo" > "$work/out-$label" 2> "$work/err-$label" || rc=$?
  if [ "$rc" -gt 1 ] || { [ "$1" = convert ] && [ "$rc" != 0 ]; }; then
    echo "convert-scale.sh: $label exited $rc:" >&2
    tr '\r' '\n' < "$work/err-$label" | grep -v '^ *$' | tail -5 >&2
    tail -5 "$work/out-$label" >&2
    exit 1
  fi
  local peak
  peak="$(sed -n 's/.* \([0-9]*\)M->[0-9]*M(.*/\1/p' "$work/gc-$label.log" | sort -n | tail -1)"
  read -r e u s m < <(tail -1 "$work/t")   # GNU time adds a first line when the exit code is not 0
  echo "$e $(awk -v u="$u" -v s="$s" 'BEGIN {print u + s}') $((m / 1024)) ${peak:-0}"
}

declare -A wall cpu rss heapmb
for label in floor convert rerun check; do wall[$label]=""; cpu[$label]=""; rss[$label]=""; heapmb[$label]=""; done
for round in $(seq "$runs"); do
  copy="$work/repo-$round.git"
  rm -rf "$copy"
  cp -a "$template" "$copy"
  for label in floor convert rerun check; do
    case "$label" in
      floor) floor > "$work/r" ;;
      convert) tool convert "$copy" convert > "$work/r"
        grep -q '^not convertible: 0$' "$work/out-convert" \
          || { echo "convert-scale.sh: convert left checkpoints unconverted" >&2; exit 1; } ;;
      rerun) tool rerun "$copy" convert > "$work/r"
        grep -q '^v1: unchanged, nothing written$' "$work/out-rerun" \
          || { echo "convert-scale.sh: the rerun wrote something" >&2; exit 1; } ;;
      check) tool check "$copy" check > "$work/r" ;;
    esac
    read -r w c r h < "$work/r"
    wall[$label]+="$w "; cpu[$label]+="$c "; rss[$label]+="$r "; heapmb[$label]+="$h "
  done
  [ "$round" = "$runs" ] || rm -rf "$copy"
done
vrc=0
/usr/bin/time -f '%e %U %S %M' -o "$work/tv" java "-Xmx$heap" $jvm_opts -jar "$jar" convert --verify --repo "$copy" \
  > "$work/out-verify" 2> "$work/err-verify" || vrc=$?
[ "$vrc" = 0 ] || { echo "convert-scale.sh: convert --verify failed:" >&2; head -20 "$work/out-verify" >&2; exit 1; }
read -r ve vu vs vm < <(tail -1 "$work/tv")

med() { printf '%s\n' $1 | median; }
mx() { printf '%s\n' $1 | sort -n | tail -1; }
fw="$(med "${wall[floor]}")"; fc="$(med "${cpu[floor]}")"
echo
echo "convert benchmark: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"\
  "$(java -version 2>&1 | head -1), $(git --version), load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "repository: $(du -sh "$template" | cut -f1), $(git -C "$template" for-each-ref refs/entire/checkpoints/v2/ | wc -l) v2 refs;"\
  "medians of $runs rounds; -Xmx$heap ${jvm_opts:+$jvm_opts}"
printf '%-44s %8s %8s %8s %8s %8s %8s\n' what "wall s" "x floor" "CPU s" "x floor" "RSS MB" "heap MB"
for label in floor convert rerun check; do
  case "$label" in
    floor) what="C git floor (rev-list --objects + ls-tree + cat-file)" ;;
    convert) what="convert (100,005 checkpoints written)" ;;
    rerun) what="convert again (nothing to do)" ;;
    check) what="check (same repository)" ;;
  esac
  w="$(med "${wall[$label]}")"; c="$(med "${cpu[$label]}")"
  printf '%-44s %8s %8s %8s %8s %8s %8s\n' "$what" "$w" "$(awk -v a="$w" -v b="$fw" 'BEGIN {printf "%.2f", a / b}')" \
    "$c" "$(awk -v a="$c" -v b="$fc" 'BEGIN {printf "%.2f", a / b}')" "$(mx "${rss[$label]}")" "$(mx "${heapmb[$label]}")"
done
echo "rerun / check (wall): $(awk -v a="$(med "${wall[rerun]}")" -v b="$(med "${wall[check]}")" 'BEGIN {printf "%.2f", a / b}')"
echo "convert --verify of the last copy: ok, $ve s wall, $(awk -v u="$vu" -v s="$vs" 'BEGIN {print u + s}') s CPU, $((vm / 1024)) MB RSS"
echo "walls per round: convert ${wall[convert]}| floor ${wall[floor]}| rerun ${wall[rerun]}| check ${wall[check]}"
