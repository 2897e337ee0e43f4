package dev.checkpointguard.mirror;

import dev.checkpointguard.command.UsageException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The file of {@code serve --mirrors FILE}: one mirror per line, {@code <repository> <upstream>
 * <interval>}, separated by spaces or tabs; {@code #} starts a comment line.
 *
 * <pre>
 * # repository      upstream                                   interval
 * checkpoints.git   https://git.example.com/team/project.git   10m
 * other.git         /srv/git/other.git                         1h
 * </pre>
 *
 * The repository is a name {@code serve} serves ({@code <name>.git} directly in {@code --repos};
 * created empty if missing); the upstream is what {@code mirror --from} takes; the interval is a
 * number with {@code s}, {@code m}, {@code h} or {@code d}, from {@link #MIN_INTERVAL} to {@link
 * #MAX_INTERVAL}.
 */
public final class MirrorsFile {
  /** Shortest interval: a sync more often than this only loads upstream. */
  public static final Duration MIN_INTERVAL = Duration.ofSeconds(10);

  /** Longest interval. */
  public static final Duration MAX_INTERVAL = Duration.ofDays(7);

  /**
   * The repository names {@code serve} serves (one segment ending in {@code .git}, no leading dot).
   */
  static final Pattern NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9._-]{0,200}\\.git");

  private static final Pattern INTERVAL = Pattern.compile("([0-9]{1,9})([smhd])");

  /**
   * One mirror.
   *
   * @param repository the repository's name under {@code --repos}
   * @param upstream where it syncs from
   * @param interval time between syncs
   * @param line the line of the file, for messages
   */
  public record Entry(String repository, Upstream upstream, Duration interval, int line) {}

  private MirrorsFile() {}

  /** Reads and checks {@code file}; any problem is a usage error naming the file and line. */
  public static List<Entry> read(Path file) throws UsageException {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UsageException("--mirrors " + file + ": cannot read it (" + e.getMessage() + ")");
    }
    List<Entry> out = new ArrayList<>();
    Set<String> names = new HashSet<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String where = file + ":" + (i + 1) + ": ";
      String[] f = line.split("[ \t]+");
      if (f.length != 3) {
        throw new UsageException(
            where
                + "expected '<repository> <upstream> <interval>', found "
                + f.length
                + (f.length == 1 ? " field" : " fields"));
      }
      if (!NAME.matcher(f[0]).matches() || f[0].contains("..")) {
        throw new UsageException(
            where
                + "'"
                + f[0]
                + "' is not a repository name serve serves (<name>.git in"
                + " --repos)");
      }
      if (!names.add(f[0])) {
        throw new UsageException(where + f[0] + " is listed twice");
      }
      Upstream up;
      try {
        up = Upstream.parse(f[1], "upstream", UpstreamTransport.BUILT_IN);
      } catch (UsageException e) {
        throw new UsageException(where + e.getMessage());
      }
      out.add(new Entry(f[0], up, interval(where, f[2]), i + 1));
    }
    if (out.isEmpty()) {
      throw new UsageException(
          "--mirrors " + file + ": no mirror in it (lines '<repository> <upstream> <interval>')");
    }
    return List.copyOf(out);
  }

  static Duration interval(String where, String v) throws UsageException {
    Matcher m = INTERVAL.matcher(v.toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      Duration d =
          switch (m.group(2)) {
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            case "h" -> Duration.ofHours(n);
            default -> Duration.ofDays(n);
          };
      if (d.compareTo(MIN_INTERVAL) >= 0 && d.compareTo(MAX_INTERVAL) <= 0) {
        return d;
      }
    }
    throw new UsageException(
        where + "interval '" + v + "': expected a number with s, m, h or d, from 10s to 7d");
  }
}
