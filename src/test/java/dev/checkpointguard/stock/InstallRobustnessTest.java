package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.fixtures.GitCli;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * install.sh when things go wrong (issue 9, defect 8) and the launcher it installs (defect 4).
 * Tools fail on purpose through wrapper scripts put first on the PATH: they log what they were
 * asked and fail where the test says.
 */
class InstallRobustnessTest extends StockHookFixture {
  /** The absolute path of {@code tool} on this machine's PATH. */
  private static String real(String tool) {
    for (String dir :
        System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator)) {
      Path p = Path.of(dir, tool);
      if (Files.isExecutable(p)) {
        return p.toString();
      }
    }
    throw new AssertionError(tool + " is not on the PATH");
  }

  /**
   * A folder of wrappers: {@code git} refuses (exit 97, logged) to init a repository outside the
   * test's folder and fails {@code git <failGit>}; {@code mktemp} fails when its template contains
   * {@code failMktemp}. Everything else runs the real tool.
   */
  private GitCli withWrappers(String failGit, String failMktemp) throws Exception {
    Path bin = Files.createDirectories(root.resolve("fake bin"));
    Path log = root.resolve("outside.log");
    writeExecutable(
        bin.resolve("git"),
        "#!/bin/sh\n"
            + "if [ \"$1\" = init ]; then for a in \"$@\"; do case $a in /*) case $a in '"
            + root
            + "'/*) ;; *)"
            + " echo \"git init $a\" >> '"
            + log
            + "'; exit 97;; esac;; esac; done; fi\n"
            + "for a in \"$@\"; do [ \"$a\" = '"
            + failGit
            + "' ] && { echo \"git $a failed\" >&2; exit 1; }; done\n"
            + "exec '"
            + real("git")
            + "' \"$@\"\n");
    writeExecutable(
        bin.resolve("mktemp"),
        "#!/bin/sh\n"
            + "case \"$*\" in *'"
            + failMktemp
            + "'*) echo 'mktemp: no space left' >&2; exit 1;; esac\n"
            + "exec '"
            + real("mktemp")
            + "' \"$@\"\n");
    return cli.with(
        "PATH", bin + File.pathSeparator + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
  }

  private GitCli.Result installWith(GitCli c, String... args) {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "bash",
                installScript().toString(),
                "--jar",
                TestJar.get().toString(),
                "--prefix",
                prefix.toString()));
    cmd.addAll(List.of(args));
    return c.exec(root, null, cmd);
  }

  @Test
  void aJavaThatIsNotThereIsNamed() {
    Path server = bare("server.git");
    Path missing = root.resolve("no jdk/bin/java");
    GitCli.Result r =
        installRaw(
            "--jar",
            TestJar.get().toString(),
            "--prefix",
            prefix.toString(),
            "--java",
            missing.toString(),
            "--repo",
            server.toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertEquals("install.sh: --java " + missing + ": no such executable file\n", r.stderr());
    GitCli.Result name =
        installRaw(
            "--jar",
            TestJar.get().toString(),
            "--prefix",
            prefix.toString(),
            "--java",
            "javaa",
            "--repo",
            server.toString());
    assertEquals(2, name.exitCode(), name.toString());
    assertEquals("install.sh: --java javaa: not found on the PATH\n", name.stderr());
  }

  @Test
  void aSecondRunSaysAlreadyInstalledAndUninstallSaysWhenThereIsNothingToDo() throws Exception {
    Path server = bare("server.git");
    Path hook = server.resolve("hooks/pre-receive");
    GitCli.Result first = install("--repo", server.toString()).expectOk();
    assertTrue(
        first.stdout().lines().anyMatch(l -> l.equals("install.sh: installed " + hook)),
        first.toString());
    long inode = (long) Files.getAttribute(hook, "unix:ino");
    GitCli.Result second = install("--repo", server.toString()).expectOk();
    assertTrue(
        second.stdout().lines().anyMatch(l -> l.equals("install.sh: already installed: " + hook)),
        second.toString());
    assertTrue(
        second
            .stdout()
            .lines()
            .anyMatch(
                l ->
                    l.equals(
                        "install.sh: already installed: "
                            + prefix.resolve("checkpoint-guard.jar"))),
        second.toString());
    assertFalse(second.stdout().contains("install.sh: installed "), second.toString());
    assertEquals(
        inode, (long) Files.getAttribute(hook, "unix:ino"), "an identical hook is not rewritten");

    GitCli.Result removed = install("--uninstall", "--repo", server.toString()).expectOk();
    assertTrue(removed.stdout().contains("install.sh: removed " + hook), removed.toString());
    GitCli.Result again = install("--uninstall", "--repo", server.toString()).expectOk();
    assertEquals(
        "install.sh: nothing to uninstall in " + server.resolve("hooks") + "\n", again.stdout());
  }

  /** {@code if ! train_cds} used to switch set -e off inside it: a failing step went unnoticed. */
  @Test
  void aFailingStepOfTheClassDataTrainingIsNoticed() throws Exception {
    Path server = bare("server.git");
    GitCli.Result r =
        installWith(withWrappers("mktree", "never"), "--repo", server.toString()).expectOk();
    assertTrue(
        r.stdout().contains("install.sh: warning: could not create the class-data archive"),
        r.toString());
    assertFalse(Files.exists(prefix.resolve("checkpoint-guard.jsa")), r.toString());
    assertTrue(
        Files.isExecutable(server.resolve("hooks/pre-receive")),
        "the hook is installed without it");
    assertNoTemporaryFiles();
  }

  /** An unchecked mktemp made the training run git init on /repo.git. */
  @Test
  void aFailingMktempNeverMakesGitWorkOutsideItsScratchFolder() throws Exception {
    Path server = bare("server.git");
    GitCli.Result r =
        installWith(withWrappers("never", "checkpoint-guard-cds"), "--repo", server.toString())
            .expectOk();
    assertFalse(
        Files.exists(root.resolve("outside.log")),
        () -> "git init outside the test folder: " + read(root.resolve("outside.log")));
    assertTrue(
        r.stdout().contains("install.sh: warning: could not create the class-data archive"),
        r.toString());
    assertFalse(Files.exists(prefix.resolve("checkpoint-guard.jsa")));
    assertNoTemporaryFiles();
  }

  /** Interrupted while the class-data training runs: nothing temporary is left (trap cleanup). */
  @Test
  void anInterruptedInstallLeavesNoTemporaryFiles() throws Exception {
    Path server = bare("server.git");
    Path training = root.resolve("training started");
    Path fakeJava = root.resolve("slow jdk/bin/java");
    // the real java, except that the training run (the one writing the archive) waits to be killed
    writeExecutable(
        fakeJava,
        "#!/bin/sh\n"
            + "case \"$*\" in *ArchiveClassesAtExit*) : > '"
            + training
            + "'; exec sleep 600;; esac\n"
            + "exec '"
            + Path.of(System.getProperty("java.home"), "bin", "java")
            + "' \"$@\"\n");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                real("setsid"),
                "bash",
                installScript().toString(),
                "--jar",
                TestJar.get().toString(),
                "--prefix",
                prefix.toString(),
                "--java",
                fakeJava.toString(),
                "--repo",
                server.toString()));
    ProcessBuilder pb = new ProcessBuilder(cmd).directory(root.toFile());
    pb.environment().clear();
    pb.environment().putAll(cli.environment());
    pb.redirectErrorStream(true).redirectOutput(root.resolve("install.out").toFile());
    Process p = pb.start();
    try {
      for (int i = 0; i < 2400 && !Files.exists(training) && p.isAlive(); i++) {
        Thread.sleep(50);
      }
      assertTrue(
          Files.exists(training),
          "the training never started: " + read(root.resolve("install.out")));
      // SIGTERM to install.sh's process group (setsid made it a group of its own), as a terminal's
      // ^C would
      new ProcessBuilder("kill", "-TERM", "--", "-" + p.pid()).inheritIO().start().waitFor();
      assertTrue(p.waitFor(120, TimeUnit.SECONDS), "install.sh did not stop");
    } finally {
      p.destroyForcibly();
    }
    assertNotEquals0(p.exitValue());
    assertNoTemporaryFiles();
  }

  /** The launcher: hints name it as it was run, and run as printed from anywhere. */
  @Test
  void theInstalledLauncherPrintsHintsThatRunAsPrinted() throws Exception {
    Path server = bare("server.git");
    GitCli.Result r = install("--repo", server.toString()).expectOk();
    Path launcher = prefix.resolve("bin/checkpoint-guard");
    assertTrue(Files.isExecutable(launcher), r.toString());
    assertTrue(r.stdout().contains("install.sh: installed " + launcher), r.toString());
    Path elsewhere = Files.createDirectories(root.resolve("elsewhere"));
    // JGit reads ~/.gitconfig from user.home, which a new JVM takes from the account, not from HOME
    // (and
    // JAVA_TOOL_OPTIONS splits at spaces: this home has none)
    Path home = Files.createDirectories(tmp.resolve("jvm-home"));
    GitCli slow =
        new GitCli(home, Duration.ofMinutes(3))
            .with("TMPDIR", home.toString())
            .with("JAVA_TOOL_OPTIONS", "-Duser.home=" + home);

    // run by its path (which has a space): the hint quotes that path
    GitCli.Result bad = slow.exec(elsewhere, null, List.of(launcher.toString(), "repair"));
    assertEquals(2, bad.exitCode(), bad.toString());
    String hint =
        bad.stderr()
            .lines()
            .filter(l -> l.startsWith("Try: "))
            .findFirst()
            .orElseThrow()
            .substring("Try: ".length());
    assertEquals("'" + launcher + "' repair --help", hint);
    GitCli.Result help = slow.exec(root, null, List.of("sh", "-c", hint));
    assertEquals(0, help.exitCode(), help.toString());
    assertTrue(help.stdout().startsWith("usage: '" + launcher + "' repair "), help.stdout());

    // found on the PATH: the hint is the bare name, which runs as printed with that PATH
    GitCli onPath =
        slow.with(
            "PATH",
            launcher.getParent()
                + File.pathSeparator
                + System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    GitCli.Result bare =
        onPath.exec(elsewhere, null, List.of("sh", "-c", "checkpoint-guard restore"));
    assertEquals(2, bare.exitCode(), bare.toString());
    assertTrue(bare.stderr().endsWith("\nTry: checkpoint-guard restore --help\n"), bare.stderr());
    GitCli.Result check =
        onPath.exec(
            elsewhere,
            null,
            List.of(
                "sh",
                "-c",
                "checkpoint-guard check --repo " + Invocation.quote(server.toString())));
    assertEquals(0, check.exitCode(), check.toString());
  }

  private void assertNoTemporaryFiles() throws Exception {
    List<String> left = new ArrayList<>();
    for (Path dir : List.of(root)) {
      try (Stream<Path> s = Files.walk(dir)) {
        s.map(p -> dir.relativize(p).toString())
            .filter(
                n ->
                    n.contains(".tmp.")
                        || n.contains("checkpoint-guard-cds.")
                        || n.contains("checkpoint-guard-verify."))
            .forEach(left::add);
      }
    }
    assertEquals(List.of(), left, "temporary files left behind");
  }

  private static void assertNotEquals0(int code) {
    assertTrue(code != 0, "install.sh exited 0 although it was interrupted");
  }

  private static String read(Path f) {
    try {
      return Files.exists(f) ? Files.readString(f) : "(none)";
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }
}
