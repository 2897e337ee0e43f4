package dev.checkpointguard.core;

import java.time.Duration;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.Config;

/**
 * Per-repository settings, read from git config section {@code checkpointGuard}.
 *
 * @param threshold checkpoints an archived generation needs when it is created ({@code threshold},
 *     default and maximum 100, the client's {@code DefaultMaxCheckpointsPerGeneration})
 * @param mode {@code enforce} rejects; {@code warn} accepts and tells the pusher what enforce would
 *     reject
 * @param allowArchiveDeletion whether clients may delete archived generations at all (retention
 *     cleanup, §7.5; {@code allowArchiveDeletion}, default true)
 * @param minArchiveAgeForDeletion how old the newest checkpoint of an archived generation must be
 *     before a push may delete it ({@code minArchiveAgeForDeletion}, default one day: {@code entire
 *     clean} deletes only generations older than its retention, which is at least one day, spec
 *     §10.4 item 8); zero lets any age through
 * @param v2 what the repository still accepts on {@code refs/entire/checkpoints/v2/} ({@code v2}:
 *     active, frozen or retired; see {@link V2State})
 */
public record GuardSettings(
    int threshold,
    Mode mode,
    boolean allowArchiveDeletion,
    Duration minArchiveAgeForDeletion,
    V2State v2) {
  /** Config section name. Git config section names are case-insensitive. */
  public static final String SECTION = "checkpointGuard";

  public static final int DEFAULT_THRESHOLD = 100;

  /**
   * The default {@link #minArchiveAgeForDeletion}: the client's shortest retention (spec §10.4 item
   * 8).
   */
  public static final Duration DEFAULT_MIN_ARCHIVE_AGE = Duration.ofDays(1);

  /** Key of {@link #minArchiveAgeForDeletion}. */
  public static final String MIN_ARCHIVE_AGE_KEY = "minArchiveAgeForDeletion";

  /** Key of {@link #v2}. */
  public static final String V2_KEY = "v2";

  /** What a duration value must be, for error messages. */
  public static final String DURATION_EXPECTED =
      "0 or a whole number followed by s, m, h or d (e.g. 1d, 36h)";

  /**
   * The largest threshold: the client rotates at exactly 100 checkpoints (spec §6.1), so any larger
   * value would refuse every rotation and migration archive and stall clients for good (§10.3).
   * Values below 100 are for tests and small deployments.
   */
  public static final int MAX_THRESHOLD = 100;

  /** What a threshold value must be, for error messages. */
  public static final String THRESHOLD_EXPECTED =
      "a whole number from 1 to "
          + MAX_THRESHOLD
          + " (clients archive a generation at "
          + MAX_THRESHOLD
          + " checkpoints)";

  /** What a rejection does. */
  public enum Mode {
    ENFORCE,
    WARN;

    public String configValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Where a repository stands in leaving v2 (the Entire CLI removed v2 on 2026-05-29; spec v2-to-v1
   * §6.10). An administrator moves it forward: active, then frozen while {@code convert} copies v2
   * into v1, then retired once every v2 transcript has a v1 equivalent.
   */
  public enum V2State {
    /** Every rule of spec §10 as usual. The default. */
    ACTIVE,
    /**
     * As active, but archived generations may not be deleted: {@code entire clean} of v0.6.0 to
     * v0.6.3 would destroy transcripts before they are converted to v1.
     */
    FROZEN,
    /**
     * v2 is read-only for clients: every create and update under {@code
     * refs/entire/checkpoints/v2/} is refused with a message that tells the user to upgrade the
     * Entire CLI (and never says {@code non-fast-forward}, so old clients do not fetch, merge and
     * retry).
     */
    RETIRED;

    public String configValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public GuardSettings {
    if (threshold < 1 || threshold > MAX_THRESHOLD) {
      throw new IllegalArgumentException(
          "threshold must be " + THRESHOLD_EXPECTED + ": " + threshold);
    }
    if (mode == null || v2 == null) {
      throw new IllegalArgumentException("mode and v2 are required");
    }
    if (minArchiveAgeForDeletion == null || minArchiveAgeForDeletion.isNegative()) {
      throw new IllegalArgumentException("minArchiveAgeForDeletion must be zero or positive");
    }
  }

  /** Settings with the default archive age and v2 active. */
  public GuardSettings(int threshold, Mode mode, boolean allowArchiveDeletion) {
    this(threshold, mode, allowArchiveDeletion, DEFAULT_MIN_ARCHIVE_AGE, V2State.ACTIVE);
  }

  /** The defaults: threshold 100, enforce, archive deletion allowed after one day, v2 active. */
  public static GuardSettings defaults() {
    return new GuardSettings(DEFAULT_THRESHOLD, Mode.ENFORCE, true);
  }

  public GuardSettings withThreshold(int t) {
    return new GuardSettings(t, mode, allowArchiveDeletion, minArchiveAgeForDeletion, v2);
  }

  public GuardSettings withMode(Mode m) {
    return new GuardSettings(threshold, m, allowArchiveDeletion, minArchiveAgeForDeletion, v2);
  }

  public GuardSettings withAllowArchiveDeletion(boolean allow) {
    return new GuardSettings(threshold, mode, allow, minArchiveAgeForDeletion, v2);
  }

  public GuardSettings withMinArchiveAgeForDeletion(Duration age) {
    return new GuardSettings(threshold, mode, allowArchiveDeletion, age, v2);
  }

  public GuardSettings withV2(V2State state) {
    return new GuardSettings(
        threshold, mode, allowArchiveDeletion, minArchiveAgeForDeletion, state);
  }

  /**
   * Reads the settings from a repository's config. A value that is present but invalid is an error,
   * never a silent default: a typo in {@code mode} must not turn the guard off.
   *
   * @throws InvalidSettingsException naming the key, the bad value and the accepted values
   */
  public static GuardSettings from(Config config) throws InvalidSettingsException {
    GuardSettings d = defaults();
    String t = config.getString(SECTION, null, "threshold");
    String m = config.getString(SECTION, null, "mode");
    String del = config.getString(SECTION, null, "allowArchiveDeletion");
    String age = config.getString(SECTION, null, MIN_ARCHIVE_AGE_KEY);
    String v2 = config.getString(SECTION, null, V2_KEY);
    int threshold = t == null ? d.threshold() : parseThreshold(t);
    Mode mode = m == null ? d.mode() : parseMode(m);
    boolean allow =
        del == null ? d.allowArchiveDeletion() : parseBoolean("allowArchiveDeletion", del);
    Duration minAge = age == null ? d.minArchiveAgeForDeletion() : parseAge(age);
    V2State state = v2 == null ? d.v2() : parseV2(v2);
    return new GuardSettings(threshold, mode, allow, minAge, state);
  }

  private static final Pattern DURATION = Pattern.compile("(\\d{1,9})([smhd]?)");

  /** A duration as {@link #DURATION_EXPECTED} describes it; the one parser of such values. */
  static Duration parseAge(String value) throws InvalidSettingsException {
    Matcher m = DURATION.matcher(value.trim().toLowerCase(Locale.ROOT));
    if (m.matches()) {
      long n = Long.parseLong(m.group(1));
      switch (m.group(2)) {
        case "s":
          return Duration.ofSeconds(n);
        case "m":
          return Duration.ofMinutes(n);
        case "h":
          return Duration.ofHours(n);
        case "d":
          return Duration.ofDays(n);
        default:
          if (n == 0) {
            return Duration.ZERO; // a bare number is ambiguous, except zero
          }
      }
    }
    throw new InvalidSettingsException(
        SECTION + "." + MIN_ARCHIVE_AGE_KEY, value, DURATION_EXPECTED);
  }

  /** A duration in the form {@link #parseAge} reads back (the largest unit that divides it). */
  public static String formatAge(Duration d) {
    long s = d.getSeconds();
    if (s == 0) {
      return "0";
    }
    if (s % 86_400 == 0) {
      return s / 86_400 + "d";
    }
    if (s % 3_600 == 0) {
      return s / 3_600 + "h";
    }
    if (s % 60 == 0) {
      return s / 60 + "m";
    }
    return s + "s";
  }

  static V2State parseV2(String value) throws InvalidSettingsException {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "active":
        return V2State.ACTIVE;
      case "frozen":
        return V2State.FROZEN;
      case "retired":
        return V2State.RETIRED;
      default:
        throw new InvalidSettingsException(
            SECTION + "." + V2_KEY, value, "active, frozen or retired");
    }
  }

  static int parseThreshold(String value) throws InvalidSettingsException {
    OptionalInt n = thresholdValue(value);
    if (n.isEmpty()) {
      throw new InvalidSettingsException(SECTION + ".threshold", value, THRESHOLD_EXPECTED);
    }
    return n.getAsInt();
  }

  /**
   * A threshold as written in git config or on a command line (surrounding blanks ignored), or
   * empty when it is not {@link #THRESHOLD_EXPECTED}. The one parser of threshold values.
   */
  public static OptionalInt thresholdValue(String value) {
    try {
      int n = Integer.parseInt(value.trim());
      if (n >= 1 && n <= MAX_THRESHOLD) {
        return OptionalInt.of(n);
      }
    } catch (NumberFormatException e) {
      // not a number: empty below
    }
    return OptionalInt.empty();
  }

  static Mode parseMode(String value) throws InvalidSettingsException {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "enforce":
        return Mode.ENFORCE;
      case "warn":
        return Mode.WARN;
      default:
        throw new InvalidSettingsException(SECTION + ".mode", value, "enforce or warn");
    }
  }

  /** Git's boolean spellings (git-config(1)). */
  static boolean parseBoolean(String key, String value) throws InvalidSettingsException {
    switch (value.trim().toLowerCase(Locale.ROOT)) {
      case "true":
      case "yes":
      case "on":
      case "1":
        return true;
      case "false":
      case "no":
      case "off":
      case "0":
        return false;
      default:
        throw new InvalidSettingsException(SECTION + "." + key, value, "true or false");
    }
  }

  /** Key of the stock hook's choice for repositories JGit cannot read. */
  public static final String UNREADABLE_REPOSITORY_KEY = "unreadableRepository";

  /**
   * What the stock-git hook does with guarded refs when it cannot read the repository at all (for
   * example a SHA-256 repository, which JGit does not support): {@code
   * checkpointGuard.unreadableRepository}.
   */
  public enum UnreadableRepository {
    /** Refuse every guarded ref (fail closed). The default. */
    REJECT,
    /** Accept guarded refs unchecked and tell the pusher (fail open). */
    ACCEPT;

    public String configValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Reads {@code checkpointGuard.unreadableRepository} ({@code reject}, the default, or {@code
   * accept}). Kept apart from the record because only the stock hook needs it, and it must be
   * readable from a config file alone when the repository cannot be opened.
   *
   * @throws InvalidSettingsException for any other value
   */
  public static UnreadableRepository unreadableRepository(Config config)
      throws InvalidSettingsException {
    String v = config.getString(SECTION, null, UNREADABLE_REPOSITORY_KEY);
    if (v == null) {
      return UnreadableRepository.REJECT;
    }
    switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "reject":
        return UnreadableRepository.REJECT;
      case "accept":
        return UnreadableRepository.ACCEPT;
      default:
        throw new InvalidSettingsException(
            SECTION + "." + UNREADABLE_REPOSITORY_KEY, v, "reject or accept");
    }
  }

  /** A present but invalid setting. */
  public static final class InvalidSettingsException extends Exception {
    public InvalidSettingsException(String key, String value, String expected) {
      super(
          "invalid git config "
              + key
              + " = '"
              + Messages.printable(value, 80)
              + "': expected "
              + expected);
    }
  }
}
