#!/usr/bin/env bash
# install.sh: install checkpoint-guard's stock-git hook into bare repositories, GitLab or Gitea/Forgejo.
# Run ./install.sh --help for the options; docs/stock-hook.md explains the layouts.
set -euo pipefail

SRC_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
PROG="install.sh"
MARKER="checkpoint-guard-hook"
SAVED_SUFFIX=".before-checkpoint-guard"
DROPIN_NAME="checkpoint-guard"

usage() {
  cat <<'USAGE'
usage: install.sh [options] TARGET...
       install.sh --uninstall TARGET...

Installs the checkpoint-guard pre-receive hook, which refuses damaging pushes to the Entire CLI's v2
checkpoint refs (refs/entire/checkpoints/v2/). Pushes that name no such ref never start Java.

Targets (each may be given several times; every path may contain spaces):
  --repo PATH            a bare repository: PATH/hooks/pre-receive
  --repos DIR            every bare repository found under DIR
  --gitlab-repo PATH     a GitLab (Gitaly) repository: PATH/custom_hooks/pre-receive.d/checkpoint-guard
  --gitlab-global DIR    a GitLab global custom hooks folder: DIR/pre-receive.d/checkpoint-guard
  --gitea-repo PATH      a Gitea/Forgejo repository: PATH/hooks/pre-receive.d/checkpoint-guard
                         (Gitea's generated hooks/pre-receive runs it; it is never replaced)
  --gitaly-repo STORAGE:RELATIVE_PATH
                         a GitLab repository through Gitaly's supported 'gitaly hooks set' (GitLab 15.11+):
                         the repository's custom_hooks/ (existing hooks kept) plus
                         pre-receive.d/checkpoint-guard, as a tar on the command's standard input; needs
                         --gitaly-config. Run it on every Gitaly node that holds the repository

Options:
  --prefix DIR           where the jar and its class-data archive are installed, shared by all targets
                         (default /opt/checkpoint-guard)
  --jar FILE             install this checkpoint-guard.jar instead of building target/checkpoint-guard.jar
  --java FILE            the java (17 or later) the hook runs (default $JAVA_HOME/bin/java, else java on
                         PATH); its absolute path is written into the hook
  --gitaly-config FILE   the Gitaly node's config.toml (default path on Linux packages:
                         /var/opt/gitlab/gitaly/config.toml); names the storages for --gitaly-repo
  --gitaly-bin FILE      the gitaly command (default: gitaly on PATH, else /opt/gitlab/embedded/bin/gitaly)
  --per-ref              (--repo/--repos only) also install hooks/update, so that only the offending refs
                         of a push are refused instead of the whole push
  --mirror               (--repo/--repos only) install the fetch-mirror hook instead: hooks/reference-transaction
                         (git 2.28 or later), which never refuses anything but keeps every v2 tip a
                         git fetch --prune would lose in <repo>/checkpoint-guard/kept.git (docs/mirror.md)
  --no-cds               do not create the AppCDS archive (slower hook start)
  --uninstall            remove the hook from the targets and restore what was there before
  -h, --help             show this help

An existing hooks/pre-receive (or hooks/update) is never overwritten: it is renamed to
pre-receive.before-checkpoint-guard and the installed hook runs it first with the same input; if it fails,
the push fails. Running install.sh again gives the same result; --uninstall puts the old hook back.
The jar is built with Maven when target/checkpoint-guard.jar is missing or older than the sources.
Settings live in each repository's git config (checkpointGuard.mode, .threshold, .allowArchiveDeletion,
.minArchiveAgeForDeletion, .v2, .unreadableRepository); see docs/stock-hook.md.

Exit codes: 0 done, 2 bad usage or setup (nothing is changed for a target that fails its checks).
USAGE
}

die() {
  printf '%s: %s\n' "$PROG" "$*" >&2
  exit 2
}

note() {
  printf '%s: %s\n' "$PROG" "$*"
}

# --- arguments ---------------------------------------------------------------------------------------
targets=()   # entries "kind:path"
prefix="/opt/checkpoint-guard"
jar_arg=""
java_arg=""
per_ref=""
mirror=""
cds=1
uninstall=""
gitaly_config=""
gitaly_bin=""

need_arg() {
  [ "$#" -ge 2 ] && [ -n "$2" ] || die "$1 needs a value (try --help)"
}

