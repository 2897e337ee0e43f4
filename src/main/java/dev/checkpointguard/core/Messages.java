package dev.checkpointguard.core;

import java.util.List;

/**
 * Every sentence the guard says to a pusher. One line each, starting with {@link #PREFIX}, naming the ref,
 * the rule, the numbers and what to do. Text that must trigger the client's fetch-merge-retry contains
 * {@code non-fast-forward} (spec §7.4); no other text does.
 */
public final class Messages {
  /** Every message starts with this. */
  public static final String PREFIX = "checkpoint-guard: ";
  /** The words the Entire client looks for before it fetches, merges and retries (spec §7.4). */
  public static final String NON_FAST_FORWARD = "non-fast-forward";

  private static final int MAX_REF_CHARS = 200;
  private static final int MAX_IDS_SHOWN = 5;

  private Messages() {}

  static String mainHistory(String ref) {
    return PREFIX
        + NON_FAST_FORWARD
        + ": "
        + printable(ref)
        + " can only be fast-forwarded (rule main-history); fetch, merge and push again";
  }

  static String mainDelete(String ref) {
    return PREFIX
        + "deleting "
        + printable(ref)
        + " is not allowed (rule main-delete): it is the permanent checkpoint index";
  }

  static String currentDelete(String ref) {
    return PREFIX
        + "deleting "
        + printable(ref)
        + " is not allowed (rule current-delete): it holds the transcripts of the active generation";
  }

  static String currentLoss(
      String ref, boolean fastForward, CheckpointSet lost, List<String> rejectedArchives) {
    String verb = fastForward ? "updating " : "resetting ";
    String tail =
        rejectedArchives.isEmpty()
            ? ""
            : " (archived generations this push tried to create were rejected: "
                + String.join(", ", shortNames(rejectedArchives))
                + ")";
    return PREFIX
        + NON_FAST_FORWARD
        + ": "
        + verb
        + printable(ref)
        + " would lose "
        + plural(lost.size(), "checkpoint")
        + " that "
        + (lost.size() == 1 ? "is" : "are")
        + " in no archived generation ("
        + ids(lost)
        + ")"
        + tail
        + " (rule current-loss); fetch, merge and push again";
  }

  static String archiveThreshold(String ref, int count, int threshold) {
    return PREFIX
        + "archived generation "
        + printable(ref)
        + " holds "
        + plural(count, "checkpoint")
        + ", fewer than the threshold "
        + threshold
        + " (rule archive-threshold); keep them in "
        + RefNames.CURRENT
        + " until it holds "
        + threshold
        + ", or ask the server administrator to run 'checkpoint-guard repair'";
  }

  static String archiveHistory(String ref) {
    return PREFIX
        + NON_FAST_FORWARD
        + ": archived generation "
        + printable(ref)
        + " can only be fast-forwarded (rule archive-history); fetch, merge and push again";
  }

  static String archiveLoss(String ref, CheckpointSet lost) {
    return PREFIX
        + NON_FAST_FORWARD
        + ": updating archived generation "
        + printable(ref)
        + " would remove "
        + plural(lost.size(), "checkpoint")
        + " ("
        + ids(lost)
        + ") (rule archive-loss); archives only grow: fetch, merge and push again";
  }

  static String archiveDelete(String ref) {
    return PREFIX
        + "deleting archived generation "
        + printable(ref)
        + " is disabled on this repository (rule archive-delete: "
        + GuardSettings.SECTION
        + ".allowArchiveDeletion is false); ask the server administrator";
  }

  static String v2Frozen(String ref) {
    return PREFIX
        + "deleting archived generation "
        + printable(ref)
        + " is refused while this server converts v2 checkpoints to v1 (rule v2-frozen); nothing is"
        + " lost: the generation stays on the server, and your local copy is unaffected";
  }

  static String v2Retired(String ref) {
    return PREFIX
        + printable(ref)
        + " refused: this server no longer accepts v2 checkpoint refs (rule v2-retired); its v2"
        + " checkpoints were converted to the v1 branch entire/checkpoints/v1; upgrade the Entire CLI to"
        + " v0.6.3 or later, which writes and pushes checkpoints to v1 only";
  }

  static String unknownRef(String ref) {
    return PREFIX
        + printable(ref)
        + " is not a checkpoint ref (rule unknown-ref); under "
        + RefNames.V2_PREFIX
        + " only main, full/current and full/<13 digits> may exist";
  }

