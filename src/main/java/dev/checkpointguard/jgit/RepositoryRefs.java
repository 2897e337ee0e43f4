package dev.checkpointguard.jgit;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.ServerRefs;
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
    return () -> {
      Map<String, ObjectId> out = new LinkedHashMap<>();
      for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.FULL_PREFIX)) {
        if (RefNames.isArchive(r.getName()) && r.getObjectId() != null) {
          out.put(r.getName(), r.getObjectId());
        }
      }
      return out;
    };
  }
}
