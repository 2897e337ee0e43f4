package dev.checkpointguard.admin;

import dev.checkpointguard.core.RefChange;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What one repair will do: the new objects (not yet written), the ref updates in the order they are
 * applied, and a description for people. Applying the updates in order never passes through a state
 * that loses a checkpoint: archives are created first, {@code /full/current} is updated next, and
 * under-threshold archives are deleted last, when their content is stored elsewhere.
 */
final class RepairPlan {
  /** Repair modes. */
  enum Mode {
    MINIMAL,
    FULL
  }

  /**
   * One compare-and-set ref update.
   *
   * @param ref the ref
   * @param expected its value when planned (zero id: must not exist)
   * @param next the new value (zero id: delete)
   * @param what one line for the plan and the log
   */
  record Update(String ref, ObjectId expected, ObjectId next, String what) {
    RefChange change() {
      return new RefChange(ref, expected, next);
    }

    boolean isCreate() {
      return expected.equals(ObjectId.zeroId());
    }

    boolean isDelete() {
      return next.equals(ObjectId.zeroId());
    }
  }

  final Mode mode;
  final int threshold;
  final PlannedObjects objects;
  final List<Update> updates = new ArrayList<>();

  /** Plan lines for people (no trailing newline). */
  final List<String> lines = new ArrayList<>();

  int archivesCreated;
  int archivesDeleted;
  int checkpointsMoved;
  int duplicatesMerged;
  int conflictingFiles;
  int metadataRepaired;

  RepairPlan(Mode mode, int threshold, PlannedObjects objects) {
    this.mode = mode;
    this.threshold = threshold;
    this.objects = objects;
  }

  boolean isEmpty() {
    return updates.isEmpty();
  }

  /** One summary line. */
  String summary() {
    return archivesCreated
        + " archive(s) created, "
        + archivesDeleted
        + " deleted, "
        + checkpointsMoved
        + " checkpoint(s) moved, "
        + duplicatesMerged
        + " duplicate(s) merged ("
        + conflictingFiles
        + " conflicting file(s), later generation kept), "
        + metadataRepaired
        + " generation.json repaired";
  }
}
