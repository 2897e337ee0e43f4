#!/usr/bin/env bash
# mirror.sh: a guarded sync against C git's fetch of the same mirror, side by side in one run.
#
# On the 1,900-archive scale repository of bench/scale.sh (generated once into target/bench-data/scale-v1.git):
# an upstream copy, and two identical `git clone --mirror`s of it. Then, alternating run by run:
#   nothing new    git fetch --prune in one mirror   vs   one guarded sync of the other (warm JVM, as serve
#                  --mirrors runs it); plus the command line `java -jar checkpoint-guard.jar mirror`, a new
#                  JVM each run (the cron use)
#   one rotation   upstream rotates (a new archive of 100 checkpoints, /full/current reset, /main with the
#                  new checkpoints); then git fetch --prune vs the guarded sync, both fetching the same
# Medians and ratios are printed (dev.checkpointguard.bench.MirrorBench). Both mirrors must equal upstream.
#
# Usage: bench/mirror.sh [--runs N]      (default 11)
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=11
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h | --help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "mirror.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done

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
work="$(mktemp -d "${TMPDIR:-/tmp}/mirror-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1),"\
  "$(java -version 2>&1 | head -1), $(git --version), load average $(cut -d' ' -f1-3 /proc/loadavg)"
java -Xmx1g -cp "$testcp" dev.checkpointguard.bench.MirrorBench "$template" "$work" "$jar" "$runs"
echo "load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
