package dev.checkpointguard.mirror;

import dev.checkpointguard.core.RefNames;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

/**
 * The ref names of a guarded mirror. Everything the mirror keeps for itself lives under {@link
 * #PREFIX} inside the guard's own namespace ({@link RefNames#GUARD_PREFIX}), which a sync never
 * fetches, prunes or overwrites from upstream and which the guard refuses to any push:
 *
 * <ul>
 *   <li>{@link #UPSTREAM_PREFIX}{@code <ref>}: upstream's value of a v2 ref the mirror holds back
 *       (kept up to date by every sync, removed when the mirror follows upstream again). It keeps
 *       what arrived with a refused update (an under-threshold archive, a tag on a v2 ref) and
 *       shows the admin both sides.
 *   <li>{@link #KEPT_PREFIX}{@code <UTC stamp>/<ref>}: a tip the mirror let go of (upstream deleted
 *       or rewrote the ref, and the mirror followed) whose checkpoint files no other ref holds.
 *       Never changed by a sync; the admin deletes it once it is no longer wanted.
 * </ul>
 *
 * <p>The stock-git hook keeps its tips outside the mirror (a {@code git fetch --prune} with the
 * mirror refspec would delete them), in {@link #KEPT_REPOSITORY}, under {@link #HOOK_KEPT_PREFIX}.
 */
public final class MirrorRefs {
  /** The mirror's own refs. */
  public static final String PREFIX = RefNames.GUARD_PREFIX + "mirror/";

  /** Upstream's values of the v2 refs held back. */
  public static final String UPSTREAM_PREFIX = PREFIX + "upstream/";

  /** Tips kept because their checkpoint files would otherwise be gone. */
  public static final String KEPT_PREFIX = PREFIX + "kept/";

  /** The stock hook's keep repository, relative to the mirror's git directory. */
  public static final String KEPT_REPOSITORY = "checkpoint-guard/kept.git";

  /** Ref prefix inside {@link #KEPT_REPOSITORY}. */
  public static final String HOOK_KEPT_PREFIX = "refs/kept/";

  private static final DateTimeFormatter STAMP =
      DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'").withZone(ZoneOffset.UTC);

  private MirrorRefs() {}

  /**
   * True for every ref a sync takes from upstream: under {@code refs/}, outside the guard's
   * namespace.
   */
  public static boolean isMirrored(String ref) {
    return ref.startsWith("refs/") && !ref.startsWith(RefNames.GUARD_PREFIX);
  }

  /** The UTC stamp of kept refs, e.g. {@code 20260521T101530Z}: sortable, valid in a ref name. */
  public static String stamp(Instant t) {
    return STAMP.format(t);
  }

  /** {@link #UPSTREAM_PREFIX} + {@code ref}. */
  static String upstreamRef(String ref) {
    return UPSTREAM_PREFIX + ref;
  }

  /** The v2 ref an {@link #UPSTREAM_PREFIX} or {@link #KEPT_PREFIX} ref is about. */
  static String original(String guardRef) {
    if (guardRef.startsWith(UPSTREAM_PREFIX)) {
      return guardRef.substring(UPSTREAM_PREFIX.length());
    }
    if (guardRef.startsWith(KEPT_PREFIX)) {
      String rest = guardRef.substring(KEPT_PREFIX.length());
      int slash = rest.indexOf('/');
      return slash < 0 ? rest : rest.substring(slash + 1);
    }
    return guardRef;
  }
}
