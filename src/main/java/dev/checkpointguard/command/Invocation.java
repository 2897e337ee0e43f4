package dev.checkpointguard.command;

import java.io.File;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * How to run {@code checkpoint-guard} again, exactly as this process was started, for the hints the
 * commands print ({@code Try: … --help}, {@code undo with: … restore …}): every hint runs as
 * printed, from any working directory.
 *
 * <ul>
 *   <li>Started by the launcher install.sh writes ({@code <prefix>/bin/checkpoint-guard}), which
 *       exports {@value #LAUNCHER_ENV}: that name ({@code checkpoint-guard} when it is the one on
 *       the PATH, else the launcher's path).
 *   <li>Started as {@code java -jar checkpoint-guard.jar}: {@code java -jar <absolute jar path>},
 *       with the absolute path of this JVM's {@code java} instead of {@code java} when the {@code
 *       java} on the PATH is another one.
 *   <li>Started from classes (a development build, tests): {@code java -cp <class path>} and the
 *       main class.
 * </ul>
 *
 * Arguments are quoted for a POSIX shell when they need it ({@link #quote}).
 */
public final class Invocation {
  /** Set by the installed launcher to the name it was run under. */
  public static final String LAUNCHER_ENV = "CHECKPOINT_GUARD_COMMAND";

  /** The class {@code java -cp} starts; the jar's manifest and the hook scripts name it too. */
  public static final String MAIN_CLASS = "dev.checkpointguard.cli.Main";

  private static final Pattern PLAIN = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

  private final List<String> prefix;

  private Invocation(List<String> prefix) {
    this.prefix = List.copyOf(prefix);
  }

  /** The invocation of this process, as {@code env} (the process's environment) tells it. */
  public static Invocation of(Map<String, String> env) {
    String launcher = env.get(LAUNCHER_ENV);
    if (launcher != null && !launcher.isBlank()) {
      return new Invocation(List.of(launcher));
    }
    String java = javaCommand(env.get("PATH"));
    Path code = codeSource();
    if (code != null && Files.isRegularFile(code)) {
      return new Invocation(List.of(java, "-jar", code.toString()));
    }
    String cp = System.getProperty("java.class.path", "");
    List<String> classes = new ArrayList<>();
    for (String entry : cp.split(File.pathSeparator)) {
      if (!entry.isEmpty()) {
        classes.add(Path.of(entry).toAbsolutePath().normalize().toString());
      }
    }
    return new Invocation(
        List.of(java, "-cp", String.join(File.pathSeparator, classes), MAIN_CLASS));
  }

  /**
   * An invocation with a fixed prefix, e.g. {@code forPrefix("checkpoint-guard")} (tests,
   * embedders).
   */
  public static Invocation forPrefix(String... words) {
    return new Invocation(List.of(words));
  }

  /** The command line to run {@code args} (a subcommand and its arguments), quoted for a shell. */
  public String command(String... args) {
    StringBuilder b = new StringBuilder();
    for (String w : prefix) {
      b.append(b.length() == 0 ? "" : " ").append(quote(w));
    }
    for (String a : args) {
      b.append(' ').append(quote(a));
    }
    return b.toString();
  }

  /**
   * {@code s} quoted for a POSIX shell: as it is when it needs no quoting, else in single quotes.
   */
  public static String quote(String s) {
    if (PLAIN.matcher(s).matches()) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** The absolute path of a repository argument, for hints that must work from any directory. */
  public static String absolute(String path) {
    return Path.of(path).toAbsolutePath().normalize().toString();
  }

  @Override
  public String toString() {
    return command();
  }

  /** {@code java} when the PATH's java is this JVM's, else this JVM's absolute path. */
  private static String javaCommand(String path) {
    Path own = Path.of(System.getProperty("java.home"), "bin", "java");
    if (path != null) {
      for (String dir : path.split(File.pathSeparator)) {
        if (dir.isEmpty()) {
          continue;
        }
        Path candidate = Path.of(dir, "java");
        if (Files.isExecutable(candidate)) {
          try {
            return candidate.toRealPath().equals(own.toRealPath()) ? "java" : own.toString();
          } catch (IOException e) {
            return own.toString();
          }
        }
      }
    }
    return own.toString();
  }

  /** The jar (or classes folder) this class was loaded from, or null when unknown. */
  private static Path codeSource() {
    try {
      var source = Invocation.class.getProtectionDomain().getCodeSource();
      return source == null
          ? null
          : Path.of(source.getLocation().toURI()).toAbsolutePath().normalize();
    } catch (URISyntaxException | IllegalArgumentException | SecurityException e) {
      return null;
    }
  }
}
