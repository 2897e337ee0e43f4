package dev.checkpointguard.admin;

import dev.checkpointguard.core.CommitMessages;
import org.eclipse.jgit.revwalk.RevCommit;

/**
 * What wrote the tip commit of a {@code /full/*} ref, from its message and parents (spec §13). The
 * ids are part of the {@code check --json} schema.
 */
enum TipKind {
  /** {@code Archive generation}: a client rotation (§6.2). */
  ROTATION("rotation"),
  /** {@code Archive migrated generation: <ref>}, an orphan: a migration archive (§8.3, §9). */
  MIGRATION("migration"),
  /** {@code Archive repacked generation: <ref>}: written by {@code checkpoint-guard repair}. */
  REPAIR("repair"),
  /**
   * {@code Write repacked partial generation}: repair's write of the remainder into /full/current.
   */
  REPAIR_PARTIAL("repair-partial"),
  /** {@code Repair generation metadata: <N>} (§8.6). */
  METADATA_REPAIR("metadata-repair"),
  /**
   * {@code Merge local checkpoints into archived generation} (rotation-conflict recovery, §7.3 A).
   */
  MERGE_LOCAL("merge-local"),
  /** Two-parent {@code Merge remote v2/...} of old clients (§7.3 B); may have rehydrated. */
  MERGE("merge"),
  /** {@code Finalize checkpoint: <id>}. */
  FINALIZE("finalize"),
  /** {@code Reset checkpoint before force migration: <id>} (§8.2). */
  FORCE_PRUNE("force-prune"),
  /** {@code Checkpoint: <id>} on /full/current. */
  CHECKPOINT("checkpoint"),
  /** {@code Start generation}: a rotation reset or the migration's empty /full/current. */
  START("start"),
  /** {@code Write migrated partial generation} (§8.3). */
  MIGRATED_PARTIAL("migrated-partial"),
  /** {@code Initialize v2 ref}. */
  INIT("init"),
  /** An archive ref pointing straight at a /full/current commit (v0.5.2/v0.5.3 rotation, §12). */
  LEGACY("legacy"),
  /** Anything else. */
  OTHER("other");

  private final String id;

  TipKind(String id) {
    this.id = id;
  }

  String id() {
    return id;
  }

  /**
   * Classifies the tip commit of {@code ref}; {@code archive} tells an archive ref from
   * /full/current.
   */
  static TipKind of(RevCommit c, boolean archive) {
    String m = CommitMessages.subject(c.getFullMessage());
    TipKind k;
    if (m.equals(CommitMessages.ARCHIVE_GENERATION)) {
      k = ROTATION;
    } else if (m.startsWith(CommitMessages.ARCHIVE_MIGRATED)) {
      k = MIGRATION;
    } else if (m.startsWith(CommitMessages.REPAIR_ARCHIVE)) {
      k = REPAIR;
    } else if (m.equals(CommitMessages.REPAIR_PARTIAL)) {
      k = REPAIR_PARTIAL;
    } else if (m.startsWith(CommitMessages.REPAIR_METADATA)) {
      k = METADATA_REPAIR;
    } else if (m.equals(CommitMessages.MERGE_LOCAL)) {
      k = MERGE_LOCAL;
    } else if (m.startsWith(CommitMessages.MERGE_REMOTE)) {
      k = MERGE;
    } else if (m.startsWith(CommitMessages.FINALIZE)) {
      k = FINALIZE;
    } else if (m.startsWith(CommitMessages.FORCE_PRUNE)) {
      k = FORCE_PRUNE;
    } else if (m.startsWith(CommitMessages.CHECKPOINT)) {
      k = CHECKPOINT;
    } else if (m.equals(CommitMessages.START_GENERATION)) {
      k = START;
    } else if (m.equals(CommitMessages.WRITE_MIGRATED_PARTIAL)) {
      k = MIGRATED_PARTIAL;
    } else if (m.equals(CommitMessages.INITIALIZE)) {
      k = INIT;
    } else {
      k = OTHER;
    }
    if (archive && (k == CHECKPOINT || k == START || k == MIGRATED_PARTIAL || k == INIT)) {
      return LEGACY;
    }
    return k;
  }
}
