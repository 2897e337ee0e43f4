package dev.checkpointguard.admin;

import org.eclipse.jgit.revwalk.RevCommit;

/**
 * What wrote the tip commit of a {@code /full/*} ref, from its message and parents (spec §13). The ids are
 * part of the {@code check --json} schema.
 */
enum TipKind {
  /** {@code Archive generation}: a client rotation (§6.2). */
  ROTATION("rotation"),
  /** {@code Archive migrated generation: <ref>}, an orphan: a migration archive (§8.3, §9). */
  MIGRATION("migration"),
  /** {@code Archive repacked generation: <ref>}: written by {@code checkpoint-guard repair}. */
  REPAIR("repair"),
  /** {@code Write repacked partial generation}: repair's write of the remainder into /full/current. */
  REPAIR_PARTIAL("repair-partial"),
  /** {@code Repair generation metadata: <N>} (§8.6). */
  METADATA_REPAIR("metadata-repair"),
  /** {@code Merge local checkpoints into archived generation} (rotation-conflict recovery, §7.3 A). */
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

  static final String REPAIR_ARCHIVE_MESSAGE = "Archive repacked generation: ";
  static final String REPAIR_PARTIAL_MESSAGE = "Write repacked partial generation\n";

  private final String id;

  TipKind(String id) {
    this.id = id;
  }

  String id() {
    return id;
  }

  /** Classifies the tip commit of {@code ref}; {@code archive} tells an archive ref from /full/current. */
  static TipKind of(RevCommit c, boolean archive) {
    String m = c.getFullMessage();
    if (m.endsWith("\n")) {
      m = m.substring(0, m.length() - 1);
    }
    TipKind k;
    if (m.equals("Archive generation")) {
      k = ROTATION;
    } else if (m.startsWith("Archive migrated generation: ")) {
      k = MIGRATION;
    } else if (m.startsWith(REPAIR_ARCHIVE_MESSAGE)) {
      k = REPAIR;
    } else if (m.equals(REPAIR_PARTIAL_MESSAGE.trim())) {
      k = REPAIR_PARTIAL;
    } else if (m.startsWith("Repair generation metadata: ")) {
      k = METADATA_REPAIR;
    } else if (m.equals("Merge local checkpoints into archived generation")) {
      k = MERGE_LOCAL;
    } else if (m.startsWith("Merge remote v2/")) {
      k = MERGE;
    } else if (m.startsWith("Finalize checkpoint: ")) {
      k = FINALIZE;
    } else if (m.startsWith("Reset checkpoint before force migration: ")) {
      k = FORCE_PRUNE;
    } else if (m.startsWith("Checkpoint: ")) {
      k = CHECKPOINT;
    } else if (m.equals("Start generation")) {
      k = START;
    } else if (m.equals("Write migrated partial generation")) {
      k = MIGRATED_PARTIAL;
    } else if (m.equals("Initialize v2 ref")) {
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
