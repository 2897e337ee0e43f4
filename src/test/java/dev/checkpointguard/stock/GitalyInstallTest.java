package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * install.sh {@code --gitaly-repo STORAGE:RELATIVE_PATH}: GitLab's supported way, {@code gitaly
 * hooks set}. No GitLab runs here, so a stand-in {@code gitaly} does what GitLab's documentation
 * and Gitaly's SetCustomHooks say {@code hooks set} does: read a tar from standard input, extract
 * its {@code custom_hooks} member and make it the repository's whole {@code custom_hooks/},
 * replacing what was there; an empty input removes the hooks; a storage the config does not name is
 * an error. A stand-in dispatcher in the repository's {@code hooks/pre-receive} runs custom hooks
 * in GitLab's order, so real pushes are judged.
 */
class GitalyInstallTest extends StockHookFixture {
  /** A hashed-storage path as GitLab makes it: SHA-256 of the project id 1. */
  static final String RELATIVE =
      "@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.git";

  Path storage;
  Path config;
  Path gitaly;
  Path calls;

  @BeforeEach
  void gitalyNode() throws Exception {
    storage = Files.createDirectories(root.resolve("git-data/repositories"));
    config = root.resolve("gitaly/config.toml");
    Files.createDirectories(config.getParent());
    Files.writeString(
        config,
        "socket_path = \"/var/opt/gitlab/gitaly/gitaly.socket\"\n"
            + "[[storage]]\nname = \"archive\"\npath = \"/nonexistent/archive\"\n"
            + "[[storage]]\nname = 'default'\npath = '"
            + storage
            + "' # the default storage\n"
            + "[hooks]\ncustom_hooks_dir = \"/var/opt/gitlab/gitaly/custom_hooks\"\n");
    calls = root.resolve("gitaly calls.log");
    gitaly = root.resolve("gitlab bin/gitaly");
    writeExecutable(
        gitaly,
        "#!/usr/bin/env bash\n"
            + "# stand-in for 'gitaly hooks set --storage S --repository R --config C' (tar on stdin)\n"
            + "set -eu\n"
            + "[ \"$1 $2\" = 'hooks set' ] || { echo \"unknown command $1 $2\" >&2; exit 1; }\n"
            + "shift 2\n"
            + "while [ $# -gt 0 ]; do case $1 in\n"
            + "  --storage) storage=$2; shift 2;; --repository) repo=$2; shift 2;; --config) config=$2; shift 2;;\n"
            + "  *) echo \"flag provided but not defined: $1\" >&2; exit 1;; esac; done\n"
            + "path=$(awk -v n=\"$storage\" '/^\\[\\[storage\\]\\]/{s=1;next} /^\\[/{s=0} "
            + "s&&/^name/{gsub(/^[^=]*= *[\"\\047]|[\"\\047].*$/,\"\");nm=$0} "
            + "s&&/^path/{gsub(/^[^=]*= *[\"\\047]|[\"\\047].*$/,\"\");if(nm==n)print}' \"$config\")\n"
            + "[ -n \"$path\" ] || { echo \"storage not found: $storage\" >&2; exit 1; }\n"
            + "target=\"$path/$repo\"\n"
            + "[ -d \"$target\" ] || { echo \"repository not found\" >&2; exit 1; }\n"
            + "tmp=$(mktemp -d)\n"
            + "cat > \"$tmp/hooks.tar\"\n"
            + "mkdir \"$tmp/new\"\n"
            + "if [ -s \"$tmp/hooks.tar\" ]; then tar -xf \"$tmp/hooks.tar\" -C \"$tmp/new\" custom_hooks; fi\n"
            + "rm -rf \"$target/custom_hooks\"\n"
            + "if [ -d \"$tmp/new/custom_hooks\" ]; then mv \"$tmp/new/custom_hooks\" \"$target/custom_hooks\"; fi\n"
            + "rm -rf \"$tmp\"\n"
            + "echo \"hooks set $storage $repo\" >> '"
            + calls
            + "'\n");
  }

