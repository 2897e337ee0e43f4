package dev.checkpointguard.admin;

import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.RefNames;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.errors.ConfigInvalidException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;

/**
 * {@code restore}'s part for the backups {@code convert} writes (kept apart from the repair logic):
 *
 * <ul>
 *   <li>a {@code convert} backup names {@code refs/heads/entire/checkpoints/v1}; setting v1 back
 *       drops the checkpoints that run converted, which is only allowed while v2 still holds every
 *       one of them;
 *   <li>a {@code convert --retire} backup re-creates {@code /main} and {@code /full/*}; v2 then has
 *       to accept pushes again, so {@code checkpointGuard.v2} goes from {@code retired} back to
 *       {@code frozen} (archive deletes stay refused until the administrator decides otherwise).
 * </ul>
 */
final class ConvertUndo {
  private ConvertUndo() {}

  /**
   * Why restoring would drop from v1 a checkpoint no v2 ref would hold after the restore; null when
   * it would not (or v1 is not restored).
   *
   * @param current every v2 ref and v1, as they are now
   * @param restored the refs the restore sets, with their restored value (zero: deleted)
   */
  static String v1Loss(
      Repository repo, Map<String, ObjectId> current, Map<String, ObjectId> restored)
      throws IOException {
    if (!restored.containsKey(RefNames.V1)) {
      return null;
    }
    Map<String, ObjectId> post = new TreeMap<>(current);
    post.putAll(restored);
    try (ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      CheckpointTrees trees = new CheckpointTrees(reader, null);
      CheckpointSet dropped =
          of(walk, trees, current.get(RefNames.V1))
              .minus(of(walk, trees, restored.get(RefNames.V1)));
      if (dropped.isEmpty()) {
        return null;
      }
      CheckpointSet.Builder v2 = new CheckpointSet.Builder();
      for (Map.Entry<String, ObjectId> e : post.entrySet()) {
        if (e.getKey().equals(RefNames.MAIN) || e.getKey().startsWith(RefNames.FULL_PREFIX)) {
          v2.addAll(of(walk, trees, e.getValue()));
        }
      }
      CheckpointSet lost = dropped.minus(v2.build());
      return lost.isEmpty()
          ? null
          : "drop "
              + lost.size()
              + " checkpoint(s) from "
              + RefNames.V1
              + " that no v2 ref holds "
              + lost.first(5)
              + (lost.size() > 5 ? " ..." : "");
    }
  }

  private static CheckpointSet of(RevWalk walk, CheckpointTrees trees, ObjectId id)
      throws IOException {
    if (id == null || id.equals(ObjectId.zeroId())) {
      return CheckpointSet.empty();
    }
    RevObject o = walk.parseAny(id);
    return o instanceof RevCommit c
        ? trees.checkpoints(walk.parseCommit(c).getTree())
        : CheckpointSet.empty();
  }

  /**
   * After a restore that re-created {@code /main} or {@code /full/*} refs ({@code created}): sets
   * {@code checkpointGuard.v2} from {@code retired} to {@code frozen}; returns the line to print,
   * or null.
   */
  static String afterRestore(Repository repo, List<String> created, boolean dryRun)
      throws IOException {
    boolean v2 =
        created.stream()
            .anyMatch(r -> r.equals(RefNames.MAIN) || r.startsWith(RefNames.FULL_PREFIX));
    if (!v2) {
      return null;
    }
    FileBasedConfig c = config(repo);
    String value = c.getString(GuardSettings.SECTION, null, GuardSettings.V2_KEY);
    if (value == null
        || !value.trim().equalsIgnoreCase(GuardSettings.V2State.RETIRED.configValue())) {
      return null;
    }
    String key = GuardSettings.SECTION + "." + GuardSettings.V2_KEY;
    if (dryRun) {
      return "would set "
          + key
          + " = frozen (it is retired; the restored v2 refs must accept pushes again)";
    }
    setV2(repo, GuardSettings.V2State.FROZEN);
    return "set "
        + key
        + " = frozen (was retired): v2 accepts pushes again, archive deletes stay refused";
  }

  /**
   * Sets {@code checkpointGuard.v2} in the repository's config file. Reads and writes the file on
   * its own (lock file, then rename): the repository's in-memory config may carry a run's
   * durability switches, which must not end up in the file.
   */
  static void setV2(Repository repo, GuardSettings.V2State state) throws IOException {
    FileBasedConfig c = config(repo);
    c.setString(GuardSettings.SECTION, null, GuardSettings.V2_KEY, state.configValue());
    c.save();
    repo.getConfig()
        .setString(GuardSettings.SECTION, null, GuardSettings.V2_KEY, state.configValue());
  }

  /** The repository's config file, freshly read. */
  static FileBasedConfig config(Repository repo) throws IOException {
    FileBasedConfig c =
        new FileBasedConfig(new File(repo.getDirectory(), Constants.CONFIG), FS.DETECTED);
    try {
      c.load();
    } catch (ConfigInvalidException e) {
      throw new IOException("the repository's git config cannot be read: " + e.getMessage(), e);
    }
    return c;
  }
}
