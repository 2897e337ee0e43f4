#!/usr/bin/env bash
# run.sh: every benchmark of BENCHMARKS.md, in one run on this machine.
#
#   policy  JMH benchmarks of the policy core (PolicyBench: push verdicts against 1, 100 and 10,000
#           archives), through the Maven profile: mvn -B -Pbench test -Djmh.args="..."; then
#           PolicyRatio, the 10,000 / 1 archive ratios measured in alternating blocks
#   scale   check / repair --mode minimal|full on a generated 100,000-checkpoint repository, against
#           C git's floor (bench/scale.sh)
#   serve   pushes per second through serve, with and without the guard (ServeThroughput)
#   ssh     pushes per second through serve over SSH against HTTP, same repository (SshThroughput)
#   stock   the stock-git hook's wall-time ratios (bench/hook-bench.sh, when present), then the first
#           content-rule reset at 10,000 archives through it (bench/stock-index-bench.sh)
#   mirror  a guarded sync against git fetch --prune of the same mirror, on the scale repository (bench/mirror.sh)
#   login   cost of a failed push login: wrong password vs unknown user (LoginBench, JMH; LoginRatio)
#
# Usage: bench/run.sh [all|policy|scale|serve|ssh|stock|mirror|login]...       (default: all)
# Environment: JMH_ARGS (default "-f 1 -wi 3 -i 5 -w 2s -r 2s"), SCALE_ARGS, SERVE_ARGS, SSH_ARGS, STOCK_ARGS,
# MIRROR_ARGS.
# The machine's cores, CPU, JDK and load average are printed first: state them with every figure.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$SRC_DIR"
parts=("$@")
[ "${#parts[@]}" -gt 0 ] || parts=(all)
want() {
  local p
  for p in "${parts[@]}"; do
    [ "$p" = all ] || [ "$p" = "$1" ] && return 0
  done
  return 1
}
for p in "${parts[@]}"; do
  case "$p" in
    all | policy | scale | serve | ssh | stock | mirror | login) ;;
    *) echo "run.sh: unknown part '$p' (all, policy, scale, serve, ssh, stock, mirror, login)" >&2; exit 2 ;;
  esac
done

echo "machine: $(nproc) cores ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)),"\
  "$(java -version 2>&1 | head -1), $(git --version), load average $(cut -d' ' -f1-3 /proc/loadavg),"\
  "$(date -u +%FT%TZ)"
mvn_() { mvn -B -q -o "$@" || mvn -B -q "$@"; }

testcp() {
  mvn_ test-compile >/dev/null
  mvn_ dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/bench-test.cp >/dev/null
  echo "target/test-classes:target/classes:$(cat target/bench-test.cp)"
}
if want policy; then
  echo "== policy (JMH)"
  jmh="PolicyBench ${JMH_ARGS:--f 1 -wi 3 -i 5 -w 2s -r 2s}"
  # offline first; online only if the exec plugin is not in the local repository yet
  mvn -B -q -o -Pbench dependency:resolve-plugins >/dev/null 2>&1 || mvn -B -q -Pbench dependency:resolve-plugins >/dev/null
  mvn -B -o -Pbench test -Djmh.args="$jmh" | grep -v '^\[INFO\]'
  echo "== policy: 10,000 / 1 archive ratios, measured side by side"
  java -Xmx1g -cp "$(testcp)" dev.checkpointguard.bench.PolicyRatio
fi
if want scale; then
  echo "== scale (check / repair)"
  # shellcheck disable=SC2086
  bench/scale.sh ${SCALE_ARGS:-}
fi
if want serve; then
  echo "== serve throughput"
  # shellcheck disable=SC2086
  java -Xmx512m -cp "$(testcp)" dev.checkpointguard.bench.ServeThroughput ${SERVE_ARGS:-}
fi
if want ssh; then
  echo "== ssh throughput (OpenSSH $(ssh -V 2>&1 | cut -d, -f1))"
  # shellcheck disable=SC2086
  java -Xmx512m -cp "$(testcp)" dev.checkpointguard.bench.SshThroughput ${SSH_ARGS:-}
fi
if want stock; then
  echo "== stock hook"
  if [ -x bench/hook-bench.sh ]; then
    # shellcheck disable=SC2086
    bench/hook-bench.sh ${STOCK_ARGS:-}
    # the first content-rule reset at 10,000 archives through the installed hook, with the archive index file
    bench/stock-index-bench.sh
  else
    echo "bench/hook-bench.sh is not in this tree: skipped"
  fi
fi
if want mirror; then
  echo "== mirror (guarded sync vs git fetch --prune)"
  # shellcheck disable=SC2086
  bench/mirror.sh ${MIRROR_ARGS:-}
fi
if want login; then
  echo "== login (JMH)"
  mvn -B -q -o -Pbench dependency:resolve-plugins >/dev/null 2>&1 || mvn -B -q -Pbench dependency:resolve-plugins >/dev/null
  mvn -B -o -Pbench test -Djmh.args="LoginBench ${JMH_ARGS:--f 1 -wi 3 -i 5 -w 2s -r 2s}" | grep -v '^\[INFO\]'
  echo "== login: unknown user / wrong password, measured side by side"
  java -cp "$(testcp)" dev.checkpointguard.bench.LoginRatio
fi
