package dev.checkpointguard.stock;

import dev.checkpointguard.core.Messages;
import dev.checkpointguard.core.RefNames;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The lines git writes to a {@code pre-receive} hook's standard input: {@code <old> SP <new> SP
 * <ref>}, one per pushed ref (githooks(5)). Object ids are 40 hex digits (SHA-1) or 64 (SHA-256);
 * an all-zero id of either length means "no object" (create or delete).
 *
 * <p>Parsing never throws on bad input: each line becomes a {@link Line} that is either well formed
 * or carries a one-line {@link Line#problem() problem}. Git itself never writes a malformed line;
 * one means the hook was called by something else, and the caller refuses the push.
 */
public final class HookInput {
  /**
   * Longest line kept; a real line is at most 64 + 1 + 64 + 1 + a ref name (git caps those at 4
   * KiB).
   */
  private static final int MAX_LINE_CHARS = 8192;

  /** More lines than this is not a push git would make; refused instead of exhausting memory. */
  static final int MAX_LINES = 1_000_000;

  private HookInput() {}

  /**
   * One input line.
   *
   * @param lineNumber 1-based
   * @param oldId old object id as sent (lowercase hex), or null when malformed
   * @param newId new object id as sent, or null when malformed
   * @param ref the full ref name, or null when malformed
   * @param problem null when well formed, else why not (printable, one line)
   */
  public record Line(int lineNumber, String oldId, String newId, String ref, String problem) {
    public boolean wellFormed() {
      return problem == null;
    }

    /** True for a well-formed line naming a ref under {@link RefNames#V2_PREFIX}. */
    public boolean guarded() {
      return wellFormed() && RefNames.isGuarded(ref);
    }

    /** True when the ids are 64 hex digits (a SHA-256 repository), which JGit cannot read. */
    public boolean sha256() {
      return wellFormed() && oldId.length() == 64;
    }

    /** The line as git sent it. */
    @Override
    public String toString() {
      return oldId + " " + newId + " " + ref;
    }
  }

  /** Reads every line of {@code in} (UTF-8; a last line without LF counts). */
  public static List<Line> read(InputStream in) throws IOException {
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    List<Line> out = new ArrayList<>();
    String s;
    int n = 0;
    while ((s = r.readLine()) != null) {
      n++;
      if (n > MAX_LINES) {
        out.add(new Line(n, null, null, null, "more than " + MAX_LINES + " lines"));
        break;
      }
      out.add(parse(n, s));
    }
    return out;
  }

  /** Parses one line (without its LF). */
  public static Line parse(int lineNumber, String s) {
    if (s.length() > MAX_LINE_CHARS) {
      return bad(lineNumber, "line is longer than " + MAX_LINE_CHARS + " characters");
    }
    String[] f = s.split(" ", -1);
    if (f.length != 3) {
      return bad(
          lineNumber,
          "expected '<old-id> <new-id> <ref>', got '" + Messages.printable(s, 120) + "'");
    }
    String problem = idProblem("old", f[0]);
    if (problem == null) {
      problem = idProblem("new", f[1]);
    }
    if (problem == null && f[0].length() != f[1].length()) {
      problem = "old and new ids have different lengths";
    }
    if (problem == null && (f[2].isEmpty() || !f[2].startsWith("refs/") && !f[2].equals("HEAD"))) {
      problem = "'" + Messages.printable(f[2], 120) + "' is not a full ref name";
    }
    if (problem == null && isZero(f[0]) && isZero(f[1])) {
      problem = "old and new ids are both zero";
    }
    if (problem != null) {
      return bad(lineNumber, problem);
    }
    return new Line(lineNumber, f[0], f[1], f[2], null);
  }

  /** True for an id made only of '0' (git's null id of any hash length). */
  public static boolean isZero(String id) {
    for (int i = 0; i < id.length(); i++) {
      if (id.charAt(i) != '0') {
        return false;
      }
    }
    return true;
  }

  private static String idProblem(String which, String id) {
    if (id.length() != 40 && id.length() != 64) {
      return which + " id '" + Messages.printable(id, 80) + "' is not 40 or 64 hex digits";
    }
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
        return which + " id '" + Messages.printable(id, 80) + "' is not lowercase hex";
      }
    }
    return null;
  }

  private static Line bad(int lineNumber, String problem) {
    return new Line(lineNumber, null, null, null, problem);
  }
}
