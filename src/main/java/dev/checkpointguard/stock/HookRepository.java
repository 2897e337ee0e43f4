package dev.checkpointguard.stock;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.eclipse.jgit.errors.ConfigInvalidException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * Opens the repository a stock-git hook runs in, exactly as git describes it in the hook's
 * environment.
 *
 * <p>During {@code pre-receive} the pushed objects are still in a quarantine directory: git points
 * {@code GIT_OBJECT_DIRECTORY} at it and appends the real object directory to {@code
 * GIT_ALTERNATE_OBJECT_DIRECTORIES}. JGit's {@link FileRepositoryBuilder#readEnvironment} reads
 * both, but splits the alternates on ':' without undoing git's C-quoting, which git applies to a
 * path that contains ':' or starts with '"'. This class hides that variable from JGit and passes
 * the entries parsed by {@link #parseAlternates} instead.
 *
 * <p>Nothing here writes: the hook must never update a ref while objects are quarantined.
 */
public final class HookRepository {
  static final String GIT_DIR = "GIT_DIR";
  static final String ALTERNATES = "GIT_ALTERNATE_OBJECT_DIRECTORIES";

  private HookRepository() {}

  /**
   * The repository cannot be read by JGit; the hook falls back to its configured choice. The
   * message is shown to the pusher, so it never names a server path: the details go to the hook
   * log.
   */
  public static final class UnreadableRepositoryException extends Exception {
    public UnreadableRepositoryException(String message) {
      super(message);
    }
  }

  /** What the pusher reads when the repository's config file cannot be parsed. */
  static final String UNPARSEABLE_CONFIG =
      "its git config file cannot be parsed; the details are in checkpoint-guard/hook.log in the"
          + " repository";

  /** The git directory named by {@code GIT_DIR}, or null when it is not set (not run as a hook). */
  public static File gitDir(Map<String, String> env) {
    String d = env.get(GIT_DIR);
    return d == null || d.isEmpty() ? null : new File(d).getAbsoluteFile();
  }

  /**
   * Opens the repository of the hook environment {@code env}.
   *
   * @throws UnreadableRepositoryException when the repository exists but JGit cannot read it (an
   *     object format other than SHA-1, an unsupported extension, a corrupt config)
   * @throws IOException when {@code GIT_DIR} does not name a repository
   */
  public static Repository open(Map<String, String> env)
      throws IOException, UnreadableRepositoryException {
    File gitDir = gitDir(env);
    if (gitDir == null) {
      throw new IOException("GIT_DIR is not set: run this as a git hook");
    }
    String format = objectFormat(gitDir);
    if (format != null && !format.equals("sha1")) {
      throw new UnreadableRepositoryException(
          "extensions.objectFormat is " + format + "; JGit reads SHA-1 repositories only");
    }
    Map<String, String> withoutAlternates = new HashMap<>(env);
    String alternates = withoutAlternates.remove(ALTERNATES);
    SystemReader reader = new EnvironmentReader(SystemReader.getInstance(), withoutAlternates);
    FileRepositoryBuilder b = new FileRepositoryBuilder().readEnvironment(reader).setGitDir(gitDir);
    if (alternates != null) {
      for (String a : parseAlternates(alternates, File.pathSeparatorChar)) {
        b.addAlternateObjectDirectory(new File(a));
      }
    }
    b.setMustExist(true);
    try {
      return b.build();
    } catch (IllegalArgumentException e) {
      // JGit reports an unknown repository format version or extension this way; its text names
      // values,
      // but should it name a path, the pusher must not read it
      String m = e.getMessage() == null ? "" : e.getMessage();
      if (m.isBlank() || m.contains(File.separator)) {
        StockGuard.log(gitDir, "JGit cannot open the repository", e);
        throw new UnreadableRepositoryException(
            "JGit cannot open it; the details are in checkpoint-guard/hook.log in the repository");
      }
      throw new UnreadableRepositoryException(m);
    }
  }

  /**
   * The value of {@code extensions.objectFormat} in {@code <gitDir>/config}, lowercased, or null.
   *
   * @throws UnreadableRepositoryException when the config file cannot be parsed
   */
  static String objectFormat(File gitDir) throws UnreadableRepositoryException, IOException {
    FileBasedConfig c = localConfig(gitDir);
    String f = c.getString("extensions", null, "objectformat");
    return f == null ? null : f.trim().toLowerCase(Locale.ROOT);
  }

  /**
   * The repository's own config file, without the user and system files. Used when the repository
   * cannot be opened, to read the guard's fallback setting.
   *
   * @throws UnreadableRepositoryException when the file cannot be parsed: its message says so
   *     without the file's path (JGit's text names it), which goes to the hook log with JGit's
   *     reason
   */
  public static FileBasedConfig localConfig(File gitDir)
      throws UnreadableRepositoryException, IOException {
    FileBasedConfig c = new FileBasedConfig(new File(gitDir, "config"), FS.DETECTED);
    try {
      c.load();
    } catch (ConfigInvalidException e) {
      StockGuard.log(gitDir, "cannot parse the repository's git config", e);
      throw new UnreadableRepositoryException(UNPARSEABLE_CONFIG);
    }
    return c;
  }

  /**
   * Splits a {@code GIT_ALTERNATE_OBJECT_DIRECTORIES} value as git does ({@code
   * link_alt_odb_entries}): entries are separated by {@code sep}; an entry that starts with '"' is
   * a C-quoted string ({@code \\ \" \a \b \f \n \r \t \v} and 3-digit octal bytes, UTF-8) that ends
   * at the closing quote. Empty entries are skipped. A malformed quoted entry is taken literally,
   * as git does.
   */
  public static List<String> parseAlternates(String value, char sep) {
    List<String> out = new ArrayList<>();
    int i = 0;
    int n = value.length();
    while (i < n) {
      if (value.charAt(i) == sep) {
        i++;
        continue;
      }
      if (value.charAt(i) == '"') {
        int end = unquote(value, i, out);
        if (end >= 0) {
          i = end;
          // git expects the separator (or the end) right after the closing quote
          while (i < n && value.charAt(i) != sep) {
            i++;
          }
          continue;
        }
      }
      int next = value.indexOf(sep, i);
      if (next < 0) {
        next = n;
      }
      out.add(value.substring(i, next));
      i = next;
    }
    return out;
  }

  /**
   * Unquotes the C-quoted string at {@code start}; adds it and returns the index after it, or -1.
   */
  private static int unquote(String s, int start, List<String> out) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int i = start + 1;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '"') {
        out.add(bytes.toString(StandardCharsets.UTF_8));
        return i + 1;
      }
      if (c != '\\') {
        byte[] b = String.valueOf(c).getBytes(StandardCharsets.UTF_8);
        if (Character.isHighSurrogate(c) && i + 1 < s.length()) {
          b = s.substring(i, i + 2).getBytes(StandardCharsets.UTF_8);
          i++;
        }
        bytes.write(b, 0, b.length);
        i++;
        continue;
      }
      if (++i >= s.length()) {
        return -1;
      }
      char e = s.charAt(i);
      switch (e) {
        case 'a' -> bytes.write(7);
        case 'b' -> bytes.write('\b');
        case 'f' -> bytes.write('\f');
        case 'n' -> bytes.write('\n');
        case 'r' -> bytes.write('\r');
        case 't' -> bytes.write('\t');
        case 'v' -> bytes.write(11);
        case '\\', '"' -> bytes.write(e);
        case '0', '1', '2', '3' -> {
          if (i + 2 >= s.length() || !isOctal(s.charAt(i + 1)) || !isOctal(s.charAt(i + 2))) {
            return -1;
          }
          bytes.write((e - '0') << 6 | (s.charAt(i + 1) - '0') << 3 | (s.charAt(i + 2) - '0'));
          i += 2;
        }
        default -> {
          return -1;
        }
      }
      i++;
    }
    return -1; // no closing quote
  }

  private static boolean isOctal(char c) {
    return c >= '0' && c <= '7';
  }

  /** JGit's view of the environment: the hook's variables instead of the process's. */
  private static final class EnvironmentReader extends SystemReader.Delegate {
    private final Map<String, String> env;

    EnvironmentReader(SystemReader delegate, Map<String, String> env) {
      super(delegate);
      this.env = env;
    }

    @Override
    public String getenv(String variable) {
      return env.get(variable);
    }
  }
}
