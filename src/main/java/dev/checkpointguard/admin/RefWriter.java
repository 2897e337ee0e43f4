package dev.checkpointguard.admin;

import java.io.IOException;
import java.util.List;
import java.util.Locale;
import org.eclipse.jgit.internal.JGitText;
import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * Compare-and-set ref writes: the only way {@code repair} and {@code restore} change refs.
 *
 * <p>A write either happens ({@link Result#DONE}), or does not because a ref did not hold its
 * expected value or another process holds its lock ({@link Result#MOVED}: a concurrent push, worth
 * planning again). Anything else (an I/O error, a missing object, a name the ref database refuses)
 * is an error and throws {@link WriteFailedException}: it is never reported as someone else's move.
 */
final class RefWriter {
  private RefWriter() {}

  /** How a compare-and-set ended, when it did not fail. */
  enum Result {
    /** Every ref changed (or already had its new value). */
    DONE,
    /**
     * Nothing changed: a ref did not hold its expected value, or another writer held its lock (JGit
     * reports both as a lock failure).
     */
    MOVED
  }

  /** A ref write that failed for another reason than a concurrent change: an error to report. */
  static final class WriteFailedException extends IOException {
    private static final long serialVersionUID = 1L;

    WriteFailedException(String message) {
      super(message);
    }

    WriteFailedException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /**
   * Sets {@code ref} from {@code expected} (zero id: must not exist) to {@code next} (zero id:
   * delete).
   *
   * @return {@link Result#DONE}, or {@link Result#MOVED} when the ref did not hold {@code expected}
   * @throws WriteFailedException when the ref database refused the write for another reason
   * @throws IOException when the ref database could not be read or written
   */
  static Result compareAndSet(
      Repository repo, String ref, ObjectId expected, ObjectId next, String log)
      throws IOException {
    RefUpdate u = repo.updateRef(ref);
    u.setExpectedOldObjectId(expected);
    u.setForceUpdate(
        true); // non-fast-forward is intended (resets, deletes); the expected id guards it
    u.setRefLogMessage(log, false);
    RefUpdate.Result r;
    if (next.equals(ObjectId.zeroId())) {
      r = u.delete();
    } else {
      u.setNewObjectId(next);
      r = u.update();
    }
    switch (r) {
      case NEW:
      case FORCED:
      case FAST_FORWARD:
      case NO_CHANGE:
        return Result.DONE;
      case LOCK_FAILURE:
        // the expected value did not match, or another process holds the ref's lock: never forced
        return Result.MOVED;
      default:
        // IO_FAILURE, REJECTED_MISSING_OBJECT, REJECTED_OTHER_REASON, NOT_ATTEMPTED ...
        throw new WriteFailedException(
            "cannot "
                + (next.equals(ObjectId.zeroId()) ? "delete " : "set ")
                + ref
                + ": "
                + describe(r));
    }
  }

  /**
   * {@link #compareAndSet} of several refs as one atomic transaction: all change or none does. On a
   * file repository that is one rewrite of {@code packed-refs} instead of one per deleted ref
   * (about 15 ms each: the bulk of a large repair). JGit 7.5 fsyncs the new {@code packed-refs}
   * before renaming it into place; a single loose ref ({@link #compareAndSet}) is fsynced only with
   * {@code core.fsyncRefFiles}, which {@link Repair#durable} turns on for the run. An update whose
   * old and new value are equal is a verify-only command: it changes nothing but fails the whole
   * transaction when the ref does not hold that value. A ref database without transactions gets the
   * updates one by one (verify-only ones included, as a re-read).
   *
   * @return {@link Result#DONE} when every ref changed; {@link Result#MOVED} when some ref did not
   *     hold its expected value (then, in a transaction, none changed)
   * @throws WriteFailedException when the ref database refused a command for another reason (then,
   *     in a transaction, none changed)
   */
  static Result compareAndSetAll(Repository repo, List<RepairPlan.Update> updates, String log)
      throws IOException {
    if (updates.size() == 1 || !repo.getRefDatabase().performsAtomicTransactions()) {
      for (RepairPlan.Update u : updates) {
        if (compareAndSet(repo, u.ref(), u.expected(), u.next(), log) == Result.MOVED) {
          return Result.MOVED;
        }
      }
      return Result.DONE;
    }
    BatchRefUpdate batch = repo.getRefDatabase().newBatchUpdate();
    batch.setAtomic(true);
    batch.setAllowNonFastForwards(
        true); // resets and deletes are intended; the expected ids guard them
    batch.setRefLogMessage(log, false);
    for (RepairPlan.Update u : updates) {
      batch.addCommand(new ReceiveCommand(u.expected(), u.next(), u.ref()));
    }
    try (RevWalk rw = new RevWalk(repo)) {
      batch.execute(rw, NullProgressMonitor.INSTANCE);
    }
    ReceiveCommand failed = null;
    for (ReceiveCommand c : batch.getCommands()) {
      if (c.getResult() == ReceiveCommand.Result.LOCK_FAILURE) {
        return Result.MOVED; // the others were aborted because of this one
      }
      if (c.getResult() != ReceiveCommand.Result.OK && failed == null && !aborted(c)) {
        failed = c;
      }
    }
    if (failed != null) {
      throw new WriteFailedException(
          "cannot "
              + (failed.getType() == ReceiveCommand.Type.DELETE ? "delete " : "set ")
              + failed.getRefName()
              + ": "
              + describe(failed));
    }
    for (ReceiveCommand c : batch.getCommands()) {
      if (c.getResult() != ReceiveCommand.Result.OK) {
        throw new WriteFailedException("cannot set " + c.getRefName() + ": " + describe(c));
      }
    }
    return Result.DONE;
  }

  /** A command JGit did not run because another command of the atomic transaction failed. */
  private static boolean aborted(ReceiveCommand c) {
    return c.getResult() == ReceiveCommand.Result.NOT_ATTEMPTED
        || (c.getResult() == ReceiveCommand.Result.REJECTED_OTHER_REASON
            && JGitText.get().transactionAborted.equals(c.getMessage()));
  }

  private static String describe(ReceiveCommand c) {
    String what =
        c.getResult() == ReceiveCommand.Result.REJECTED_MISSING_OBJECT
            ? "the new object is missing"
            : c.getResult().name().toLowerCase(Locale.ROOT).replace('_', ' ');
    return c.getMessage() == null || c.getResult() == ReceiveCommand.Result.REJECTED_MISSING_OBJECT
        ? what
        : what + " (" + c.getMessage() + ")";
  }

  private static String describe(RefUpdate.Result r) {
    return switch (r) {
      case IO_FAILURE -> "I/O failure";
      case REJECTED_MISSING_OBJECT -> "the new object is missing";
      default -> r.name().toLowerCase(Locale.ROOT).replace('_', ' ');
    };
  }

  /** The ref's value, or the zero id when it does not exist. */
  static ObjectId read(Repository repo, String ref) throws IOException {
    Ref r = repo.exactRef(ref);
    return r == null || r.getObjectId() == null ? ObjectId.zeroId() : r.getObjectId();
  }
}