while [ "$#" -gt 0 ]; do
  case "$1" in
    --repo | --repos | --gitlab-repo | --gitlab-global | --gitea-repo)
      need_arg "$@"
      targets+=("${1#--}:$2")
      shift 2
      ;;
    --gitaly-repo)
      need_arg "$@"
      targets+=("gitaly-repo:$2")
      shift 2
      ;;
    --gitaly-config) need_arg "$@"; gitaly_config="$2"; shift 2 ;;
    --gitaly-bin) need_arg "$@"; gitaly_bin="$2"; shift 2 ;;
    --prefix) need_arg "$@"; prefix="$2"; shift 2 ;;
    --jar) need_arg "$@"; jar_arg="$2"; shift 2 ;;
    --java) need_arg "$@"; java_arg="$2"; shift 2 ;;
    --per-ref) per_ref=1; shift ;;
    --mirror) mirror=1; shift ;;
    --no-cds) cds=""; shift ;;
    --uninstall) uninstall=1; shift ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done

[ "${#targets[@]}" -gt 0 ] || die "no target given: use --repo, --repos, --gitlab-repo, --gitlab-global, --gitea-repo or --gitaly-repo (try --help)"
command -v git >/dev/null 2>&1 || die "git not found on PATH"
if [ -n "$mirror" ]; then
  [ -z "$per_ref" ] || die "--mirror and --per-ref exclude each other (a fetch mirror takes no pushes to judge)"
  for t in "${targets[@]}"; do
    case "${t%%:*}" in
      repo | repos) ;;
      *) die "--mirror works with --repo/--repos only (a Gitea/Forgejo pull mirror is a bare repository: use --repos with Gitea's repository root)" ;;
    esac
  done
  git_version="$(git version | sed -n 's/^git version \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p')"
  set -- $git_version
  if [ -z "$git_version" ] || [ "$1" -lt 2 ] || { [ "$1" -eq 2 ] && [ "$2" -lt 28 ]; }; then
    die "--mirror needs git 2.28 or later (the reference-transaction hook); this is $(git version)"
  fi
fi

# Absolute path of an existing file or directory (no readlink -f dependency for directories).
abs_dir() {
  (cd "$1" 2>/dev/null && pwd -P)
}

git_safe() {
  # install.sh often runs as root on repositories owned by the git user
  git -c safe.directory='*' "$@"
}

is_bare_repo() {
  [ -d "$1" ] && [ "$(git_safe -C "$1" rev-parse --is-bare-repository 2>/dev/null)" = "true" ]
}

# Shell-quotes $1 for a POSIX sh single-quoted assignment.
sh_quote() {
  printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"
}

# --- resolve targets into "layout|hooks-dir|levels-created-by-us" ------------------------------------
# layouts: plain (hooks/pre-receive, with chaining), dropin (<dir>/checkpoint-guard)
plan=()

add_plain() {
  local repo="$1" hooks_path
  is_bare_repo "$repo" || die "not a bare git repository: $repo"
  # with core.hooksPath (repository, global or system config) git never runs <repo>/hooks
  hooks_path="$(git_safe -C "$repo" config --get core.hooksPath 2>/dev/null || true)"
  if [ -n "$hooks_path" ] && [ -z "$uninstall" ]; then
    die "$repo has core.hooksPath = $hooks_path, so git would not run $repo/hooks; unset it, or install with --gitlab-global/--gitea-repo if that host manages the hooks"
  fi
  plan+=("plain|$(abs_dir "$repo")/hooks")
}

add_dropin() {
  local dir="$1" # the .d directory
  plan+=("dropin|$dir")
}

# --- Gitaly (--gitaly-repo STORAGE:RELATIVE_PATH) ------------------------------------------------------
# 'gitaly hooks set' replaces a repository's whole custom_hooks/ with the tar it reads, and Gitaly has no
# command that prints the current hooks. install.sh therefore reads the repository's custom_hooks/ from the
# storage's folder on this node (config.toml names it), adds or removes only its own drop-in, and hands the
# whole folder back: the hooks that were there stay as they were.
gitaly_storages=()
gitaly_relpaths=()
gitaly_dirs=()