  /**
   * A repository of the default storage whose hooks/pre-receive runs custom hooks as Gitaly does.
   */
  Path gitlabRepo() throws Exception {
    Path repo = bare("git-data/repositories/" + RELATIVE);
    writeExecutable(
        repo.resolve("hooks/pre-receive"),
        "#!/bin/sh\nin=$(cat)\n"
            + "if [ -x custom_hooks/pre-receive ]; then printf '%s\\n' \"$in\" | custom_hooks/pre-receive || exit $?; fi\n"
            + "for h in custom_hooks/pre-receive.d/*; do\n"
            + "  [ -x \"$h\" ] || continue\n  printf '%s\\n' \"$in\" | \"$h\" || exit $?\ndone\n");
    return repo;
  }

  GitCli.Result installGitaly(String... args) {
    List<String> all =
        new ArrayList<>(
            List.of("--gitaly-config", config.toString(), "--gitaly-bin", gitaly.toString()));
    all.addAll(List.of(args));
    return install(all.toArray(String[]::new));
  }

  List<String> calls() throws Exception {
    return Files.exists(calls) ? Files.readAllLines(calls) : List.of();
  }

  @Test
  void installsThroughHooksSetKeepingTheExistingHooksAndUninstallRestoresThem() throws Exception {
    Path repo = gitlabRepo();
    Path seen = root.resolve("seen by the old hook.txt");
    writeExecutable(
        repo.resolve("custom_hooks/pre-receive"),
        "#!/bin/sh\ncat > '" + seen + "'\necho legacy hook ok >&2\n");
    writeExecutable(
        repo.resolve("custom_hooks/pre-receive.d/00-policy"), "#!/bin/sh\necho policy ok >&2\n");
    writeExecutable(
        repo.resolve("custom_hooks/post-receive.d/notify"), "#!/bin/sh\necho notified >&2\n");
    Files.writeString(repo.resolve("custom_hooks/README"), "kept as is\n");
    Map<String, String> before = snapshot(repo.resolve("custom_hooks"));

    GitCli.Result r = installGitaly("--gitaly-repo", "default:" + RELATIVE).expectOk();
    assertEquals(List.of("hooks set default " + RELATIVE), calls(), r.toString());
    assertTrue(
        r.stdout()
            .contains(
                "installed checkpoint-guard into default:" + RELATIVE + " with gitaly hooks set"),
        r.toString());
    Map<String, String> installed = snapshot(repo.resolve("custom_hooks"));
    Path dropin = repo.resolve("custom_hooks/pre-receive.d/checkpoint-guard");
    assertTrue(Files.isExecutable(dropin));
    for (Map.Entry<String, String> e : before.entrySet()) {
      assertEquals(
          e.getValue(), installed.get(e.getKey()), "existing hook " + e.getKey() + " changed");
    }

    // real pushes: the old hooks run first, then the guard, with GitLab's UI prefix
    try (ClientRepo c = clientRepo("client.git", ClientRepo.DEFAULT_THRESHOLD)) {
      c.checkpoint();
      ObjectId first = c.ref(MAIN);
      GitCli gitlab = cli.with("GL_ID", "user-1").with("GL_PROTOCOL", "web");
      GitCli.Result ok = gitlab.run(c.directory(), "push", repo.toString(), MAIN + ":" + MAIN);
      assertEquals(0, ok.exitCode(), ok.toString());
      assertEquals(ZERO + " " + first.name() + " " + MAIN + "\n", Files.readString(seen));
      setRef(c.directory(), MAIN, c.insertCommit(new FlatTree(), "Initialize v2 ref"));
      GitCli.Result refused =
          gitlab.run(c.directory(), "push", repo.toString(), "+" + MAIN + ":" + MAIN);
      assertEquals(1, refused.exitCode(), refused.toString());
      assertLines(
          List.of("legacy hook ok", "policy ok", MAIN_HISTORY, "GL-HOOK-ERR: " + MAIN_HISTORY),
          refused.remoteLines(),
          refused);
      assertEquals(first.name(), serverRef(repo, MAIN));
    }

    installGitaly("--gitaly-repo", "default:" + RELATIVE).expectOk();
    assertEquals(
        installed, snapshot(repo.resolve("custom_hooks")), "a second install changes nothing");
    GitCli.Result u =
        installGitaly("--uninstall", "--gitaly-repo", "default:" + RELATIVE).expectOk();
    assertEquals(
        before, snapshot(repo.resolve("custom_hooks")), "uninstall restores byte for byte\n" + u);
    assertEquals(3, calls().size());
    installGitaly("--uninstall", "--gitaly-repo", "default:" + RELATIVE).expectOk();
    assertEquals(3, calls().size(), "nothing of ours to remove: hooks set is not called");
  }

