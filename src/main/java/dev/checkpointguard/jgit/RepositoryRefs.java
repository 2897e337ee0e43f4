package dev.checkpointguard.jgit;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.ServerRefs;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;

/** Reads a repository's v2 refs for the policy core; shared by every adapter. */
public final class RepositoryRefs {
  private RepositoryRefs() {}

  /** The repository's archive refs, listed by prefix only when the policy asks for them. */
  public static ServerRefs archives(Repository repo) {
    return archives(repo, ArchiveIndex.NONE);
  }

  /**
   * The repository's archive refs, with {@code index} remembering their contents between pushes (get it
   * from an {@link ArchiveIndex.Registry} by {@link #key(Repository)}).
   */
  public static ServerRefs archives(Repository repo, ArchiveIndex index) {
    return new ServerRefs() {
      @Override
      public Map<String, ObjectId> archives() throws IOException {
        Map<String, ObjectId> out = new LinkedHashMap<>();
        for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.FULL_PREFIX)) {
          if (RefNames.isArchive(r.getName()) && r.getObjectId() != null) {
            out.put(r.getName(), r.getObjectId());
          }
        }
        return out;
      }

      @Override
      public ObjectId archive(String ref) throws IOException {
        Ref r = repo.getRefDatabase().exactRef(ref);
        return r == null ? null : r.getObjectId();
      }

      @Override
      public ArchiveIndex index() {
        return index;
      }
    };
  }

  /** The key of a repository in an {@link ArchiveIndex.Registry}: its identifier (a file path). */
  public static String key(Repository repo) {
    return repo.getIdentifier();
  }
}