# The path of storage $2 in Gitaly config file $1 ([[storage]] tables with name = and path = lines).
gitaly_storage_path() {
  awk -v want="$2" -v q="'" '
    # the string value of a key = value line: a TOML basic (double-quoted) or literal (single-quoted) string
    function value(line,   c, rest, stop) {
      sub(/^[^=]*=[ \t]*/, "", line)
      c = substr(line, 1, 1)
      if (c != "\"" && c != q) return ""
      rest = substr(line, 2)
      stop = index(rest, c)
      return stop > 0 ? substr(rest, 1, stop - 1) : ""
    }
    function found() { return in_s && name == want && path != "" }
    /^[ \t]*\[\[[ \t]*storage[ \t]*\]\]/ { if (found()) { print path; exit } in_s = 1; name = ""; path = ""; next }
    /^[ \t]*\[/ { if (found()) { print path; exit } in_s = 0; next }
    in_s && /^[ \t]*name[ \t]*=/ { name = value($0) }
    in_s && /^[ \t]*path[ \t]*=/ { path = value($0) }
    END { if (found()) print path }
  ' "$1" | head -n 1
}

add_gitaly() {
  local spec="$1" storage relpath storage_path repo
  case "$spec" in
    *:*) storage="${spec%%:*}"; relpath="${spec#*:}" ;;
    *) die "--gitaly-repo $spec: expected STORAGE:RELATIVE_PATH, e.g. default:@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.git" ;;
  esac
  [ -n "$storage" ] && [ -n "$relpath" ] || die "--gitaly-repo $spec: expected STORAGE:RELATIVE_PATH"
  case "/$relpath/" in
    //* | */../* | */./*) die "--gitaly-repo $spec: the relative path must be relative and must not contain . or .. segments" ;;
  esac
  [ -n "$gitaly_config" ] || die "--gitaly-repo needs --gitaly-config FILE (the Gitaly node's config.toml, e.g. /var/opt/gitlab/gitaly/config.toml)"
  [ -f "$gitaly_config" ] && [ -r "$gitaly_config" ] || die "cannot read the Gitaly config $gitaly_config"
  storage_path="$(gitaly_storage_path "$gitaly_config" "$storage")"
  [ -n "$storage_path" ] || die "$gitaly_config names no storage '$storage' ([[storage]] with name = \"$storage\" and a path)"
  repo="$storage_path/$relpath"
  is_bare_repo "$repo" \
    || die "no repository $relpath in storage '$storage' on this node ($repo); on Gitaly Cluster give the replica path (Praefect's metadata) and run install.sh on each node"
  resolve_gitaly_bin
  gitaly_storages+=("$storage")
  gitaly_relpaths+=("$relpath")
  gitaly_dirs+=("$(abs_dir "$repo")")
  plan+=("gitaly|$((${#gitaly_dirs[@]} - 1))")
}

resolve_gitaly_bin() {
  if [ -z "$gitaly_bin" ]; then
    gitaly_bin="$(command -v gitaly 2>/dev/null || true)"
    [ -n "$gitaly_bin" ] || gitaly_bin=/opt/gitlab/embedded/bin/gitaly
  fi
  [ -x "$gitaly_bin" ] || die "the gitaly command was not found ($gitaly_bin): pass --gitaly-bin FILE"
}

for t in "${targets[@]}"; do
  kind="${t%%:*}"
  path="${t#*:}"
  case "$kind" in
    repo) add_plain "$path" ;;
    repos)
      [ -d "$path" ] || die "not a directory: $path"
      found=0
      while IFS= read -r -d '' d; do
        if is_bare_repo "$d"; then
          add_plain "$d"
          found=$((found + 1))
        fi
      done < <(find "$path" -type d -exec test -f '{}/HEAD' -a -d '{}/objects' -a -d '{}/refs' \; -print0 -prune)
      [ "$found" -gt 0 ] || die "no bare git repository under $path"
      ;;
    gitlab-repo)
      is_bare_repo "$path" || die "not a bare git repository: $path"
      [ -z "$per_ref" ] || die "--per-ref works with --repo/--repos only (GitLab runs custom hooks itself)"
      add_dropin "$(abs_dir "$path")/custom_hooks/pre-receive.d"
      ;;
    gitlab-global)
      [ -d "$path" ] || die "not a directory: $path"
      [ -z "$per_ref" ] || die "--per-ref works with --repo/--repos only (GitLab runs custom hooks itself)"
      add_dropin "$(abs_dir "$path")/pre-receive.d"
      ;;
    gitaly-repo)
      [ -z "$per_ref" ] || die "--per-ref works with --repo/--repos only (GitLab runs custom hooks itself)"
      add_gitaly "$path"
      ;;
    gitea-repo)
      is_bare_repo "$path" || die "not a bare git repository: $path"
      [ -z "$per_ref" ] || die "--per-ref works with --repo/--repos only (Gitea's hooks/update is its own)"
      gitea_hooks="$(abs_dir "$path")/hooks"
      if [ ! -x "$gitea_hooks/pre-receive" ] && [ -z "$uninstall" ]; then
        note "warning: $gitea_hooks/pre-receive is missing; Gitea writes it (Site Administration > Resynchronize git hooks) and only it runs pre-receive.d"
      fi
      add_dropin "$gitea_hooks/pre-receive.d"
      ;;
  esac
