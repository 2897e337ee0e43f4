package dev.checkpointguard.jgit;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.ServerRefs;
import java.io.File;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.eclipse.jgit.internal.storage.file.FileSnapshot;
import org.eclipse.jgit.internal.storage.file.RefDirectory;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;

/**
 * Reads a repository's v2 refs for the policy core, and resolves the names a push uses; shared by
 * every adapter. All names the policy sees are logical ({@code refs/entire/...}); under a git
 * namespace ({@code GIT_NAMESPACE}) they are stored under {@link #namespacePrefix}.
 */
public final class RepositoryRefs {
  private RepositoryRefs() {}

  /** The repository's v2 refs, in the root namespace. */
  public static ServerRefs of(Repository repo) {
    return of(repo, "");
  }

  /**
   * The repository's v2 refs within a git namespace.
   *
   * @param prefix {@link #namespacePrefix} of the namespace, or "" for the root
   */
  public static ServerRefs of(Repository repo, String prefix) {
    return new ServerRefs() {
      @Override
      public Map<String, ObjectId> archives() throws IOException {
        Map<String, ObjectId> out = new LinkedHashMap<>();
        for (Ref r : repo.getRefDatabase().getRefsByPrefix(prefix + RefNames.FULL_PREFIX)) {
          String name = r.getName().substring(prefix.length());
          if (!r.isSymbolic() && RefNames.isArchive(name) && r.getObjectId() != null) {
            out.put(name, r.getObjectId());
          }
        }
        return out;
      }

      @Override
      public ObjectId exact(String ref) throws IOException {
        Ref r = repo.getRefDatabase().exactRef(prefix + ref);
        return r == null || r.isSymbolic() ? null : r.getObjectId();
      }

      @Override
      public Object archivesMark() {
        return mark(repo, prefix);
      }

      @Override
      public boolean archivesUnchanged(Object mark) {
        return mark instanceof Mark m && m.gitDir().equals(repo.getDirectory()) && m.unchanged();
      }
    };
  }

  /**
   * Where a files-backend repository keeps its archive refs: {@code packed-refs} and the folder of
   * loose archive refs. git writes a loose ref through a lock file renamed into that folder, and
   * deletes one by removing its file, so any change of an archive ref by git (or JGit) changes one
   * of the two. JGit's {@link FileSnapshot} treats a file modified too close to its snapshot as
   * modified (racy git).
   */
  private record Mark(
      File gitDir,
      File packed,
      FileSnapshot packedSnapshot,
      File loose,
      FileSnapshot looseSnapshot) {
    boolean unchanged() {
      return !packedSnapshot.isModified(packed) && !looseSnapshot.isModified(loose);
    }
  }

  private static Mark mark(Repository repo, String prefix) {
    if (!(repo.getRefDatabase() instanceof RefDirectory)) {
      return null; // reftable, DFS: no cheap way to tell
    }
    File packed = new File(repo.getDirectory(), "packed-refs");
    File loose = new File(repo.getDirectory(), prefix + RefNames.FULL_PREFIX);
    return new Mark(
        repo.getDirectory(), packed, FileSnapshot.save(packed), loose, FileSnapshot.save(loose));
  }

  /**
   * The storage prefix of a git namespace as git computes it ({@code gitnamespaces(7)}): {@code
   * a/b} is stored under {@code refs/namespaces/a/refs/namespaces/b/}; "" for none.
   */
  public static String namespacePrefix(String namespace) {
    if (namespace == null || namespace.isEmpty()) {
      return "";
    }
    StringBuilder b = new StringBuilder();
    for (String part : namespace.split("/")) {
      if (!part.isEmpty()) {
        b.append("refs/namespaces/").append(part).append('/');
      }
    }
    return b.toString();
  }

  /**
   * The ref a push to {@code name} really updates: {@code name} itself, or, when it is a symbolic
   * ref, the end of its chain (git and JGit both update through symbolic refs). Logical names in
   * and out.
   *
   * @return the target's logical name; null when the chain leaves the namespace for a ref that is
   *     guarded where it lands (the caller refuses it: its archives are not the namespace's)
   */
  public static String target(Repository repo, String prefix, String name) throws IOException {
    Ref r = repo.getRefDatabase().exactRef(prefix + name);
    if (r == null || !r.isSymbolic()) {
      return name;
    }
    String leaf = r.getLeaf().getName();
    if (leaf.startsWith(prefix)) {
      return leaf.substring(prefix.length());
    }
    return RefNames.isGuarded(leaf) || RefNames.isGuarded(stripNamespaces(leaf)) ? null : leaf;
  }

  /** {@code refs/namespaces/x/refs/namespaces/y/<rest>} → {@code <rest>}. */
  private static String stripNamespaces(String name) {
    String n = name;
    while (n.startsWith("refs/namespaces/")) {
      int slash = n.indexOf('/', "refs/namespaces/".length());
      if (slash < 0) {
        return n;
      }
      n = n.substring(slash + 1);
    }
    return n;
  }

  /** The key of a repository (and namespace) in an {@code ArchiveIndex.Registry}. */
  public static String key(Repository repo, String prefix) {
    return repo.getIdentifier() + (prefix.isEmpty() ? "" : "#" + prefix);
  }

  /** The key of a repository's root namespace in an {@code ArchiveIndex.Registry}. */
  public static String key(Repository repo) {
    return key(repo, "");
  }
}
