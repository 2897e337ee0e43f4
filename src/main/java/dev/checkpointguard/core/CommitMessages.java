package dev.checkpointguard.core;

/**
 * The commit messages written on v2 refs (spec §13), and those {@code checkpoint-guard repair}
 * writes. The one place these texts live: the policy, {@code check} and {@code repair} all read
 * them from here.
 *
 * <p>Constants ending in a colon and a space are prefixes (a value follows); the others are whole
 * subjects. Messages are compared after removing one trailing {@code \n} ({@link #subject}).
 */
public final class CommitMessages {
  /** First commit of a v2 ref ({@code /main} or {@code /full/current}). */
  public static final String INITIALIZE = "Initialize v2 ref";

  /** One checkpoint written ({@code Checkpoint: <id>}). */
  public static final String CHECKPOINT = "Checkpoint: ";

  /** A checkpoint finalized when its session stops; may land on a local archive (§3.1). */
  public static final String FINALIZE = "Finalize checkpoint: ";

  /** The rotation archive commit (§6.2), parent the old {@code /full/current} tip. */
  public static final String ARCHIVE_GENERATION = "Archive generation";

  /** The fresh, empty {@code /full/current} after a rotation (orphan). */
  public static final String START_GENERATION = "Start generation";

  /**
   * Two-parent merges of old clients: {@code Merge remote v2/main}, {@code …/full/current}, {@code
   * …/full/<N>}.
   */
  public static final String MERGE_REMOTE = "Merge remote v2/";

  /** Rotation-conflict recovery on an archive (§7.3 A). */
  public static final String MERGE_LOCAL = "Merge local checkpoints into archived generation";

  /** The migration's archive commit (orphan), followed by the archive's full ref name (§8.3). */
  public static final String ARCHIVE_MIGRATED = "Archive migrated generation: ";

  /** The migration's write of its remainder into {@code /full/current}. */
  public static final String WRITE_MIGRATED_PARTIAL = "Write migrated partial generation";

  /** The force-migration prune (§8.2). */
  public static final String FORCE_PRUNE = "Reset checkpoint before force migration: ";

  /** Metadata repair of an archive, followed by its 13-digit number (§8.6). */
  public static final String REPAIR_METADATA = "Repair generation metadata: ";

  /** {@code checkpoint-guard repair}'s archive commit, followed by the archive's full ref name. */
  public static final String REPAIR_ARCHIVE = "Archive repacked generation: ";

  /** {@code checkpoint-guard repair}'s write of its remainder into {@code /full/current}. */
  public static final String REPAIR_PARTIAL = "Write repacked partial generation";

  /**
   * Root commit of the v1 branch as the client writes it ({@code ensureSessionsBranch}, empty
   * tree).
   */
  public static final String INITIALIZE_V1 = "Initialize sessions branch";

  /**
   * {@code checkpoint-guard convert}'s commit on the v1 branch, followed by the number converted.
   */
  public static final String CONVERT_V2 = "Convert v2 checkpoints to v1: ";

  private CommitMessages() {}

  /** The message without one trailing newline, as §13 compares messages. */
  public static String subject(String fullMessage) {
    return fullMessage.endsWith("\n")
        ? fullMessage.substring(0, fullMessage.length() - 1)
        : fullMessage;
  }
}
