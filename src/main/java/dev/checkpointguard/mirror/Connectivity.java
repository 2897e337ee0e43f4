package dev.checkpointguard.mirror;

import java.io.IOException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevTag;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Checks that what a fetch brought is complete before any ref points at it, at a cost that follows
 * what changed rather than the size of the repository (as git's index-pack and sparse reachability
 * do).
 *
 * <p>The mirror's existing refs are taken as complete. Every new commit (reachable from a fetched
 * tip and not from an existing ref) must be readable, and so must its tree, compared path by path
 * with a parent's tree: an entry whose id the parent has at the same path is known present; a new
 * subtree is compared the same way with the parent's subtree; a new blob must exist. So a rotation
 * checks the new archive's new shards and the new {@code /main} shards, not the 100,000 checkpoints
 * that did not change.
 */
final class Connectivity {
  private final ObjectReader reader;
  private final Set<ObjectId> verified = new HashSet<>();

  private Connectivity(ObjectReader reader) {
    this.reader = reader;
  }

  /**
   * Throws {@link MissingObjectException} naming the first object missing below {@code tips}.
   *
   * @param tips the fetched values (commits, tags, trees or blobs)
   * @param complete the mirror's existing ref values, taken as complete
   */
  static void check(ObjectReader reader, Collection<ObjectId> tips, Collection<ObjectId> complete)
      throws IOException {
    new Connectivity(reader).run(tips, complete);
  }

  private void run(Collection<ObjectId> tips, Collection<ObjectId> complete) throws IOException {
    try (RevWalk rw = new RevWalk(reader)) {
      boolean commits = false;
      for (ObjectId tip : tips) {
        RevObject o = rw.parseAny(tip);
        while (o instanceof RevTag tag) {
          o = rw.parseAny(tag.getObject()); // the tagged object must exist
        }
        if (o instanceof RevCommit c) {
          rw.markStart(c);
          commits = true;
        } else if (o instanceof RevTree t) {
          tree(t, null);
        }
        // a blob: parseAny found it
      }
      if (!commits) {
        return;
      }
      for (ObjectId id : complete) {
        try {
          RevObject o = rw.parseAny(id);
          while (o instanceof RevTag tag) {
            o = rw.parseAny(tag.getObject());
          }
          if (o instanceof RevCommit c) {
            rw.markUninteresting(c);
          }
        } catch (MissingObjectException | IncorrectObjectTypeException e) {
          // a broken ref of the mirror's own does not excuse the upstream's objects
        }
      }
      for (RevCommit c; (c = rw.next()) != null; ) {
        // a parent is either an existing commit (complete) or a new one (checked when the walk gets
        // to it)
        RevTree base = null;
        if (c.getParentCount() > 0) {
          RevCommit p = c.getParent(0);
          rw.parseHeaders(p);
          base = p.getTree();
        }
        tree(c.getTree(), base);
      }
    }
  }

  /** Checks {@code tree} against {@code base} (null: nothing known). */
  private void tree(AnyObjectId tree, AnyObjectId base) throws IOException {
    if (tree.equals(base) || verified.contains(tree.toObjectId())) {
      return;
    }
    Map<String, Entry> known = new HashMap<>();
    if (base != null) {
      CanonicalTreeParser b = new CanonicalTreeParser(null, reader, base);
      for (; !b.eof(); b.next()) {
        known.put(b.getEntryPathString(), new Entry(b.getEntryFileMode(), b.getEntryObjectId()));
      }
    }
    CanonicalTreeParser p = new CanonicalTreeParser(null, reader, tree);
    for (; !p.eof(); p.next()) {
      ObjectId id = p.getEntryObjectId();
      FileMode mode = p.getEntryFileMode();
      Entry k = known.get(p.getEntryPathString());
      if (k != null && k.id().equals(id)) {
        continue;
      }
      if (mode.getObjectType() == Constants.OBJ_TREE) {
        tree(id, k != null && k.mode().getObjectType() == Constants.OBJ_TREE ? k.id() : null);
      } else if (mode.getObjectType() == Constants.OBJ_BLOB
          && !reader.has(id, Constants.OBJ_BLOB)) {
        throw new MissingObjectException(id, Constants.OBJ_BLOB);
      }
      // gitlinks name commits of other repositories
    }
    verified.add(tree.toObjectId());
  }

  private record Entry(FileMode mode, ObjectId id) {}
}
