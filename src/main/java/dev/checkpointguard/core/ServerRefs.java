package dev.checkpointguard.core;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;

/**
 * The server's archived generations before the push. Asked only when a {@code /full/current} update drops
 * checkpoints, so ordinary pushes never list refs.
 */
@FunctionalInterface
public interface ServerRefs {
  /** Archive ref name → tip, for every {@code refs/entire/checkpoints/v2/full/<13 digits>}. */
  Map<String, ObjectId> archives() throws IOException;

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
