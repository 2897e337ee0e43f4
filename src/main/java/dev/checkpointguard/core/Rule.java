package dev.checkpointguard.core;

/**
 * The rules of spec §10, each with a stable id that appears in messages, logs and reports. Ids
 * never change meaning; new rules get new ids.
 */
public enum Rule {
  /** Accepted: no rule refused it. */
  NONE("none"),
  /** {@code /main} may only be created or fast-forwarded. */
  MAIN_HISTORY("main-history"),
  /** {@code /main} is never deleted. */
  MAIN_DELETE("main-delete"),
  /**
   * An update of {@code /full/current} must not drop raw transcripts (or transcript-less checkpoint
   * directories) that no post-push archive holds (§10.2 a).
   */
  CURRENT_LOSS("current-loss"),
  /** {@code /full/current} is never deleted. */
  CURRENT_DELETE("current-delete"),
  /** A new archived generation needs at least {@code threshold} checkpoints (§10.2 b). */
  ARCHIVE_THRESHOLD("archive-threshold"),
  /** An archived generation may only fast-forward. */
  ARCHIVE_HISTORY("archive-history"),
  /**
   * A fast-forward of an archived generation must keep every raw transcript and checkpoint
   * directory.
   */
  ARCHIVE_LOSS("archive-loss"),
  /** Archive deletion is switched off for this repository. */
  ARCHIVE_DELETE("archive-delete"),
  /**
   * An archived generation may be deleted only when its newest checkpoint is older than {@code
   * checkpointGuard.minArchiveAgeForDeletion} (spec §10.4 item 8: {@code entire clean} never
   * deletes younger ones).
   */
  ARCHIVE_AGE("archive-age"),
  /**
   * Archive deletes are refused while v2 is frozen ({@code checkpointGuard.v2 = frozen}): the
   * repository is being converted to v1 and {@code entire clean} would destroy transcripts first.
   */
  V2_FROZEN("v2-frozen"),
  /**
   * v2 is retired on this repository ({@code checkpointGuard.v2 = retired}): every create and
   * update under {@code refs/entire/checkpoints/v2/} is refused; clients must upgrade to a v1-only
   * Entire CLI.
   */
  V2_RETIRED("v2-retired"),
  /** A name under {@code refs/entire/checkpoints/v2/} that no client produces. */
  UNKNOWN_REF("unknown-ref"),
  /** A v2 ref must point to a commit. */
  NOT_A_COMMIT("not-a-commit"),
  /** The new object is not in the repository. */
  MISSING_OBJECT("missing-object"),
  /** A generation the push involves names more checkpoints than the guard will hold in memory. */
  TOO_MANY_CHECKPOINTS("too-many-checkpoints"),
  /**
   * Refs under {@code refs/checkpoint-guard/} (repair's backups and results) are written only by
   * the administrator's tools on the server, never by a push. Refused in warn mode too: no client
   * pushes there.
   */
  GUARD_REF("guard-ref"),
  /** The repository's guard settings are invalid; guarded refs are refused until they are fixed. */
  INVALID_SETTINGS("invalid-settings"),
  /** The guard could not read what it needed; refused rather than guessed. */
  INTERNAL_ERROR("internal-error"),
  /**
   * The stock hook cannot read the repository at all (e.g. SHA-256 objects); guarded refs follow
   * {@code checkpointGuard.unreadableRepository}.
   */
  UNREADABLE_REPOSITORY("unreadable-repository");

  private final String id;

  Rule(String id) {
    this.id = id;
  }

  /** The stable, lowercase id used in messages and JSON. */
  public String id() {
    return id;
  }

  /**
   * Whether warn mode ({@code checkpointGuard.mode = warn}) turns a rejection by this rule into a
   * warning. Not for the administrator's own decisions: the guard's namespace and a frozen or
   * retired v2.
   */
  public boolean warnable() {
    return this != GUARD_REF && this != V2_FROZEN && this != V2_RETIRED;
  }
}
