#!/usr/bin/env bash
# reliability-load.sh: the larger load run of docs/reliability.md. N concurrent v0.6.2 clients (the
# test fixtures' ClientRepo/ClientProtocol with the real git CLI) push through a plain JGit server and
# then through serve, each until it has rotated R times, at guard and client threshold T. Prints the
# figures (pushes/s, p50/p99 git push and pre-push latency) and checks that nothing told pushed is lost.
#
# Usage: bench/reliability-load.sh [--clients N] [--rotations R] [--threshold T]   (default 8, 50, 100)
# Needs: git, java 17+, mvn (offline is fine). Figures also land in target/reliability/load.txt.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
clients=8
rotations=50
threshold=100
while [ "$#" -gt 0 ]; do
  case "$1" in
    --clients) clients="$2"; shift 2 ;;
    --rotations) rotations="$2"; shift 2 ;;
    --threshold) threshold="$2"; shift 2 ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "reliability-load.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
for v in "$clients" "$rotations" "$threshold"; do
  case "$v" in
    '' | *[!0-9]*) echo "reliability-load.sh: sizes must be whole numbers" >&2; exit 2 ;;
  esac
done
cd "$SRC_DIR"
exec mvn -B -o -q test -Dtest='LoadTest#fullRunWithAndWithoutTheGuard' -Dreliability.full=true \
  -Dreliability.clients="$clients" -Dreliability.rotations="$rotations" -Dreliability.threshold="$threshold" \
  -Dsurefire.failIfNoSpecifiedTests=false
