package dev.checkpointguard.core;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;

/**
 * The server's archived generations before the push. Asked only when a {@code /full/current} update drops
 * checkpoints that the push's own archives do not cover, so ordinary pushes and rotations never list refs.
 */
@FunctionalInterface
public interface ServerRefs {
  /** Archive ref name → tip, for every {@code refs/entire/checkpoints/v2/full/<13 digits>}. */
  Map<String, ObjectId> archives() throws IOException;

  /**
   * The tip of one archive ref, or null when it does not exist. Adapters answer it without listing every
   * archive (the default lists them).
   */
  default ObjectId archive(String ref) throws IOException {
    return archives().get(ref);
  }

  /**
   * What is remembered about these archives from earlier pushes; {@link ArchiveIndex#NONE} by default. The
   * policy confirms every entry it uses with {@link #archive}, and refreshes the index when it lists.
   */
  default ArchiveIndex index() {
    return ArchiveIndex.NONE;
  }

  /** A fixed map, for tests and adapters that already hold the refs. Non-archive names are ignored. */
  static ServerRefs of(Map<String, ObjectId> refs) {
    Map<String, ObjectId> archives = new TreeMap<>();
    refs.forEach(
        (name, id) -> {
          if (RefNames.isArchive(name)) {
            archives.put(name, id);
          }
        });
    return () -> archives;
  }
}
