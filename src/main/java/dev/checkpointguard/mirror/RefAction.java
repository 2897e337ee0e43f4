package dev.checkpointguard.mirror;

import dev.checkpointguard.core.RefNames;
import org.eclipse.jgit.lib.ObjectId;

/**
 * What one sync does with one ref whose mirror value differs from upstream's.
 *
 * @param ref the ref
 * @param mirror the mirror's value when the sync planned (null: absent)
 * @param upstream upstream's value (null: absent upstream)
 * @param target the mirror's value after the sync (null: deleted / absent)
 * @param kind what the sync decided
 * @param rule the guard's rule that refused upstream's change, or null when a push would be
 *     accepted (or the ref is not a v2 ref); {@code ahead} for {@link Kind#AHEAD}
 * @param checkpoints checkpoints concerned: kept in the merge, held, kept aside, or ahead of
 *     upstream
 * @param files checkpoint files concerned (same meaning)
 * @param keptRef where the let-go tip is kept ({@link Kind#MIRRORED_KEPT}), else null
 * @param detail the guard's message for a refusal (its numbers), or ""
 * @param fastForward true when {@code target} descends from {@code mirror} (or either is absent)
 */
public record RefAction(
    String ref,
    ObjectId mirror,
    ObjectId upstream,
    ObjectId target,
    Kind kind,
    String rule,
    int checkpoints,
    int files,
    String keptRef,
    String detail,
    boolean fastForward) {
  /** The decisions of docs/mirror.md's verdict table. */
  public enum Kind {
    /** The mirror took upstream's value as it is (created, fast-forwarded, forced or deleted). */
    MIRRORED("mirrored"),
    /**
     * The mirror took upstream's value, and kept the tip it let go of under the mirror's kept refs.
     */
    MIRRORED_KEPT("mirrored-kept"),
    /**
     * Held back: the mirror's ref is a merge of upstream's value and the checkpoint files it
     * dropped.
     */
    MERGED("merged"),
    /**
     * Held back: the mirror keeps its own value (upstream's deletion or unreadable value not
     * taken).
     */
    HELD("held"),
    /** Held back: upstream's value is already in the mirror's history (the mirror is ahead). */
    AHEAD("ahead");

    private final String id;

    Kind(String id) {
      this.id = id;
    }

    /** The stable id of {@code --json}. */
    public String id() {
      return id;
    }
  }

  /** True when the mirror's ref differs from upstream's after the sync. */
  public boolean heldBack() {
    return kind == Kind.MERGED || kind == Kind.HELD || kind == Kind.AHEAD;
  }

  /** True when the sync moves this ref. */
  public boolean changes() {
    return target == null ? mirror != null : !target.equals(mirror);
  }

  /** True for refs under {@code refs/entire/checkpoints/v2/}. */
  public boolean isV2() {
    return RefNames.isV2(ref);
  }
}
