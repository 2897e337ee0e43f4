#!/usr/bin/env bash
# mirror-hook-bench.sh: what the fetch-mirror hook (hooks/reference-transaction, install.sh --mirror) costs
# a git fetch --prune of a clone --mirror, measured in one run: the same mirror with the hook and without.
#
#   (a) a fetch that brings 200 new branches, then one that prunes them (200 ref transactions each, none
#       under refs/entire/checkpoints/v2/: the hook's sh fast path, no Java);
#   (b) a fetch with nothing new (git runs no ref transaction at all).
#
# Usage: bench/mirror-hook-bench.sh [--runs N]      (default 11; variants interleaved run by run)
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
runs=11
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h | --help) sed -n '2,10p' "$0"; exit 0 ;;
    *) echo "mirror-hook-bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
work="$(mktemp -d "${TMPDIR:-/tmp}/mirror-hook-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com \
  GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com LC_ALL=C
mkdir -p "$HOME"
git init -q --bare "$work/up.git"
git init -q "$work/client"
git -C "$work/client" commit -q --allow-empty -m c
git -C "$work/client" push -q "$work/up.git" HEAD:refs/heads/base
for v in with without; do
  git clone -q --mirror "$work/up.git" "$work/$v.git"
  rm -f "$work/$v.git"/hooks/*.sample
done
# the hook as shipped; with no jar configured it never reaches Java for refs outside v2
cp "$SRC_DIR/hooks/reference-transaction" "$work/with.git/hooks/reference-transaction"
chmod +x "$work/with.git/hooks/reference-transaction"
specs=()
dels=()
for i in $(seq 1 200); do
  specs+=("HEAD:refs/heads/b$i")
  dels+=(":refs/heads/b$i")
done
ms() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
declare -A t
for ((r = 0; r < runs; r++)); do
  git -C "$work/client" push -q "$work/up.git" "${specs[@]}"
  for v in with without; do
    s=$(ms); git -C "$work/$v.git" fetch -q --prune; t[a_$v]+="$(( ($(ms) - s) / 1000000 )) "
  done
  git -C "$work/client" push -q "$work/up.git" "${dels[@]}"
  for v in without with; do
    s=$(ms); git -C "$work/$v.git" fetch -q --prune; t[a_$v]+="$(( ($(ms) - s) / 1000000 )) "
  done
  for v in with without; do
    s=$(ms); git -C "$work/$v.git" fetch -q --prune; t[b_$v]+="$(( ($(ms) - s) / 1000000 )) "
  done
done
echo "machine: $(nproc) cores, $(git --version), load average $(cut -d' ' -f1-3 /proc/loadavg), runs $runs"
for k in a b; do
  w=$(printf '%s\n' ${t[${k}_with]} | median)
  wo=$(printf '%s\n' ${t[${k}_without]} | median)
  label=$([ $k = a ] && echo "(a) fetch of 200 new / 200 pruned refs" || echo "(b) fetch with nothing new")
  printf '%-40s with hook %6d ms   without %6d ms   ratio %s\n' "$label" "$w" "$wo" \
    "$(awk -v a="$w" -v b="$wo" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}')"
done
