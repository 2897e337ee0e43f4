package dev.checkpointguard.core;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;

/**
 * Every sentence the guard says to a pusher. One line each, starting with {@link #PREFIX}, naming
 * the ref, the rule (its id comes from {@link Rule} only), the numbers and what to do. Text that
 * must trigger the client's fetch-merge-retry contains {@code non-fast-forward} (spec §7.4); no
 * other text does. Nothing here names a server path or an exception: such details stay in the
 * server's log.
 */
public final class Messages {
  /** Every message starts with this. */
  public static final String PREFIX = "checkpoint-guard: ";

  /** The words the Entire client looks for before it fetches, merges and retries (spec §7.4). */
  public static final String NON_FAST_FORWARD = "non-fast-forward";

  private static final int MAX_REF_CHARS = 200;
  private static final int MAX_UNITS_SHOWN = 5;

  private Messages() {}

  /** {@code (rule <id>)}, the one way a message names its rule. */
  static String rule(Rule r) {
    return "(rule " + r.id() + ")";
  }

  static String mainHistory(String ref) {
    return PREFIX
        + NON_FAST_FORWARD
        + ": "
        + printable(ref)
        + " can only be fast-forwarded "
        + rule(Rule.MAIN_HISTORY)
        + "; fetch, merge and push again";
  }

  static String mainDelete(String ref) {
    return PREFIX
        + "deleting "
        + printable(ref)
        + " is not allowed "
        + rule(Rule.MAIN_DELETE)
        + ": it is the permanent checkpoint index";
  }

  static String currentDelete(String ref) {
    return PREFIX
        + "deleting "
        + printable(ref)
        + " is not allowed "
        + rule(Rule.CURRENT_DELETE)
        + ": it holds the transcripts of the active generation";
  }

  /**
   * A {@code /full/current} update that would lose transcripts no post-push archive holds.
   *
   * @param lost expanded
   * @param rejectedArchives archive creates of the same push that were refused
   * @param pushCoverRefused the push carried archives that this server does not count as cover,
   *     because it cannot apply them together with the reset
   */
  static String currentLoss(
      String ref,
      boolean fastForward,
      Loss lost,
      List<String> rejectedArchives,
      boolean pushCoverRefused) {
    String verb = fastForward ? "updating " : "resetting ";
    String tail = "";
    if (!rejectedArchives.isEmpty()) {
      tail =
          " (archived generations this push tried to create were rejected: "
              + String.join(", ", shortNames(rejectedArchives))
              + ")";
    } else if (pushCoverRefused) {
      tail =
          " (archived generations pushed with it do not count on this server: push them first, then the"
              + " reset)";
    }
    return PREFIX
        + NON_FAST_FORWARD
        + ": "
        + verb
        + printable(ref)
        + " would lose "
        + units(lost)
        + " that no archived generation holds ("
        + examples(lost)
        + ")"
        + tail
        + " "
        + rule(Rule.CURRENT_LOSS)
        + "; fetch, merge and push again";
  }

  /**
   * A {@code /full/current} update accepted on the cover of archives of the same push, refused
   * because those archives could not be applied with it (another push took a name meanwhile).
   */
  public static String requiredNotApplied(String ref, List<String> archives) {
    return PREFIX
        + NON_FAST_FORWARD
        + ": "
        + printable(ref)
        + " was not updated: the archived generations of this push that hold the transcripts it drops ("
        + String.join(", ", shortNames(archives))
        + ") could not be stored with it "
        + rule(Rule.CURRENT_LOSS)
        + "; fetch, merge and push again";
  }

  static String archiveThreshold(String ref, int count, int threshold) {
    return PREFIX
        + "archived generation "
        + printable(ref)
        + " holds "
        + plural(count, "checkpoint")
        + ", fewer than the threshold "
        + threshold
        + " "
        + rule(Rule.ARCHIVE_THRESHOLD)
        + "; only the v2 migration of Entire CLI v0.6.0 makes them, and your v1 branch still has their"
        + " checkpoints: upgrade the Entire CLI (v0.6.2 and later stop pushing it); the server's"
        + " administrator can run checkpoint-guard repair";
  }