done

# A hook file is ours when it is a regular file (not a symlink) carrying the marker.
is_ours() {
  [ -f "$1" ] && [ ! -L "$1" ] && grep -q "^# $MARKER:" "$1" 2>/dev/null
}

# --- uninstall -----------------------------------------------------------------------------------------
uninstall_plain_hook() {
  local hooks="$1" name="$2"
  local dest="$hooks/$name" saved="$hooks/$name$SAVED_SUFFIX"
  if is_ours "$dest"; then
    local levels
    levels="$(sed -n 's/^#@created-levels: \([0-9]*\)$/\1/p' "$dest")"
    rm -f "$dest"
    if [ -e "$saved" ] || [ -L "$saved" ]; then
      mv "$saved" "$dest"
      note "restored $dest"
    else
      note "removed $dest"
    fi
    if [ "${levels:-0}" -ge 1 ]; then
      rmdir "$hooks" 2>/dev/null || true
    fi
  elif [ -e "$saved" ] || [ -L "$saved" ]; then
    note "warning: $dest is not checkpoint-guard's; left $saved in place"
  fi
}

uninstall_dropin() {
  local dir="$1"
  local dest="$dir/$DROPIN_NAME"
  if is_ours "$dest"; then
    local levels d i
    levels="$(sed -n 's/^#@created-levels: \([0-9]*\)$/\1/p' "$dest")"
    rm -f "$dest"
    note "removed $dest"
    d="$dir"
    for ((i = 0; i < ${levels:-0}; i++)); do
      rmdir "$d" 2>/dev/null || break
      d="$(dirname "$d")"
    done
  elif [ -e "$dest" ]; then
    note "warning: $dest is not checkpoint-guard's; left in place"
  fi
}

# Copies repository $1's custom_hooks/ (modes and links kept) into a new private staging folder and prints it.
gitaly_stage() {
  local repo="$1" stage
  stage="$(mktemp -d "${TMPDIR:-/tmp}/checkpoint-guard-gitaly.XXXXXX")" || die "cannot create a staging folder"
  if [ -e "$repo/custom_hooks" ] || [ -L "$repo/custom_hooks" ]; then
    if ! cp -pPR "$repo/custom_hooks" "$stage/custom_hooks"; then
      rm -rf "$stage"
      die "cannot read the existing hooks in $repo/custom_hooks"
    fi
  fi
  printf '%s' "$stage"
}

# Hands staging folder $2's custom_hooks/ (or, when there is none, an empty input, which removes the
# repository's hooks) to 'gitaly hooks set' for Gitaly target $1, then removes the staging folder.
gitaly_set() {
  local i="$1" stage="$2" code=0 out
  out="$stage.out"
  if [ -d "$stage/custom_hooks" ]; then
    (cd "$stage" && tar -cf - custom_hooks) \
      | "$gitaly_bin" hooks set --storage "${gitaly_storages[$i]}" --repository "${gitaly_relpaths[$i]}" \
        --config "$gitaly_config" >"$out" 2>&1 || code=$?
  else
    "$gitaly_bin" hooks set --storage "${gitaly_storages[$i]}" --repository "${gitaly_relpaths[$i]}" \
      --config "$gitaly_config" </dev/null >"$out" 2>&1 || code=$?
  fi
  local said
  said="$(head -c 600 "$out" | tr '\n' ' ')"
  rm -f "$out"
  if [ "$code" -ne 0 ]; then
    rm -rf "$stage"
    die "'gitaly hooks set' failed for ${gitaly_storages[$i]}:${gitaly_relpaths[$i]} (exit $code)${said:+: $said}; the repository's hooks are unchanged"
  fi
}

uninstall_gitaly() {
  local i="$1" repo="${gitaly_dirs[$1]}" stage dest levels d n
  dest="pre-receive.d/$DROPIN_NAME"
  if ! is_ours "$repo/custom_hooks/$dest"; then
    if [ -e "$repo/custom_hooks/$dest" ]; then
      note "warning: $repo/custom_hooks/$dest is not checkpoint-guard's; left in place"
    fi
    return 0
  fi
  stage="$(gitaly_stage "$repo")"
  levels="$(sed -n 's/^#@created-levels: \([0-9]*\)$/\1/p' "$stage/custom_hooks/$dest")"
  rm -f "$stage/custom_hooks/$dest"
  d="$stage/custom_hooks/pre-receive.d"
  for ((n = 0; n < ${levels:-0}; n++)); do
    rmdir "$d" 2>/dev/null || break
    d="$(dirname "$d")"
  done
  gitaly_set "$i" "$stage"
  rm -rf "$stage"
  [ ! -e "$repo/custom_hooks/$dest" ] \
    || die "'gitaly hooks set' succeeded but $repo/custom_hooks/$dest is still there"
  note "removed $DROPIN_NAME from ${gitaly_storages[$i]}:${gitaly_relpaths[$i]} (gitaly hooks set)"
}