  static String guardRef(String ref) {
    return PREFIX
        + "pushing "
        + printable(ref)
        + " is not allowed (rule guard-ref): refs under "
        + RefNames.GUARD_PREFIX
        + " are the server's repair backups and are written only by 'checkpoint-guard repair'";
  }

  static String tooManyCheckpoints(String ref, int limit) {
    return PREFIX
        + printable(ref)
        + " refused: a generation it involves holds more than "
        + limit
        + " checkpoints, more than the guard reads (rule too-many-checkpoints);"
        + " ask the server administrator to run 'checkpoint-guard check'";
  }

  static String notACommit(String ref, String objectId, String typeName) {
    return PREFIX
        + printable(ref)
        + " must point to a commit, but "
        + objectId
        + " is a "
        + typeName
        + " (rule not-a-commit)";
  }

  static String missingObject(String ref, String objectId) {
    return PREFIX
        + "object "
        + objectId
        + " for "
        + printable(ref)
        + " is not in the repository (rule missing-object); push it with the objects it needs";
  }

  /** The message for every guarded ref when the repository's settings are invalid. */
  public static String invalidSettings(String ref, String problem) {
    return PREFIX
        + printable(ref)
        + " refused: "
        + printable(problem, 300)
        + " (rule invalid-settings); ask the server administrator to fix the repository's git config";
  }

  static String internalError(String ref) {
    return PREFIX
        + "could not check "
        + printable(ref)
        + " (rule internal-error); the update was refused, the server log has the details";
  }

  /**
   * A stock hook command ({@code pre-receive}, {@code update}) failed unexpectedly; the details are in the
   * server-side log only, never shown to the pusher (they may name server paths).
   */
  public static String hookInternalError() {
    return PREFIX
        + "push refused: internal error in the server's hook (rule internal-error); the server log has the"
        + " details";
  }

  /** The stock hook refuses a guarded ref because it cannot read the repository (fail closed). */
  public static String unreadableRepositoryRefused(String ref, String problem) {
    return PREFIX
        + printable(ref)
        + " refused: the server cannot read this repository ("
        + printable(problem, 200)
        + ") (rule unreadable-repository); ask the server administrator (git config "
        + GuardSettings.SECTION
        + "."
        + GuardSettings.UNREADABLE_REPOSITORY_KEY
        + " is reject)";
  }

  /** The stock hook lets a guarded ref through unchecked because it cannot read the repository (fail open). */
  public static String unreadableRepositoryAccepted(String ref, String problem) {
    return PREFIX
        + "warning: "
        + printable(ref)
        + " accepted unchecked: the server cannot read this repository ("
        + printable(problem, 200)
        + ") (rule unreadable-repository; git config "
        + GuardSettings.SECTION
        + "."
        + GuardSettings.UNREADABLE_REPOSITORY_KEY
        + " is accept)";
  }

  /**
   * The stock hook refuses a whole push because a line of its input is not {@code <old> <new> <ref>}: git
   * never writes such a line, so something other than git called the hook.
   */
  public static String malformedHookInput(int lineNumber, String problem) {
    return PREFIX
        + "push refused: line "
        + lineNumber
        + " of the hook input is malformed: "
        + printable(problem, 200)
        + "; the hook must be run by git receive-pack";
  }

  /** A rejection turned into a warning by warn mode. */
  static String warning(String rejection) {
    return PREFIX
        + "warning: accepted because checkpointGuard.mode is warn; enforce mode would refuse: "
        + rejection.substring(PREFIX.length());
  }

  /** {@code s} with control characters replaced by '?' and cut to a readable length. */
  public static String printable(String s) {
    return printable(s, MAX_REF_CHARS);
  }

  /** {@code s} with control characters replaced by '?' and cut to {@code max} characters. */
  public static String printable(String s, int max) {
    StringBuilder b = new StringBuilder(Math.min(s.length(), max + 1));
    for (int i = 0; i < s.length(); i++) {
      if (b.length() >= max) {
        b.append('…');
        break;
      }
      char c = s.charAt(i);
      b.append(Character.isISOControl(c) ? '?' : c);
    }
    return b.toString();
  }

  static String plural(int n, String noun) {
    return n + " " + noun + (n == 1 ? "" : "s");
  }

  private static String ids(CheckpointSet set) {
    String s = String.join(", ", set.first(MAX_IDS_SHOWN));
    return set.size() > MAX_IDS_SHOWN ? s + ", …" : s;
  }

  private static List<String> shortNames(List<String> refs) {
    return refs.stream().map(RefNames::shortName).toList();
  }
}
