package dev.checkpointguard.admin;

import java.io.IOException;
import java.util.List;
import org.eclipse.jgit.lib.BatchRefUpdate;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.ReceiveCommand;

/** Compare-and-set ref writes: the only way {@code repair} and {@code restore} change refs. */
final class RefWriter {
  private RefWriter() {}

  /**
   * Sets {@code ref} from {@code expected} (zero id: must not exist) to {@code next} (zero id: delete).
   *
   * @return true when done (or the ref already had {@code next}); false when the ref did not hold
   *     {@code expected}, i.e. someone else moved it
   */
  static boolean compareAndSet(Repository repo, String ref, ObjectId expected, ObjectId next, String log)
      throws IOException {
    RefUpdate u = repo.updateRef(ref);
    u.setExpectedOldObjectId(expected);
    u.setForceUpdate(true); // non-fast-forward is intended (resets, deletes); the expected id guards it
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
        return true;
      default:
        // LOCK_FAILURE, REJECTED, IO_FAILURE ...: the ref moved or is locked by a push; never forced
        return false;
    }
  }

  /**
   * {@link #compareAndSet} of several refs as one atomic transaction: all change or none does. On a
   * file repository that is one rewrite of {@code packed-refs} instead of one per deleted ref (about
   * 15 ms each: the bulk of a large repair). JGit 7.5 fsyncs the new {@code packed-refs} before renaming
   * it into place; a single loose ref ({@link #compareAndSet}) is fsynced only with
   * {@code core.fsyncRefFiles}, which {@link Repair#durable} turns on for the run. An update whose old
   * and new value are equal is a verify-only command: it changes nothing but fails the whole transaction
   * when the ref does not hold that value. A ref database without transactions gets the updates one by
   * one (verify-only ones included, as a re-read).
   *
   * @return true when every ref changed; false when some ref did not hold its expected value (then, in a
   *     transaction, none changed)
   */
  static boolean compareAndSetAll(Repository repo, List<RepairPlan.Update> updates, String log)
      throws IOException {
    if (updates.size() == 1 || !repo.getRefDatabase().performsAtomicTransactions()) {
      for (RepairPlan.Update u : updates) {
        if (!compareAndSet(repo, u.ref(), u.expected(), u.next(), log)) {
          return false;
        }
      }
      return true;
    }
    BatchRefUpdate batch = repo.getRefDatabase().newBatchUpdate();
    batch.setAtomic(true);
    batch.setAllowNonFastForwards(true); // resets and deletes are intended; the expected ids guard them
    batch.setRefLogMessage(log, false);
    for (RepairPlan.Update u : updates) {
      batch.addCommand(new ReceiveCommand(u.expected(), u.next(), u.ref()));
    }
    try (RevWalk rw = new RevWalk(repo)) {
      batch.execute(rw, NullProgressMonitor.INSTANCE);
    }
    for (ReceiveCommand c : batch.getCommands()) {
      if (c.getResult() != ReceiveCommand.Result.OK) {
        return false;
      }
    }
    return true;
  }

  /** The ref's value, or the zero id when it does not exist. */
  static ObjectId read(Repository repo, String ref) throws IOException {
    Ref r = repo.exactRef(ref);
    return r == null || r.getObjectId() == null ? ObjectId.zeroId() : r.getObjectId();
  }
}