  @Test
  void aRepositoryWithoutCustomHooksGetsThemAndLosesThemAgain() throws Exception {
    Path repo = gitlabRepo();
    installGitaly("--gitaly-repo", "default:" + RELATIVE).expectOk();
    assertEquals(
        List.of("/", "pre-receive.d/", "pre-receive.d/checkpoint-guard"),
        List.copyOf(snapshot(repo.resolve("custom_hooks")).keySet()));
    installGitaly("--uninstall", "--gitaly-repo", "default:" + RELATIVE).expectOk();
    assertFalse(
        Files.exists(repo.resolve("custom_hooks")),
        "the empty input removed the folder install made");
  }

  @Test
  void clearErrorsLeaveTheHooksAlone() throws Exception {
    Path repo = gitlabRepo();
    writeExecutable(
        repo.resolve("custom_hooks/pre-receive.d/checkpoint-guard"), "#!/bin/sh\necho mine\n");
    Map<String, String> before = snapshot(repo.resolve("custom_hooks"));

    GitCli.Result noConfig =
        install("--gitaly-bin", gitaly.toString(), "--gitaly-repo", "default:" + RELATIVE);
    assertEquals(2, noConfig.exitCode(), noConfig.toString());
    assertEquals(
        "install.sh: --gitaly-repo needs --gitaly-config FILE (the Gitaly node's config.toml, e.g."
            + " /var/opt/gitlab/gitaly/config.toml)\n",
        noConfig.stderr());

    GitCli.Result badSpec = installGitaly("--gitaly-repo", RELATIVE);
    assertEquals(2, badSpec.exitCode(), badSpec.toString());
    assertTrue(
        badSpec
            .stderr()
            .startsWith(
                "install.sh: --gitaly-repo " + RELATIVE + ": expected STORAGE:RELATIVE_PATH"),
        badSpec.stderr());

    GitCli.Result climbs = installGitaly("--gitaly-repo", "default:../../etc.git");
    assertEquals(2, climbs.exitCode(), climbs.toString());
    assertTrue(climbs.stderr().contains("must not contain . or .. segments"), climbs.stderr());

    GitCli.Result storageUnknown = installGitaly("--gitaly-repo", "nfs:" + RELATIVE);
    assertEquals(2, storageUnknown.exitCode(), storageUnknown.toString());
    assertEquals(
        "install.sh: "
            + config
            + " names no storage 'nfs' ([[storage]] with name = \"nfs\" and a path)\n",
        storageUnknown.stderr());

    GitCli.Result missing = installGitaly("--gitaly-repo", "default:@hashed/00/00/none.git");
    assertEquals(2, missing.exitCode(), missing.toString());
    assertTrue(
        missing
            .stderr()
            .startsWith("install.sh: no repository @hashed/00/00/none.git in storage 'default'"),
        missing.stderr());

    GitCli.Result foreign = installGitaly("--gitaly-repo", "default:" + RELATIVE);
    assertEquals(2, foreign.exitCode(), foreign.toString());
    assertTrue(
        foreign
            .stderr()
            .contains("pre-receive.d/checkpoint-guard exists and is not checkpoint-guard's"),
        foreign.stderr());

    // hooks set itself fails (Gitaly unreachable): the message says so and nothing changed
    Files.delete(repo.resolve("custom_hooks/pre-receive.d/checkpoint-guard"));
    before = snapshot(repo.resolve("custom_hooks"));
    writeExecutable(
        gitaly,
        "#!/bin/sh\ncat >/dev/null\necho 'rpc error: code = Unavailable desc = connection refused' >&2\nexit 1\n");
    GitCli.Result down = installGitaly("--gitaly-repo", "default:" + RELATIVE);
    assertEquals(2, down.exitCode(), down.toString());
    assertEquals(
        "install.sh: 'gitaly hooks set' failed for default:"
            + RELATIVE
            + " (exit 1): rpc error: code ="
            + " Unavailable desc = connection refused ; the repository's hooks are unchanged\n",
        down.stderr());
    assertEquals(before, snapshot(repo.resolve("custom_hooks")));
    assertEquals(List.of(), calls());
    try (var files = Files.list(root.resolve("home"))) {
      assertTrue(
          files.noneMatch(p -> p.getFileName().toString().startsWith("checkpoint-guard-gitaly")),
          "no staging folder is left behind");
    }
  }
}
