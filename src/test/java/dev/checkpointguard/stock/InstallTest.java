package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;

/** install.sh: layouts, chaining with existing hooks, idempotence, uninstall, errors. */
class InstallTest extends StockHookFixture {
  /**
   * A client whose main is at {@code first}, plus an unrelated {@code other} commit for non-ff
   * pushes.
   */
  private record Client(Path dir, ObjectId first, ObjectId other) {}

  private Client clientWithMain() throws Exception {
    try (ClientRepo c = clientRepo("client.git", ClientRepo.DEFAULT_THRESHOLD)) {
      c.checkpoint();
      ObjectId first = c.ref(MAIN);
      ObjectId other =
          c.insertCommit(new FlatTree(), "Initialize v2 ref"); // unrelated: not a fast-forward
      c.updateRef("refs/heads/master", ObjectId.zeroId(), first);
      return new Client(c.directory(), first, other);
    }
  }

  private GitCli.Result forceOther(Client c, GitCli p, Path server) throws Exception {
    setRef(c.dir(), MAIN, c.other());
    return p.run(c.dir(), "push", server.toString(), "+" + MAIN + ":" + MAIN);
  }

  @Test
  void keepsAnExistingHookThatSucceedsAndFeedsItTheSameInput() throws Exception {
    Path server = bare("server.git");
    Path seen = root.resolve("seen by old hook.txt");
    writeExecutable(
        server.resolve("hooks/pre-receive"),
        "#!/bin/sh\ncat > \"" + seen + "\"\necho old hook ok >&2\n");
    GitCli.Result r = install("--repo", server.toString()).expectOk();
    assertTrue(
        r.stdout().contains("kept the existing " + server.resolve("hooks/pre-receive")),
        r.toString());
    Client c = clientWithMain();
    GitCli.Result push = push(c.dir(), server.toString(), MAIN + ":" + MAIN);
    assertEquals(0, push.exitCode(), push.toString());
    assertLines(List.of("old hook ok"), push.remoteLines(), push);
    assertEquals(ZERO + " " + c.first().name() + " " + MAIN + "\n", Files.readString(seen));

    GitCli.Result refused = forceOther(c, cli, server);
    assertEquals(1, refused.exitCode(), refused.toString());
    assertLines(List.of("old hook ok", MAIN_HISTORY), refused.remoteLines(), refused);
  }

  @Test
  void anExistingHookThatFailsStillFailsThePush() throws Exception {
    Path server = bare("server.git");
    writeExecutable(
        server.resolve("hooks/pre-receive"), "#!/bin/sh\necho 'old hook: no' >&2\nexit 3\n");
    install("--repo", server.toString()).expectOk();
    Client c = clientWithMain();
    GitCli.Result push = push(c.dir(), server.toString(), "refs/heads/master:refs/heads/master");
    assertEquals(1, push.exitCode(), push.toString());
    assertLines(List.of("old hook: no"), push.remoteLines(), push);
    assertTrue(push.stderr().contains("(pre-receive hook declined)"), push.toString());
    assertEquals(null, serverRef(server, "refs/heads/master"));
  }

  @Test
  void installingTwiceGivesTheSameResultAndUninstallRestoresWhatWasThere() throws Exception {
    Path plain = bare("plain.git");
    Path chained = bare("chained.git");
    writeExecutable(chained.resolve("hooks/pre-receive"), "#!/bin/sh\nexit 0\n");
    writeExecutable(chained.resolve("hooks/update"), "#!/bin/sh\necho update \"$1\" >&2\n");
    Path noHooksDir = bare("no hooks dir.git");
    Files.walk(noHooksDir.resolve("hooks"))
        .sorted(java.util.Comparator.reverseOrder())
        .forEach(p -> p.toFile().delete());
    for (Path repo : List.of(plain, chained, noHooksDir)) {
      Map<String, String> before = snapshot(repo.resolve("hooks"));
      install("--per-ref", "--repo", repo.toString()).expectOk();
      Map<String, String> once = snapshot(repo.resolve("hooks"));
      assertNotEquals(before, once);
      install("--per-ref", "--repo", repo.toString()).expectOk();
      assertEquals(once, snapshot(repo.resolve("hooks")), "second install changed " + repo);
      GitCli.Result u = install("--uninstall", "--repo", repo.toString()).expectOk();
      assertEquals(
          before, snapshot(repo.resolve("hooks")), "uninstall did not restore " + repo + "\n" + u);
      assertEquals(Files.exists(repo.resolve("hooks")), repo != noHooksDir);
    }
    assertTrue(snapshot(chained.resolve("hooks")).get("update").contains("echo update"));

    // switching per-ref mode off puts the original update hook back and keeps the chained
    // pre-receive
    Map<String, String> original = snapshot(chained.resolve("hooks"));
    install("--per-ref", "--repo", chained.toString()).expectOk();
    install("--repo", chained.toString()).expectOk();
    Map<String, String> allOrNothing = snapshot(chained.resolve("hooks"));
    assertEquals(original.get("update"), allOrNothing.get("update"));
    assertFalse(allOrNothing.containsKey("update.before-checkpoint-guard"));
    assertTrue(allOrNothing.get("pre-receive").contains("# checkpoint-guard-hook:"));
    assertTrue(allOrNothing.get("pre-receive").contains("CG_PER_REF=''"));
    install("--uninstall", "--repo", chained.toString()).expectOk();
    assertEquals(original, snapshot(chained.resolve("hooks")));
  }

