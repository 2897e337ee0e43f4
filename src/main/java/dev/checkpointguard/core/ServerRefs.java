package dev.checkpointguard.core;

import java.io.IOException;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;

/**
 * The server's v2 refs before the push, as the policy asks for them: one ref at a time, and the
 * list of archived generations only when a {@code /full/current} update drops transcripts that
 * neither this push's archives nor the archive index account for. So ordinary pushes and rotations
 * never list refs.
 *
 * <p>Symbolic refs do not exist here: an archive name that is a symbolic ref (say, to {@code
 * /full/current}) is neither listed nor answered, so it can never count as an archived generation
 * (adapters judge a push <em>to</em> a symbolic ref as a push to its target).
 */
public interface ServerRefs {
  /**
   * Archive ref name → tip, for every {@code refs/entire/checkpoints/v2/full/<13 digits>} that is
   * not a symbolic ref.
   */
  Map<String, ObjectId> archives() throws IOException;

  /**
   * The value of one v2 ref ({@code /main}, {@code /full/current} or an archive), or null when it
   * does not exist or is a symbolic ref. Adapters answer it without listing (the default lists the
   * archives, so it knows nothing else).
   */
  default ObjectId exact(String ref) throws IOException {
    return RefNames.isArchive(ref) ? archives().get(ref) : null;
  }

  /**
   * A mark of where the archive refs are stored, taken <em>before</em> {@link #archives()} is read,
   * or null when the adapter cannot tell changes cheaply. See {@link #archivesUnchanged}.
   */
  default Object archivesMark() {
    return null;
  }

  /**
   * True only when {@link #archives()} would answer now exactly what it answered right after {@code
   * mark} was taken by {@link #archivesMark()} (of this or an earlier {@code ServerRefs} of the
   * same refs); false when unknown. Lets the policy reuse a listing instead of listing thousands of
   * refs again. The policy still confirms every archive it counts as cover with {@link #exact}, so
   * a wrong answer here can only cost a needless rejection, never accept a loss.
   */
  default boolean archivesUnchanged(Object mark) {
    return false;
  }

  /**
   * A fixed map, for tests and adapters that already hold the refs. Names outside v2 are ignored.
   */
  static ServerRefs of(Map<String, ObjectId> refs) {
    Map<String, ObjectId> v2 = new TreeMap<>();
    refs.forEach(
        (name, id) -> {
          if (RefNames.isV2(name) && id != null) {
            v2.put(name, id);
          }
        });
    Map<String, ObjectId> archives = new TreeMap<>();
    v2.forEach(
        (name, id) -> {
          if (RefNames.isArchive(name)) {
            archives.put(name, id);
          }
        });
    return new ServerRefs() {
      @Override
      public Map<String, ObjectId> archives() {
        return archives;
      }

      @Override
      public ObjectId exact(String ref) {
        return v2.get(ref);
      }
    };
  }
}
