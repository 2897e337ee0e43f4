#!/usr/bin/env python3
"""A pre-receive hook in Python on git plumbing that judges v2 checkpoint refs like checkpoint-guard's
stock hook does for the pushes of bench/hook-bench.sh, at checkpoint granularity: the baseline of issue 11
("stock hook, rotation push / a python + git-plumbing hook"). Not a product: a benchmark baseline only.

  /main              fast-forward only (git merge-base --is-ancestor)
  archive create     at least 100 checkpoints (git ls-tree -r -d)
  /full/current      every checkpoint it drops must be in an archive already on the server
"""
import re
import subprocess
import sys

V2 = "refs/entire/checkpoints/v2/"
ZERO = "0" * 40
ARCHIVE = re.compile(r"^" + re.escape(V2) + r"full/\d{13}$")
CHECKPOINT = re.compile(r"^([0-9a-f]{2})/([0-9a-f]{10})$")


def git(*args):
    return subprocess.run(["git", *args], capture_output=True, check=True, text=True).stdout


def checkpoints(commit):
    out = set()
    for path in git("ls-tree", "-r", "-d", "--name-only", commit).splitlines():
        m = CHECKPOINT.match(path)
        if m:
            out.add(m.group(1) + m.group(2))
    return out


def main():
    rejected = []
    lines = [l.split() for l in sys.stdin.read().splitlines() if l.strip()]
    for old, new, ref in lines:
        if not ref.startswith(V2):
            continue
        if ref == V2 + "main":
            if old != ZERO and subprocess.run(["git", "merge-base", "--is-ancestor", old, new]).returncode:
                rejected.append(ref + ": not a fast-forward")
        elif ARCHIVE.match(ref):
            if old == ZERO and new != ZERO and len(checkpoints(new)) < 100:
                rejected.append(ref + ": fewer than 100 checkpoints")
        elif ref == V2 + "full/current" and old != ZERO and new != ZERO:
            lost = checkpoints(old) - checkpoints(new)
            if lost:
                archives = sorted(
                    (l.split()[1], l.split()[0])
                    for l in git("for-each-ref", "--format=%(objectname) %(refname)", V2 + "full/").splitlines()
                    if ARCHIVE.match(l.split()[1]))
                for _, tip in reversed(archives):
                    lost -= checkpoints(tip)
                    if not lost:
                        break
            if lost:
                rejected.append(ref + ": would lose %d checkpoints" % len(lost))
    for r in rejected:
        print("python-guard: " + r, file=sys.stderr)
    return 1 if rejected else 0


if __name__ == "__main__":
    sys.exit(main())