  static String archiveHistory(String ref) {
    return PREFIX
        + NON_FAST_FORWARD
        + ": archived generation "
        + printable(ref)
        + " can only be fast-forwarded "
        + rule(Rule.ARCHIVE_HISTORY)
        + "; fetch, merge and push again";
  }

  /**
   * @param lost expanded
   */
  static String archiveLoss(String ref, Loss lost) {
    return PREFIX
        + NON_FAST_FORWARD
        + ": updating archived generation "
        + printable(ref)
        + " would remove "
        + units(lost)
        + " ("
        + examples(lost)
        + ") "
        + rule(Rule.ARCHIVE_LOSS)
        + "; archives only grow: fetch, merge and push again";
  }

  static String archiveDelete(String ref) {
    return PREFIX
        + "deleting archived generation "
        + printable(ref)
        + " is disabled on this repository "
        + rule(Rule.ARCHIVE_DELETE)
        + ": git config "
        + GuardSettings.SECTION
        + ".allowArchiveDeletion is false; ask the server administrator";
  }

  static String archiveTooYoung(String ref, Instant newest, Instant now, Duration min) {
    return PREFIX
        + "deleting archived generation "
        + printable(ref)
        + " is refused: its newest checkpoint is from "
        + newest.truncatedTo(ChronoUnit.SECONDS)
        + " ("
        + ago(newest, now)
        + "), and a generation may be deleted only when its newest checkpoint is older than "
        + GuardSettings.formatAge(min)
        + " "
        + rule(Rule.ARCHIVE_AGE)
        + "; entire clean never deletes younger generations: if this push comes from an old clone or"
        + " mirror, fetch first";
  }

  static String archiveAgeUnknown(String ref, int without) {
    return PREFIX
        + "deleting archived generation "
        + printable(ref)
        + " is refused: "
        + plural(without, "checkpoint")
        + " in it "
        + (without == 1 ? "has" : "have")
        + " no time (no valid generation.json, and neither "
        + RefNames.MAIN
        + " nor the transcripts give one), so its age is unknown "
        + rule(Rule.ARCHIVE_AGE)
        + "; entire clean skips such generations; ask the server administrator";
  }

  static String v2Frozen(String ref) {
    return PREFIX
        + "deleting archived generation "
        + printable(ref)
        + " is refused while this server converts v2 checkpoints to v1 "
        + rule(Rule.V2_FROZEN)
        + "; nothing is lost: the generation stays on the server, and your local copy is unaffected";
  }

  static String v2Retired(String ref) {
    return PREFIX
        + printable(ref)
        + " refused: this server no longer accepts v2 checkpoint refs "
        + rule(Rule.V2_RETIRED)
        + "; its v2 checkpoints were converted to the v1 branch entire/checkpoints/v1; upgrade the Entire"
        + " CLI to v0.6.3 or later, which writes and pushes checkpoints to v1 only";
  }

  static String unknownRef(String ref) {
    return PREFIX
        + printable(ref)
        + " is not a checkpoint ref "
        + rule(Rule.UNKNOWN_REF)
        + "; under "
        + RefNames.V2_PREFIX
        + " only main, full/current and full/<13 digits> may exist";
  }

  static String guardRef(String ref) {
    return PREFIX
        + "pushing "
        + printable(ref)
        + " is not allowed "
        + rule(Rule.GUARD_REF)
        + ": refs under "
        + RefNames.GUARD_PREFIX
        + " are the server's own (repair backups, mirror copies) and are written only by checkpoint-guard"
        + " on the server";
  }

  static String tooManyCheckpoints(String ref, int limit) {
    return PREFIX
        + printable(ref)
        + " refused: a generation it involves holds more than "
        + limit
        + " checkpoints or transcript files, more than the guard reads "
        + rule(Rule.TOO_MANY_CHECKPOINTS)
        + "; ask the server administrator to run checkpoint-guard check";
  }

  static String notACommit(String ref, String objectId, String typeName) {
    return PREFIX
        + printable(ref)
        + " must point to a commit, but "
        + objectId
        + " is a "
        + typeName
        + " "
        + rule(Rule.NOT_A_COMMIT);
  }

