package dev.checkpointguard.stock;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code git}, {@code install.sh} and hook scripts in an isolated environment: a temporary HOME, no
 * system or global git config, a fixed identity, {@code LC_ALL=C}, only {@code PATH} inherited. Extra
 * variables (e.g. GitLab's {@code GL_ID}) are added per instance with {@link #with}. Every command has a
 * timeout, after which it and its children are killed.
 */
final class Proc {
  private static final long TIMEOUT_SECONDS = 60;

  private final Path home;
  private final Map<String, String> env;

  Proc(Path home) {
    this.home = home;
    try {
      Files.createDirectories(home.resolve(".config"));
      if (!Files.exists(home.resolve(".gitconfig"))) {
        Files.writeString(home.resolve(".gitconfig"), "");
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> e = new HashMap<>();
    e.put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
    String javaHome = System.getenv("JAVA_HOME");
    if (javaHome != null) {
      e.put("JAVA_HOME", javaHome);
    }
    e.put("HOME", home.toString());
    e.put("XDG_CONFIG_HOME", home.resolve(".config").toString());
    e.put("GIT_CONFIG_NOSYSTEM", "1");
    e.put("GIT_CONFIG_GLOBAL", home.resolve(".gitconfig").toString());
    e.put("GIT_AUTHOR_NAME", "Test Pusher");
    e.put("GIT_AUTHOR_EMAIL", "pusher@example.com");
    e.put("GIT_COMMITTER_NAME", "Test Pusher");
    e.put("GIT_COMMITTER_EMAIL", "pusher@example.com");
    e.put("GIT_TERMINAL_PROMPT", "0");
    e.put("LC_ALL", "C");
    e.put("LANG", "C");
    e.put("TMPDIR", home.toString());
    this.env = Map.copyOf(e);
  }

  private Proc(Path home, Map<String, String> env) {
    this.home = home;
    this.env = env;
  }

  /** A copy that also sets {@code key=value}. */
  Proc with(String key, String value) {
    Map<String, String> e = new HashMap<>(env);
    e.put(key, value);
    return new Proc(home, Map.copyOf(e));
  }

  Path home() {
    return home;
  }

  Result git(Path cwd, String... args) {
    List<String> cmd = new ArrayList<>();
    cmd.add("git");
    cmd.addAll(List.of(args));
    return run(cwd, null, cmd);
  }

  Result run(Path cwd, String... cmd) {
    return run(cwd, null, List.of(cmd));
  }

  /** Runs {@code cmd} in {@code cwd} with {@code stdin} (or /dev/null when null). */
  Result run(Path cwd, String stdin, List<String> cmd) {
    Path out = null;
    Path err = null;
    Path in = null;
    try {
      out = Files.createTempFile(home, "out", ".txt");
      err = Files.createTempFile(home, "err", ".txt");
      ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile());
      pb.environment().clear();
      pb.environment().putAll(env);
      if (stdin == null) {
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
      } else {
        in = Files.createTempFile(home, "in", ".txt");
        Files.writeString(in, stdin, StandardCharsets.UTF_8);
        pb.redirectInput(in.toFile());
      }
      pb.redirectOutput(out.toFile());
      pb.redirectError(err.toFile());
      Process p = pb.start();
      int exit;
      if (p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        exit = p.exitValue();
      } else {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor(5, TimeUnit.SECONDS);
        exit = -1;
      }
      return new Result(
          String.join(" ", cmd),
          exit,
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      for (Path p : new Path[] {out, err, in}) {
        if (p != null) {
          try {
            Files.deleteIfExists(p);
          } catch (IOException e) {
            // inside the test's temp dir
          }
        }
      }
    }
  }

  /** Exit code, standard output and standard error of one command. */
  record Result(String command, int exit, String out, String err) {
    /** The {@code remote: } lines of stderr without the prefix and git's padding. */
    List<String> remoteLines() {
      List<String> lines = new ArrayList<>();
      for (String l : err.split("\n")) {
        if (l.startsWith("remote: ")) {
          lines.add(l.substring("remote: ".length()).stripTrailing());
        }
      }
      return lines;
    }

    Result expectOk() {
      if (exit != 0) {
        throw new AssertionError("expected success: " + this);
      }
      return this;
    }

    @Override
    public String toString() {
      return command + " -> " + exit + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
  }
}