if [ -n "$uninstall" ]; then
  for p in "${plan[@]}"; do
    layout="${p%%|*}"
    dir="${p#*|}"
    case "$layout" in
      plain)
        uninstall_plain_hook "$dir" update
        uninstall_plain_hook "$dir" pre-receive
        uninstall_plain_hook "$dir" reference-transaction
        ;;
      dropin) uninstall_dropin "$dir" ;;
      gitaly) uninstall_gitaly "$dir" ;;
    esac
  done
  exit 0
fi

# --- java ------------------------------------------------------------------------------------------------
if [ -n "$java_arg" ]; then
  case "$java_arg" in
    */*) java="$java_arg" ;;
    *) java="$(command -v "$java_arg" 2>/dev/null || true)" ;; # a bare name is looked up on PATH
  esac
elif [ -n "${JAVA_HOME:-}" ] && [ -x "$JAVA_HOME/bin/java" ]; then
  java="$JAVA_HOME/bin/java"
else
  java="$(command -v java 2>/dev/null || true)"
fi
[ -n "$java" ] && [ -x "$java" ] || die "java not found: install a JDK or JRE 17 or later, or pass --java FILE"
java="$(cd "$(dirname "$java")" && pwd -P)/$(basename "$java")"
java_version="$("$java" -version 2>&1 | head -n 1)" || die "cannot run $java"
java_major="$(printf '%s' "$java_version" | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p')"
[ -n "$java_major" ] && [ "$java_major" -ge 17 ] 2>/dev/null \
  || die "$java is not Java 17 or later ($java_version)"

# --- jar -------------------------------------------------------------------------------------------------
if [ -n "$jar_arg" ]; then
  [ -f "$jar_arg" ] || die "jar not found: $jar_arg"
  jar_src="$jar_arg"
else
  jar_src="$SRC_DIR/target/checkpoint-guard.jar"
  if [ ! -f "$jar_src" ] || [ -n "$(find "$SRC_DIR/pom.xml" "$SRC_DIR/src/main" -newer "$jar_src" -print -quit 2>/dev/null)" ]; then
    command -v mvn >/dev/null 2>&1 \
      || die "Maven (mvn) not found: install Maven to build the jar, or pass --jar FILE"
    note "building $jar_src with Maven"
    (cd "$SRC_DIR" && mvn -B -q -DskipTests package) || die "the Maven build failed"
    [ -f "$jar_src" ] || die "the Maven build did not produce $jar_src"
  fi
fi

mkdir -p "$prefix" || die "cannot create $prefix"
prefix="$(abs_dir "$prefix")"
jar="$prefix/checkpoint-guard.jar"
jsa="$prefix/checkpoint-guard.jsa"

# Temporary files next to their destination (so that mv is an atomic rename) get an unpredictable name
# that mktemp creates exclusively with mode 600: install.sh often runs as root in folders the git user can
# write (hooks/), where a predictable name could be a planted symlink that a plain '>' would follow.
temp_beside() {
  mktemp "$(dirname "$1")/.$(basename "$1").tmp.XXXXXX" || die "cannot create a temporary file next to $1"
}

# --- verification: the jar must really refuse (a jar whose hook always exits 0 would fail open) ---------
# Runs the jar's pre-receive as the hook does, in a scratch repository, with a push it must refuse (a ref
# under refs/entire/checkpoints/v2/ that is no checkpoint ref); dies unless it exits 1 naming a rule.
verify_jar() {
  local candidate="$1" scratch code=0 zero=0000000000000000000000000000000000000000
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/checkpoint-guard-verify.XXXXXX")" || die "cannot create a scratch folder"
  if ! GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null git init -q --bare "$scratch/repo.git" >/dev/null 2>&1; then
    rm -rf "$scratch"
    die "cannot create a scratch repository in ${TMPDIR:-/tmp} to verify the jar"
  fi
  printf '%s 1111111111111111111111111111111111111111 refs/entire/checkpoints/v2/verify-install\n' "$zero" \
    >"$scratch/input"
  GIT_DIR="$scratch/repo.git" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null \
    "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -cp "$candidate" \
    dev.checkpointguard.cli.Main pre-receive <"$scratch/input" >"$scratch/out" 2>&1 || code=$?
  local out
  out="$(head -c 600 "$scratch/out" | tr '\n' ' ')"
  rm -rf "$scratch"
  if [ "$code" -ne 1 ] || ! printf '%s' "$out" | grep -q '(rule unknown-ref)'; then
    die "$jar_src does not guard: its pre-receive hook must refuse a push of refs/entire/checkpoints/v2/verify-install (exit 1, rule unknown-ref) but exited $code${out:+ saying: $out}; nothing was installed"
  fi
}

# With --mirror, the jar must also name the tip a fetch would lose (its reference-transaction command).
verify_mirror_jar() {
  local candidate="$1" scratch out
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/checkpoint-guard-verify.XXXXXX")" || die "cannot create a scratch folder"
  out="$(
    set -e
    export GIT_DIR="$scratch/repo.git" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    export GIT_AUTHOR_NAME=v GIT_AUTHOR_EMAIL=v@localhost GIT_COMMITTER_NAME=v GIT_COMMITTER_EMAIL=v@localhost
    git init -q --bare "$GIT_DIR"
    blob="$(printf 'x\n' | git hash-object -w --stdin)"
    session="$(printf '100644 blob %s\traw_transcript\n' "$blob" | git mktree)"
    cp1="$(printf '040000 tree %s\t0\n' "$session" | git mktree)"
    shard="$(printf '040000 tree %s\t23456789ab\n' "$cp1" | git mktree)"
    tree="$(printf '040000 tree %s\t01\n' "$shard" | git mktree)"
    cur="$(git commit-tree -m 'Checkpoint: 0123456789ab' "$tree")"
    git update-ref refs/entire/checkpoints/v2/full/current "$cur"
    printf 'candidate %s %s\nupdate %s %s %s\n' "$cur" refs/entire/checkpoints/v2/full/current \
      "$cur" 0000000000000000000000000000000000000000 refs/entire/checkpoints/v2/full/current \
      | "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData -cp "$candidate" \
        dev.checkpointguard.cli.Main reference-transaction 2>&1
    echo " $cur"
  )" || true
  rm -rf "$scratch"
  local cur="${out##* }"
  case "$out" in
    "keep $cur refs/entire/checkpoints/v2/full/current 1 1"*) ;;
    *) die "$jar_src cannot judge mirror updates: its reference-transaction command must name the tip a deletion loses, but said: $(printf '%s' "$out" | head -c 300 | tr '\n' ' '); nothing was installed" ;;
  esac
}

if cmp -s "$jar_src" "$jar"; then
  verify_jar "$jar"
  [ -z "$mirror" ] || verify_mirror_jar "$jar"
else
  jar_tmp="$(temp_beside "$jar")"
  if ! cp "$jar_src" "$jar_tmp"; then
    rm -f "$jar_tmp"
    die "cannot copy $jar_src to $prefix"
  fi
  chmod 644 "$jar_tmp"
  (verify_jar "$jar_tmp") || { rm -f "$jar_tmp"; exit 2; }
  if [ -n "$mirror" ]; then
    (verify_mirror_jar "$jar_tmp") || { rm -f "$jar_tmp"; exit 2; }
  fi
  mv -f "$jar_tmp" "$jar"
  note "installed $jar"
fi

# --- AppCDS archive: a training run of the hook on a scratch repository --------------------------------
train_cds() {
  local scratch
  scratch="$(mktemp -d "${TMPDIR:-/tmp}/checkpoint-guard-cds.XXXXXX")"
  (
    set -e
    export GIT_DIR="$scratch/repo.git" GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
    export GIT_AUTHOR_NAME=cds GIT_AUTHOR_EMAIL=cds@localhost GIT_COMMITTER_NAME=cds GIT_COMMITTER_EMAIL=cds@localhost
    git init -q --bare "$GIT_DIR"
    git config checkpointGuard.threshold 2
    blob="$(printf 'x\n' | git hash-object -w --stdin)"
    session="$(printf '100644 blob %s\traw_transcript\n' "$blob" | git mktree)"
    cp1="$(printf '040000 tree %s\t0\n' "$session" | git mktree)"
    shard="$(printf '040000 tree %s\t23456789ab\n040000 tree %s\t23456789ac\n' "$cp1" "$cp1" | git mktree)"
    tree="$(printf '040000 tree %s\t01\n' "$shard" | git mktree)"
    empty="$(git mktree </dev/null)"
    root="$(git commit-tree -m 'Initialize v2 ref' "$empty")"
    cur="$(git commit-tree -p "$root" -m 'Checkpoint: 0123456789ab' "$tree")"
    arch="$(git commit-tree -p "$cur" -m 'Archive generation' "$tree")"
    reset="$(git commit-tree -m 'Start generation' "$empty")"
    git update-ref refs/entire/checkpoints/v2/full/current "$cur"
    git update-ref refs/entire/checkpoints/v2/main "$root"
    zero=0000000000000000000000000000000000000000
    printf '%s %s %s\n%s %s %s\n%s %s %s\n%s %s %s\n' \
      "$root" "$cur" refs/entire/checkpoints/v2/main \
      "$zero" "$arch" refs/entire/checkpoints/v2/full/0000000000001 \
      "$cur" "$reset" refs/entire/checkpoints/v2/full/current \
      "$zero" "$cur" refs/entire/checkpoints/v2/bogus >"$scratch/input"
    # exit code 1 (the bogus ref is rejected) is expected; any other outcome means the archive is suspect
    set +e
    "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData \
      "-XX:ArchiveClassesAtExit=$jsa_tmp" -cp "$jar" dev.checkpointguard.cli.Main pre-receive \
      <"$scratch/input" >"$scratch/out" 2>&1
    code=$?
    set -e
    [ "$code" -eq 1 ] && [ -s "$jsa_tmp" ] || { cat "$scratch/out" >&2; exit 1; }
  )
  local ok=$?
  rm -rf "$scratch"
  return "$ok"
}

# True when the JVM really loads the application's classes from archive $1. JDK 17 maps an archive whose
# jar lies under a path with a space but then loads every class from the jar, so check, don't assume.
cds_effective() {
  "$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -XX:-UsePerfData "-XX:SharedArchiveFile=$1" \
    -Xlog:class+load=info -cp "$jar" dev.checkpointguard.cli.Main --version 2>/dev/null \
    | grep -q 'dev\.checkpointguard\.cli\.Main source: shared objects file'
}

jsa_setting=""
if [ -n "$cds" ]; then
  stamp="$(printf '%s\n%s\n%s\n' "$java" "$("$java" -version 2>&1)" "$(cksum <"$jar")")"
  if [ -f "$jsa" ] && [ "$(cat "$jsa.stamp" 2>/dev/null || true)" = "$stamp" ]; then
    jsa_setting="$jsa"
  else
    rm -f "$jsa" "$jsa.stamp"
    # the JVM writes the archive itself: give it a fresh name in a private folder next to the target
    jsa_dir="$(mktemp -d "$prefix/.checkpoint-guard.jsa.tmp.XXXXXX")" || die "cannot create a temporary folder in $prefix"
    jsa_tmp="$jsa_dir/checkpoint-guard.jsa"
    if ! train_cds; then
      note "warning: could not create the class-data archive; the hook will start without it"
    elif ! cds_effective "$jsa_tmp"; then
      note "warning: $java does not use a class-data archive for a jar under '$prefix' (JDK 17 ignores it when the path contains a space); the hook will start without it: choose a --prefix without spaces for faster starts"
    else
      chmod 644 "$jsa_tmp"
      stamp_tmp="$(temp_beside "$jsa.stamp")"
      printf '%s\n' "$stamp" >"$stamp_tmp"
      chmod 644 "$stamp_tmp"
      mv -f "$jsa_tmp" "$jsa"
      mv -f "$stamp_tmp" "$jsa.stamp"
      note "created the class-data archive $jsa"
      jsa_setting="$jsa"
    fi
    rm -rf "$jsa_dir"
  fi
fi

# --- hooks -------------------------------------------------------------------------------------------------
# Writes the installed copy of template $1 to $2 with the settings block filled in.
write_hook() {
  local template="$1" dest="$2" chained="$3" levels="$4" with_per_ref="$5"
  local tmp
  tmp="$(temp_beside "$dest")"
  {
    local in_block=""
    while IFS= read -r line || [ -n "$line" ]; do
      case "$line" in
        '#@settings-begin')
          in_block=1
          printf '%s\n' "$line"
          printf 'CG_JAVA=%s\n' "$(sh_quote "$java")"
          printf 'CG_JAR=%s\n' "$(sh_quote "$jar")"
          printf 'CG_JSA=%s\n' "$(sh_quote "$jsa_setting")"
          printf 'CG_CHAINED=%s\n' "$(sh_quote "$chained")"
          if [ "$with_per_ref" = yes ]; then
            printf 'CG_PER_REF=%s\n' "$(sh_quote "$per_ref")"
          fi
          printf '#@created-levels: %s\n' "$levels"
          ;;
        '#@settings-end')
          in_block=""
          printf '%s\n' "$line"
          ;;
        *)
          [ -n "$in_block" ] || printf '%s\n' "$line"
          ;;
      esac
    done <"$template"
  } >"$tmp"
  chmod 755 "$tmp"
  mv -f "$tmp" "$dest"
}

# Installs template $2 as hooks/$1 of a plain repository, keeping a foreign hook as the chained one.
install_plain_hook() {
  local hooks="$1" name="$2" with_per_ref="$3" created_hooks_dir="${4:-0}"
  local dest="$hooks/$name" saved="$hooks/$name$SAVED_SUFFIX" chained="" levels="$created_hooks_dir"
  if is_ours "$dest"; then
    levels="$(sed -n 's/^#@created-levels: \([0-9]*\)$/\1/p' "$dest")"
    levels="${levels:-0}"
    if [ -e "$saved" ] || [ -L "$saved" ]; then chained="$saved"; fi
  elif [ -e "$dest" ] || [ -L "$dest" ]; then
    if [ -e "$saved" ] || [ -L "$saved" ]; then
      die "both $dest and $saved exist and neither is checkpoint-guard's; resolve this by hand"
    fi
    mv "$dest" "$saved"
    chained="$saved"
    note "kept the existing $dest: it now runs first, as $saved"
  fi
  write_hook "$SRC_DIR/hooks/$name" "$dest" "$chained" "$levels" "$with_per_ref"
  note "installed $dest"
}

install_dropin() {
  local dir="$1" levels=0 d
  local dest="$dir/$DROPIN_NAME"
  if [ -e "$dest" ] || [ -L "$dest" ]; then
    is_ours "$dest" || die "$dest exists and is not checkpoint-guard's; remove or rename it first"
    levels="$(sed -n 's/^#@created-levels: \([0-9]*\)$/\1/p' "$dest")"
    levels="${levels:-0}"
  else
    d="$dir"
    while [ ! -d "$d" ]; do
      levels=$((levels + 1))
      d="$(dirname "$d")"
    done
    mkdir -p "$dir"
  fi
  write_hook "$SRC_DIR/hooks/pre-receive" "$dest" "" "$levels" yes
  note "installed $dest"
}

install_gitaly() {
  local i="$1" repo="${gitaly_dirs[$1]}" stage dir dest levels=0 d
  stage="$(gitaly_stage "$repo")"
  dir="$stage/custom_hooks/pre-receive.d"
  dest="$dir/$DROPIN_NAME"
  if [ -e "$dest" ] || [ -L "$dest" ]; then
    if ! is_ours "$dest"; then
      rm -rf "$stage"
      die "$repo/custom_hooks/pre-receive.d/$DROPIN_NAME exists and is not checkpoint-guard's; remove or rename it first"
    fi
    levels="$(sed -n 's/^#@created-levels: \([0-9]*\)$/\1/p' "$dest")"
    levels="${levels:-0}"
  else
    d="$dir"
    while [ ! -d "$d" ]; do
      levels=$((levels + 1))
      d="$(dirname "$d")"
    done
    mkdir -p "$dir"
  fi
  write_hook "$SRC_DIR/hooks/pre-receive" "$dest" "" "$levels" yes
  gitaly_set "$i" "$stage"
  if ! cmp -s "$dest" "$repo/custom_hooks/pre-receive.d/$DROPIN_NAME"; then
    rm -rf "$stage"
    die "'gitaly hooks set' succeeded but $repo/custom_hooks/pre-receive.d/$DROPIN_NAME is not the hook it was given"
  fi
  rm -rf "$stage"
  note "installed $DROPIN_NAME into ${gitaly_storages[$i]}:${gitaly_relpaths[$i]} with gitaly hooks set ($repo/custom_hooks/pre-receive.d/$DROPIN_NAME)"
}

for p in "${plan[@]}"; do
  layout="${p%%|*}"
  dir="${p#*|}"
  case "$layout" in
    gitaly) install_gitaly "$dir" ;;
    plain)
      created=0
      if [ ! -d "$dir" ]; then mkdir -p "$dir"; created=1; fi
      if [ -n "$mirror" ]; then
        # a fetch mirror: only the reference-transaction hook; a pre-receive hook installed earlier stays
        install_plain_hook "$dir" reference-transaction no "$created"
        continue
      fi
      # created-levels 1 remembers that hooks/ itself was ours, so that --uninstall removes it again
      install_plain_hook "$dir" pre-receive yes "$created"
      if [ -n "$per_ref" ]; then
        install_plain_hook "$dir" update no
      else
        uninstall_plain_hook "$dir" update >/dev/null
      fi
      ;;
    dropin) install_dropin "$dir" ;;
  esac
done
