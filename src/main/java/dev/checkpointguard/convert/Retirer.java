package dev.checkpointguard.convert;

import dev.checkpointguard.admin.AdminTools;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;

/**
 * {@code convert --retire}: ends v2 on the server once v1 holds all of it (spec v2-to-v1 §6.10).
 *
 * <ol>
 *   <li>{@link Verifier}: any problem and nothing is changed (exit 1);
 *   <li>{@code checkpointGuard.v2 = retired} in the repository's config, first, so that the guard
 *       refuses every v2 create and update from here on (an old client would otherwise re-create
 *       the refs deleted next, spec v2-to-v1 §4); if a v2 ref moved between the check and this
 *       point, the check runs again;
 *   <li>one atomic ref transaction: a backup {@code refs/checkpoint-guard/backup/<ts>/<ref>} of
 *       every {@code /main} and {@code /full/*} ref, and the compare-and-set delete of each
 *       (against the value that was verified).
 * </ol>
 *
 * {@code restore --backup <ts>} re-creates the refs and sets the setting back to {@code frozen}. A
 * run killed at any point leaves the refs and their backup in one piece; a rerun finishes.
 */
final class Retirer {
  static final int MAX_ATTEMPTS = 3;

  private final Repository repo;
  private final Io io;
  private final Clock clock;
  private final boolean dryRun;

  Retirer(Repository repo, Io io, Clock clock, boolean dryRun) {
    this.repo = repo;
    this.io = io;
    this.clock = clock;
    this.dryRun = dryRun;
  }

  /** Result: the verification, the refs deleted (or to delete), the backup name, why it stopped. */
  record Result(
      Verifier verify,
      Map<String, ObjectId> deleted,
      String backup,
      String stopped,
      boolean setRetired) {}

  Result run() throws IOException {
    if (!dryRun) {
      List<String> locks = AdminTools.leftLocks(repo);
      if (!locks.isEmpty()) {
        return new Result(
            null,
            Map.of(),
            null,
            locks.get(0)
                + " exists: a git process is writing refs, or one"
                + " was killed while it did; nothing was changed. If no git process is running on this"
                + " repository, remove it and run convert --retire again",
            false);
      }
      AdminTools.durable(repo);
    }
    Verifier last = null;
    boolean setRetired = false;
    for (int attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
      Verifier v = Verifier.run(repo, AdminTools.progress(io));
      last = v;
      if (!v.ok()) {
        return new Result(
            v,
            Map.of(),
            null,
            "v1 does not hold everything v2 holds; nothing was changed",
            setRetired);
      }
      Map<String, ObjectId> refs = retirable(v.sources.v2Values);
      if (dryRun) {
        return new Result(v, refs, null, null, false);
      }
      if (settings() != GuardSettings.V2State.RETIRED) {
        setRetired(GuardSettings.V2State.RETIRED);
        setRetired = true;
      }
      if (!refs.equals(retirable(current()))) {
        io.err()
            .println(
                "checkpoint-guard convert: a v2 ref moved while it was verified; verifying again"
                    + " (attempt "
                    + (attempt + 1)
                    + " of "
                    + MAX_ATTEMPTS
                    + ")");
        continue;
      }
      if (refs.isEmpty()) {
        return new Result(v, refs, null, null, setRetired);
      }
      String ts = AdminTools.backupName(repo, clock.instant());
      List<RefChange> tx = new ArrayList<>();
      refs.forEach(
          (ref, id) -> tx.add(RefChange.create(RefNames.BACKUP_PREFIX + ts + "/" + ref, id)));
      refs.forEach((ref, id) -> tx.add(RefChange.delete(ref, id)));
      if (AdminTools.compareAndSetAll(repo, tx, "checkpoint-guard convert --retire")) {
        return new Result(v, refs, ts, null, setRetired);
      }
      io.err()
          .println(
              "checkpoint-guard convert: a v2 ref moved while retiring; verifying again (attempt "
                  + (attempt + 1)
                  + " of "
                  + MAX_ATTEMPTS
                  + ")");
    }
    return new Result(
        last,
        Map.of(),
        null,
        "v2 refs kept moving ("
            + MAX_ATTEMPTS
            + " attempts); "
            + GuardSettings.SECTION
            + "."
            + GuardSettings.V2_KEY
            + " is retired, the refs are all still there; run"
            + " convert --retire again",
        setRetired);
  }

  /**
   * The refs a retirement deletes: {@code /main} and every {@code /full/*} name (what verify
   * covers).
   */
  static Map<String, ObjectId> retirable(Map<String, ObjectId> v2) {
    Map<String, ObjectId> out = new TreeMap<>();
    v2.forEach(
        (ref, id) -> {
          if (ref.equals(RefNames.MAIN) || ref.startsWith(RefNames.FULL_PREFIX)) {
            out.put(ref, id);
          }
        });
    return out;
  }

  private Map<String, ObjectId> current() throws IOException {
    Map<String, ObjectId> out = new TreeMap<>();
    for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
      if (r.getObjectId() != null && !r.isSymbolic()) {
        out.put(r.getName(), r.getObjectId());
      }
    }
    return out;
  }

  private GuardSettings.V2State settings() throws IOException {
    String v = AdminTools.v2Setting(repo);
    return v != null && v.trim().equalsIgnoreCase("retired") ? GuardSettings.V2State.RETIRED : null;
  }

  private void setRetired(GuardSettings.V2State state) throws IOException {
    AdminTools.setV2(repo, state);
  }
}
