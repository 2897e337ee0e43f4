package dev.checkpointguard.core;

import java.util.Locale;
import java.util.OptionalInt;
import org.eclipse.jgit.lib.Config;

/**
 * Per-repository settings, read from git config section {@code checkpointGuard}.
 *
 * @param threshold checkpoints an archived generation needs when it is created ({@code threshold}, default
 *     and maximum 100, the client's {@code DefaultMaxCheckpointsPerGeneration})
 * @param mode {@code enforce} rejects; {@code warn} accepts and tells the pusher what enforce would reject
 * @param allowArchiveDeletion whether clients may delete archived generations (retention cleanup, §7.5)
 */
public record GuardSettings(int threshold, Mode mode, boolean allowArchiveDeletion) {
  /** Config section name. Git config section names are case-insensitive. */
  public static final String SECTION = "checkpointGuard";

  public static final int DEFAULT_THRESHOLD = 100;

  /**
   * The largest threshold: the client rotates at exactly 100 checkpoints (spec §6.1), so any larger value
   * would refuse every rotation and migration archive and stall clients for good (§10.3). Values below
   * 100 are for tests and small deployments.
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

  public GuardSettings {
    if (threshold < 1 || threshold > MAX_THRESHOLD) {
      throw new IllegalArgumentException("threshold must be " + THRESHOLD_EXPECTED + ": " + threshold);
    }
    if (mode == null) {
      throw new IllegalArgumentException("mode is required");
    }
  }

  /** The defaults: threshold 100, enforce, archive deletion allowed. */
  public static GuardSettings defaults() {
    return new GuardSettings(DEFAULT_THRESHOLD, Mode.ENFORCE, true);
  }

  public GuardSettings withThreshold(int t) {
    return new GuardSettings(t, mode, allowArchiveDeletion);
  }

  public GuardSettings withMode(Mode m) {
    return new GuardSettings(threshold, m, allowArchiveDeletion);
  }

  public GuardSettings withAllowArchiveDeletion(boolean allow) {
    return new GuardSettings(threshold, mode, allow);
  }

  /**
   * Reads the settings from a repository's config. A value that is present but invalid is an error, never a
   * silent default: a typo in {@code mode} must not turn the guard off.
   *
   * @throws InvalidSettingsException naming the key, the bad value and the accepted values
   */
  public static GuardSettings from(Config config) throws InvalidSettingsException {
    GuardSettings d = defaults();
    String t = config.getString(SECTION, null, "threshold");
    String m = config.getString(SECTION, null, "mode");
    String del = config.getString(SECTION, null, "allowArchiveDeletion");
    int threshold = t == null ? d.threshold() : parseThreshold(t);
    Mode mode = m == null ? d.mode() : parseMode(m);
    boolean allow =
        del == null ? d.allowArchiveDeletion() : parseBoolean("allowArchiveDeletion", del);
    return new GuardSettings(threshold, mode, allow);
  }

  static int parseThreshold(String value) throws InvalidSettingsException {
    OptionalInt n = thresholdValue(value);
    if (n.isEmpty()) {
      throw new InvalidSettingsException(SECTION + ".threshold", value, THRESHOLD_EXPECTED);
    }
    return n.getAsInt();
  }

  /**
   * A threshold as written in git config or on a command line (surrounding blanks ignored), or empty when
   * it is not {@link #THRESHOLD_EXPECTED}. The one parser of threshold values.
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
   * What the stock-git hook does with guarded refs when it cannot read the repository at all (for example
   * a SHA-256 repository, which JGit does not support): {@code checkpointGuard.unreadableRepository}.
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
   * Reads {@code checkpointGuard.unreadableRepository} ({@code reject}, the default, or {@code accept}).
   * Kept apart from the record because only the stock hook needs it, and it must be readable from a config
   * file alone when the repository cannot be opened.
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