  @Test
  void perRefInstallKeepsAnExistingUpdateHookRunningFirst() throws Exception {
    Path server = bare("server.git");
    writeExecutable(
        server.resolve("hooks/update"),
        "#!/bin/sh\ncase $1 in refs/heads/blocked) echo \"old update: $1\" >&2; exit 1;; esac\n");
    install("--per-ref", "--repo", server.toString()).expectOk();
    Client c = clientWithMain();
    GitCli.Result push =
        push(c.dir(), server.toString(), "refs/heads/master:refs/heads/blocked", MAIN + ":" + MAIN);
    assertEquals(1, push.exitCode(), push.toString());
    assertTrue(push.remoteLines().contains("old update: refs/heads/blocked"), push.toString());
    assertEquals(null, serverRef(server, "refs/heads/blocked"));
    assertEquals(c.first().name(), serverRef(server, MAIN));
  }

  @Test
  void aPushWithoutGuardedRefsNeverStartsJava() throws Exception {
    Path started = root.resolve("java was started.txt");
    Path fakeJava = root.resolve("fake jdk/bin/java");
    writeExecutable(
        fakeJava,
        "#!/bin/sh\n"
            + "if [ \"$1\" = -version ]; then echo 'openjdk version \"17.0.99\" 2099-01-01' >&2; exit 0; fi\n"
            + "echo \"$@\" >> \""
            + started
            + "\"\necho 'fake java refuses (rule unknown-ref)' >&2\nexit 1\n");
    Path server = bare("server.git");
    installRaw(
            "--jar",
            TestJar.get().toString(),
            "--prefix",
            prefix.toString(),
            "--java",
            fakeJava.toString(),
            "--no-cds",
            "--per-ref",
            "--repo",
            server.toString())
        .expectOk();
    // install.sh asks the java for its version and runs the verification push, nothing else
    assertEquals(1, Files.readAllLines(started).size());
    assertTrue(Files.readString(started).contains("dev.checkpointguard.cli.Main pre-receive"));
    Files.delete(started);
    Client c = clientWithMain();
    GitCli.Result plain =
        push(
            c.dir(),
            server.toString(),
            "refs/heads/master:refs/heads/master",
            "refs/heads/master:refs/tags/v1");
    assertEquals(0, plain.exitCode(), plain.toString());
    assertFalse(Files.exists(started), "java was started for a push without guarded refs");

    GitCli.Result guarded = push(c.dir(), server.toString(), MAIN + ":" + MAIN);
    assertEquals(1, guarded.exitCode(), guarded.toString());
    assertTrue(
        guarded.remoteLines().contains("fake java refuses (rule unknown-ref)"), guarded.toString());
    assertTrue(
        Files.readString(started).contains("pre-receive"), "the guarded push must start java");
  }

