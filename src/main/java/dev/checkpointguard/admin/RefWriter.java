package dev.checkpointguard.admin;

import java.io.IOException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;

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

  /** The ref's value, or the zero id when it does not exist. */
  static ObjectId read(Repository repo, String ref) throws IOException {
    Ref r = repo.exactRef(ref);
    return r == null || r.getObjectId() == null ? ObjectId.zeroId() : r.getObjectId();
  }
}
