package dev.checkpointguard.reliability;

import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.Loss;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.ReflogEntry;
import org.eclipse.jgit.lib.ReflogReader;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * What a server repository holds, read fresh from disk after a run: the checkpoints of every
 * generation, of {@code /main}, leftover lock files, and the loss check of every non-fast-forward
 * update of {@code /full/current} recorded in its reflog.
 */
final class ServerState {
  final Map<String, ObjectId> v2Refs = new TreeMap<>();

  /** Union of the checkpoints of every archive. */
  final CheckpointSet archived;

  /** Union over every generation: archives and {@code /full/current}. */
  final CheckpointSet full;

  final CheckpointSet main;

  /** Updates of {@code /full/current} that were not fast-forwards, from the reflog. */
  final List<Reset> resets = new ArrayList<>();

  /** Lock files left under {@code refs/} and {@code packed-refs.lock}. */
  final List<Path> locks;

  /**
   * Lock files left in {@code objects/pack/} ({@code pack-<id>.keep.lock} of a receive killed while
   * it locked its pack): serve removes them when a push meets them.
   */
  final List<Path> packLocks;

  /** One non-fast-forward move of {@code /full/current} and what it dropped from the generation. */
  /**
   * A non-fast-forward move of /full/current in the reflog.
   *
   * @param dropped the checkpoints it dropped
   * @param unarchived the raw transcripts it dropped that no archive on the server holds now (spec
   *     §10.2 a units), as {@code <id>/<session>/<file>}; empty when nothing was lost
   */
  record Reset(ObjectId from, ObjectId to, CheckpointSet dropped, List<String> unarchived) {}

  ServerState(Path gitDir) throws IOException {
    try (Repository repo =
            new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build();
        ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      CheckpointTrees trees = new CheckpointTrees(reader, CheckpointSetCache.NONE);
      CheckpointSet a = CheckpointSet.empty();
      CheckpointSet m = CheckpointSet.empty();
      CheckpointSet cur = CheckpointSet.empty();
      for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
        v2Refs.put(r.getName(), r.getObjectId());
        CheckpointSet s = trees.checkpoints(walk.parseCommit(r.getObjectId()).getTree());
        if (RefNames.isArchive(r.getName())) {
          a = a.union(s);
        } else if (r.getName().equals(RefNames.CURRENT)) {
          cur = s;
        } else if (r.getName().equals(RefNames.MAIN)) {
          m = s;
        }
      }
      archived = a;
      full = a.union(cur);
      main = m;
      List<ObjectId> archiveTrees = new ArrayList<>();
      for (Map.Entry<String, ObjectId> e : v2Refs.entrySet()) {
        if (RefNames.isArchive(e.getKey())) {
          archiveTrees.add(walk.parseCommit(e.getValue()).getTree().copy());
        }
      }
      ReflogReader log = repo.getRefDatabase().getReflogReader(RefNames.CURRENT);
      if (log != null) {
        for (ReflogEntry e : log.getReverseEntries()) {
          ObjectId from = e.getOldId();
          ObjectId to = e.getNewId();
          if (from.equals(ObjectId.zeroId()) || to.equals(ObjectId.zeroId())) {
            continue;
          }
          RevCommit f = walk.parseCommit(from);
          RevCommit t = walk.parseCommit(to);
          if (!walk.isMergedInto(f, t)) {
            Loss lost = trees.loss(f.getTree(), t.getTree());
            for (ObjectId archive : archiveTrees) {
              trees.cover(lost, archive);
            }
            trees.expand(lost);
            resets.add(
                new Reset(
                    from,
                    to,
                    trees.removed(f.getTree(), t.getTree()),
                    lost.examples(Integer.MAX_VALUE)));
          }
          walk.reset();
        }
      }
    }
    List<Path> found = new ArrayList<>();
    try (Stream<Path> s = Files.walk(gitDir.resolve("refs"))) {
      s.filter(p -> p.getFileName().toString().endsWith(".lock")).forEach(found::add);
    }
    if (Files.exists(gitDir.resolve("packed-refs.lock"))) {
      found.add(gitDir.resolve("packed-refs.lock"));
    }
    locks = found;
    List<Path> inPack = new ArrayList<>();
    if (Files.isDirectory(gitDir.resolve("objects/pack"))) {
      try (Stream<Path> s = Files.list(gitDir.resolve("objects/pack"))) {
        s.filter(p -> p.getFileName().toString().endsWith(".lock")).forEach(inPack::add);
      }
    }
    packLocks = inPack;
  }
}