  /**
   * A jar whose hook would fail open (its Main exits 0 for everything) is refused; nothing is
   * installed.
   */
  @Test
  void aJarThatDoesNotGuardIsRefused() throws Exception {
    Path src = Files.createDirectories(root.resolve("fake src/dev/checkpointguard/cli"));
    Files.writeString(
        src.resolve("Main.java"),
        "package dev.checkpointguard.cli;\n"
            + "public class Main { public static void main(String[] a) { System.out.println(\"ok\"); } }\n");
    Path classes = Files.createDirectories(root.resolve("fake classes"));
    javax.tools.JavaCompiler javac = javax.tools.ToolProvider.getSystemJavaCompiler();
    assertEquals(
        0,
        javac.run(null, null, null, "-d", classes.toString(), src.resolve("Main.java").toString()));
    Path jar = root.resolve("fails open.jar");
    try (java.util.jar.JarOutputStream out =
        new java.util.jar.JarOutputStream(
            Files.newOutputStream(jar), new java.util.jar.Manifest())) {
      out.putNextEntry(new java.util.jar.JarEntry("dev/checkpointguard/cli/Main.class"));
      out.write(Files.readAllBytes(classes.resolve("dev/checkpointguard/cli/Main.class")));
      out.closeEntry();
    }
    Path server = bare("server.git");
    Map<String, String> before = snapshot(server.resolve("hooks"));
    GitCli.Result r =
        installRaw(
            "--jar",
            jar.toString(),
            "--prefix",
            prefix.toString(),
            "--no-cds",
            "--repo",
            server.toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertEquals(
        "install.sh: "
            + jar
            + " does not guard: its pre-receive hook must refuse a push of"
            + " refs/entire/checkpoints/v2/verify-install (exit 1, rule unknown-ref) but exited 0 saying: ok ;"
            + " nothing was installed\n",
        r.stderr());
    assertEquals(before, snapshot(server.resolve("hooks")));
    assertFalse(Files.exists(prefix.resolve("checkpoint-guard.jar")));
    assertEquals(List.of(), List.of(prefix.toFile().list()), "no temporary file is left behind");

    // the real jar passes the same check and leaves no temporary file either
    install("--repo", server.toString()).expectOk();
    assertEquals(
        List.of("bin", "checkpoint-guard.jar"),
        List.of(prefix.toFile().list()).stream().sorted().toList());
    assertEquals(
        List.of("checkpoint-guard"),
        List.of(prefix.resolve("bin").toFile().list()),
        "the launcher");
    try (java.util.stream.Stream<Path> files = Files.list(server.resolve("hooks"))) {
      assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp.")));
    }
  }

  @Test
  void installsIntoEveryBareRepositoryUnderAFolder() throws Exception {
    Path a = bare("repos/a.git");
    Path b = bare("repos/group one/b.git");
    client("repos/not bare");
    GitCli.Result r = install("--repos", root.resolve("repos").toString()).expectOk();
    assertTrue(Files.isExecutable(a.resolve("hooks/pre-receive")), r.toString());
    assertTrue(Files.isExecutable(b.resolve("hooks/pre-receive")), r.toString());
    assertFalse(Files.exists(root.resolve("repos/not bare/.git/hooks/pre-receive")), r.toString());
    Client c = clientWithMain();
    push(c.dir(), b.toString(), MAIN + ":" + MAIN).expectOk();
    GitCli.Result refused = forceOther(c, cli, b);
    assertLines(List.of(MAIN_HISTORY), refused.remoteLines(), refused);
  }

  @Test
  void gitLabLayoutsPrefixRejectionsForTheWebUi() throws Exception {
    Path server = bare("gitlab/project.git");
    // stands in for Gitaly: every executable in custom_hooks/pre-receive.d, in order, same input,
    // stopping at the first failure
    writeExecutable(
        server.resolve("hooks/pre-receive"),
        "#!/bin/sh\nin=$(cat)\nfor h in custom_hooks/pre-receive.d/*; do\n"
            + "  [ -x \"$h\" ] || continue\n  printf '%s\\n' \"$in\" | \"$h\" || exit $?\ndone\n");
    Map<String, String> hooksBefore = snapshot(server.resolve("hooks"));
    install("--gitlab-repo", server.toString()).expectOk();
    assertEquals(hooksBefore, snapshot(server.resolve("hooks")));
    assertTrue(Files.isExecutable(server.resolve("custom_hooks/pre-receive.d/checkpoint-guard")));

    Client c = clientWithMain();
    GitCli gitlab = cli.with("GL_ID", "user-1").with("GL_PROTOCOL", "ssh");
    gitlab.run(c.dir(), "push", server.toString(), MAIN + ":" + MAIN).expectOk();
    GitCli.Result refused = forceOther(c, gitlab, server);
    assertEquals(1, refused.exitCode(), refused.toString());
    assertLines(
        List.of(MAIN_HISTORY, "GL-HOOK-ERR: " + MAIN_HISTORY), refused.remoteLines(), refused);

    install("--uninstall", "--gitlab-repo", server.toString()).expectOk();
    assertFalse(
        Files.exists(server.resolve("custom_hooks")), "uninstall removes the folders it created");

    Path global = Files.createDirectories(root.resolve("gitlab hooks"));
    install("--gitlab-global", global.toString()).expectOk();
    assertTrue(Files.isExecutable(global.resolve("pre-receive.d/checkpoint-guard")));
    install("--gitlab-global", global.toString()).expectOk();
    install("--uninstall", "--gitlab-global", global.toString()).expectOk();
    assertEquals(
        Map.of(),
        snapshot(global).entrySet().stream()
            .filter(e -> !e.getKey().equals("/"))
            .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
  }

  @Test
  void giteaLayoutNeverReplacesTheGeneratedHook() throws Exception {
    Path server = bare("gitea/owner/repo.git");
    // stands in for Gitea's generated dispatcher: runs every hook in pre-receive.d, even after a
    // failure
    writeExecutable(
        server.resolve("hooks/pre-receive"),
        "#!/usr/bin/env bash\n# AUTO GENERATED BY GITEA, DO NOT MODIFY\ndata=$(cat)\nexitcodes=\"\"\n"
            + "hookname=$(basename \"$0\")\nGIT_DIR=${GIT_DIR:-$(dirname \"$0\")/..}\n"
            + "for hook in ${GIT_DIR}/hooks/${hookname}.d/*; do\n"
            + "  test -x \"${hook}\" && test -f \"${hook}\" || continue\n"
            + "  echo \"${data}\" | \"${hook}\"\n  exitcodes=\"${exitcodes} $?\"\ndone\n"
            + "for i in ${exitcodes}; do\n  [ ${i} -eq 0 ] || exit ${i}\ndone\n");
    writeExecutable(
        server.resolve("hooks/pre-receive.d/gitea"), "#!/bin/sh\necho gitea checks >&2\n");
    String generated = Files.readString(server.resolve("hooks/pre-receive"));
    install("--gitea-repo", server.toString()).expectOk();
    install("--gitea-repo", server.toString()).expectOk();
    assertEquals(generated, Files.readString(server.resolve("hooks/pre-receive")));
    assertTrue(Files.isExecutable(server.resolve("hooks/pre-receive.d/checkpoint-guard")));

    Client c = clientWithMain();
    push(c.dir(), server.toString(), MAIN + ":" + MAIN).expectOk();
    GitCli.Result refused = forceOther(c, cli, server);
    assertEquals(1, refused.exitCode(), refused.toString());
    assertLines(List.of(MAIN_HISTORY, "gitea checks"), refused.remoteLines(), refused);

    install("--uninstall", "--gitea-repo", server.toString()).expectOk();
    assertEquals(List.of("gitea"), List.of(server.resolve("hooks/pre-receive.d").toFile().list()));
  }

  @Test
  void createsTheClassDataArchiveAndTheHookUsesIt() throws Exception {
    Path server = bare("server.git");
    // JDK 17 ignores archived classes of a jar whose path contains a space: this prefix has none
    Path plainPrefix = tmp.resolve("prefix");
    String[] args = {
      "--jar",
      TestJar.get().toString(),
      "--prefix",
      plainPrefix.toString(),
      "--repo",
      server.toString()
    };
    GitCli.Result r = installRaw(args).expectOk();
    Path jsa = plainPrefix.resolve("checkpoint-guard.jsa");
    assertTrue(r.stdout().contains("created the class-data archive " + jsa), r.toString());
    assertTrue(Files.size(jsa) > 0, r.toString());
    String hook = Files.readString(server.resolve("hooks/pre-receive"));
    assertTrue(hook.contains("CG_JSA='" + jsa + "'"), hook);
    GitCli.Result again = installRaw(args).expectOk();
    assertFalse(
        again.stdout().contains("created the class-data archive"), "an up-to-date archive is kept");
    assertEquals(hook, Files.readString(server.resolve("hooks/pre-receive")));
    Client c = clientWithMain();
    push(c.dir(), server.toString(), MAIN + ":" + MAIN).expectOk();
    GitCli.Result refused = forceOther(c, cli, server);
    assertLines(List.of(MAIN_HISTORY), refused.remoteLines(), refused);

    GitCli.Result spaced =
        installRaw(
                "--jar",
                TestJar.get().toString(),
                "--prefix",
                prefix.toString(),
                "--repo",
                server.toString())
            .expectOk();
    assertTrue(
        spaced
            .stdout()
            .contains("does not use a class-data archive for a jar under '" + prefix + "'"),
        spaced.toString());
    assertTrue(Files.readString(server.resolve("hooks/pre-receive")).contains("CG_JSA=''"));
  }

  @Test
  void missingMavenIsAClearErrorWhenTheJarMustBeBuilt() throws Exception {
    // a source tree without target/ and a PATH with every tool install.sh uses, except mvn
    Path src = Files.createDirectories(root.resolve("source tree"));
    Files.copy(installScript(), src.resolve("install.sh"));
    Files.createDirectories(src.resolve("hooks"));
    Files.copy(TestJar.sourceRoot().resolve("hooks/pre-receive"), src.resolve("hooks/pre-receive"));
    Path bin = Files.createDirectories(root.resolve("bin without mvn"));
    for (String tool :
        List.of(
            "bash",
            "sh",
            "git",
            "dirname",
            "basename",
            "find",
            "sed",
            "grep",
            "cmp",
            "cp",
            "chmod",
            "mv",
            "mkdir",
            "rm",
            "rmdir",
            "mktemp",
            "cat",
            "cksum",
            "head",
            "java")) {
      for (String dir : System.getenv("PATH").split(":")) {
        Path p = Path.of(dir, tool);
        if (Files.isExecutable(p)) {
          Files.createSymbolicLink(bin.resolve(tool), p);
          break;
        }
      }
    }
    Path server = bare("server.git");
    GitCli.Result r =
        cli.with("PATH", bin.toString())
            .exec(
                root,
                null,
                List.of(
                    bin.resolve("bash").toString(),
                    src.resolve("install.sh").toString(),
                    "--no-cds",
                    "--prefix",
                    prefix.toString(),
                    "--repo",
                    server.toString()));
    assertEquals(2, r.exitCode(), r.toString());
    assertEquals(
        "install.sh: Maven (mvn) not found: install Maven to build the jar, or pass --jar FILE\n",
        r.stderr());
    assertFalse(Files.exists(server.resolve("hooks/pre-receive")));
  }

  @Test
  void clearErrorsForBadTargetsAndMissingJava() throws Exception {
    Path notBare = client("work tree");
    GitCli.Result r = install("--repo", notBare.toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertEquals("install.sh: not a bare git repository: " + notBare + "\n", r.stderr());

    Path elsewhere = bare("hooks path.git");
    cli.run(elsewhere, "config", "core.hooksPath", "/srv/shared hooks").expectOk();
    GitCli.Result hooksPath = install("--repo", elsewhere.toString());
    assertEquals(2, hooksPath.exitCode(), hooksPath.toString());
    assertEquals(
        "install.sh: "
            + elsewhere
            + " has core.hooksPath = /srv/shared hooks, so git would not run "
            + elsewhere
            + "/hooks; unset it, or install with --gitlab-global/--gitea-repo if that host"
            + " manages the hooks\n",
        hooksPath.stderr());

    Path server = bare("server.git");
    GitCli.Result noJava =
        installRaw("--java", root.resolve("no/java").toString(), "--repo", server.toString());
    assertEquals(2, noJava.exitCode(), noJava.toString());
    assertEquals(
        "install.sh: --java " + root.resolve("no/java") + ": no such executable file\n",
        noJava.stderr());
    assertFalse(Files.exists(server.resolve("hooks/pre-receive")));

    GitCli.Result none = installRaw();
    assertEquals(2, none.exitCode());
    assertTrue(none.stderr().startsWith("install.sh: no target given"), none.toString());

    GitCli.Result help = installRaw("--help");
    assertEquals(0, help.exitCode());
    assertTrue(help.stdout().startsWith("usage: install.sh [options] TARGET..."), help.stdout());
    assertTrue(help.stdout().contains("--gitea-repo PATH"), help.stdout());
  }
}