  static String missingObject(String ref, String objectId) {
    return PREFIX
        + "object "
        + objectId
        + " for "
        + printable(ref)
        + " is not in the repository "
        + rule(Rule.MISSING_OBJECT)
        + "; push it with the objects it needs";
  }

  /** The message for every guarded ref when the repository's settings are invalid. */
  public static String invalidSettings(String ref, String problem) {
    return PREFIX
        + printable(ref)
        + " refused: "
        + printable(problem, 300)
        + " "
        + rule(Rule.INVALID_SETTINGS)
        + "; ask the server administrator to fix the repository's git config";
  }

  static String internalError(String ref) {
    return PREFIX
        + "could not check "
        + printable(ref)
        + " "
        + rule(Rule.INTERNAL_ERROR)
        + "; the update was refused, the server log has the details";
  }

  /**
   * A stock hook command ({@code pre-receive}, {@code update}) failed unexpectedly; the details are
   * in the server-side log only, never shown to the pusher (they may name server paths).
   */
  public static String hookInternalError() {
    return PREFIX
        + "push refused: internal error in the server's hook "
        + rule(Rule.INTERNAL_ERROR)
        + "; the server log has the details";
  }

  /** The stock hook refuses a guarded ref because it cannot read the repository (fail closed). */
  public static String unreadableRepositoryRefused(String ref, String problem) {
    return PREFIX
        + printable(ref)
        + " refused: the server cannot read this repository ("
        + printable(problem, 200)
        + ") "
        + rule(Rule.UNREADABLE_REPOSITORY)
        + "; ask the server administrator (git config "
        + GuardSettings.SECTION
        + "."
        + GuardSettings.UNREADABLE_REPOSITORY_KEY
        + " is reject)";
  }

  /**
   * The stock hook lets a guarded ref through unchecked because it cannot read the repository (fail
   * open).
   */
  public static String unreadableRepositoryAccepted(String ref, String problem) {
    return PREFIX
        + "warning: "
        + printable(ref)
        + " accepted unchecked: the server cannot read this repository ("
        + printable(problem, 200)
        + ") (rule "
        + Rule.UNREADABLE_REPOSITORY.id()
        + "; git config "
        + GuardSettings.SECTION
        + "."
        + GuardSettings.UNREADABLE_REPOSITORY_KEY
        + " is accept)";
  }

  /**
   * The stock hook refuses a whole push because a line of its input is not {@code <old> <new>
   * <ref>}: git never writes such a line, so something other than git called the hook.
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

  /**
   * {@code 3 raw transcripts of 2 checkpoints}, {@code 1 checkpoint without transcripts}, or both
   * joined with {@code and}.
   */
  private static String units(Loss lost) {
    int files = lost.files();
    int idOnly = lost.idOnly();
    int withFiles = lost.checkpoints() - idOnly;
    String f =
        files == 0
            ? ""
            : plural(files, "raw transcript") + " of " + plural(withFiles, "checkpoint");
    String d = idOnly == 0 ? "" : plural(idOnly, "checkpoint") + " without transcripts";
    return f.isEmpty() ? d : d.isEmpty() ? f : f + " and " + d;
  }

  private static String examples(Loss lost) {
    int total = lost.files() + lost.idOnly();
    String s = String.join(", ", lost.examples(MAX_UNITS_SHOWN));
    return total > MAX_UNITS_SHOWN ? s + ", …" : s;
  }

  private static String ago(Instant then, Instant now) {
    Duration d = Duration.between(then, now);
    if (d.isNegative()) {
      return "in the future";
    }
    if (d.toDays() > 0) {
      return plural((int) d.toDays(), "day") + " ago";
    }
    if (d.toHours() > 0) {
      return plural((int) d.toHours(), "hour") + " ago";
    }
    return plural((int) Math.max(1, d.toMinutes()), "minute") + " ago";
  }

  private static List<String> shortNames(List<String> refs) {
    return refs.stream().map(RefNames::shortName).toList();
  }
}
