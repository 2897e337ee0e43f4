#!/usr/bin/env bash
# rtx-bench.sh: what any reference-transaction hook costs the repository it is installed in (the reason the
# stock hook checks same-push archives without one, docs/stock-hook.md), measured in one run on this machine:
# a repository whose hooks/reference-transaction is the cheapest possible hook (a POSIX sh script that exits
# 0 at once) against the same repository without it.
#
#   (a) 200 ref creations and 200 deletions outside any push (git update-ref, as fetch, gc and scripts
#       make them);
#   (b) a push that creates 200 branches (non-atomic: one transaction per ref, so one hook run per
#       prepared and committed state of each), then one that deletes them.
#
# Usage: bench/rtx-bench.sh [--runs N]
# Needs: git. Variants are interleaved run by run so that load changes on a shared machine hit both alike;
# medians are reported with the ratio.
set -euo pipefail

runs=11
while [ "$#" -gt 0 ]; do
  case "$1" in
    --runs) runs="$2"; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "rtx-bench.sh: unknown argument '$1'" >&2; exit 2 ;;
  esac
done
[ "$runs" -ge 1 ] && [ "$runs" -le 200 ] || { echo "rtx-bench.sh: --runs must be 1..200" >&2; exit 2; }

work="$(mktemp -d "${TMPDIR:-/tmp}/rtx-bench.XXXXXX")"
trap 'rm -rf "$work"' EXIT
export HOME="$work/home" GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=b GIT_AUTHOR_EMAIL=b@example.com \
  GIT_COMMITTER_NAME=b GIT_COMMITTER_EMAIL=b@example.com
mkdir -p "$HOME"

for v in with without; do
  git init -q --bare "$work/$v.git"
  rm -f "$work/$v.git"/hooks/*.sample
done
printf '#!/bin/sh\nexit 0\n' >"$work/with.git/hooks/reference-transaction"
chmod +x "$work/with.git/hooks/reference-transaction"
git init -q "$work/client"
git -C "$work/client" commit -q --allow-empty -m c
tip="$(git -C "$work/client" rev-parse HEAD)"
for v in with without; do
  git -C "$work/client" push -q "$work/$v.git" HEAD:refs/heads/base
done
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
  for v in with without; do
    s=$(ms)
    for i in $(seq 1 200); do git --git-dir="$work/$v.git" update-ref "refs/heads/u$i" "$tip"; done
    for i in $(seq 1 200); do git --git-dir="$work/$v.git" update-ref -d "refs/heads/u$i"; done
    t[a_$v]+="$(( ($(ms) - s) / 1000000 )) "
    s=$(ms)
    git -C "$work/client" push -q "$work/$v.git" "${specs[@]}"
    git -C "$work/client" push -q "$work/$v.git" "${dels[@]}"
    t[b_$v]+="$(( ($(ms) - s) / 1000000 )) "
  done
done
echo "machine: $(nproc) cores, $(git --version), load average $(cut -d' ' -f1-3 /proc/loadavg), runs $runs"
for k in a b; do
  w=$(printf '%s\n' ${t[${k}_with]} | median)
  wo=$(printf '%s\n' ${t[${k}_without]} | median)
  label=$([ $k = a ] && echo "(a) 400 update-ref transactions" || echo "(b) push + delete of 200 branches")
  printf '%-36s with hook %6d ms   without %6d ms   ratio %s\n' "$label" "$w" "$wo" \
    "$(awk -v a="$w" -v b="$wo" 'BEGIN {printf "%.2f", a / b}')"
done
