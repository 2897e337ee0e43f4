package dev.checkpointguard.core;

import java.util.Locale;
import org.eclipse.jgit.lib.Config;

/**
 * Per-repository settings, read from git config section {@code checkpointGuard}.
 *
 * @param threshold checkpoints an archived generation needs when it is created ({@code threshold}, default
 *     100, the client's {@code DefaultMaxCheckpointsPerGeneration})
 * @param mode {@code enforce} rejects; {@code warn} accepts and tells the pusher what enforce would reject
 * @param allowArchiveDeletion whether clients may delete archived generations (retention cleanup, §7.5)
 */
public record GuardSettings(int threshold, Mode mode, boolean allowArchiveDeletion) {
  /** Config section name. Git config section names are case-insensitive. */
  public static final String SECTION = "checkpointGuard";

  public static final int DEFAULT_THRESHOLD = 100;

  /** What a rejection does. */
  public enum Mode {
    ENFORCE,
    WARN;

    public String configValue() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  public GuardSettings {
    if (threshold < 1) {
      throw new IllegalArgumentException("threshold must be at least 1: " + threshold);
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
    String v = value.trim();
    try {
      int n = Integer.parseInt(v);
      if (n >= 1 && n <= 1_000_000) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new InvalidSettingsException(
        SECTION + ".threshold", value, "a whole number from 1 to 1000000");
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
