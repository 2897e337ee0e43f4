package dev.checkpointguard.convert;

import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * One snapshot of what a conversion reads: {@code /main}, every {@code /full/*} ref, and the v1
 * branch, each with its checkpoint directories (the client's walk, spec §3.2: ID to directory
 * tree). Reads trees only.
 */
final class Sources {
  /**
   * One {@code /full/*} ref: {@code /full/current}, an archive, or any other name under {@code
   * full/} (the upstream script reads those too; the client never writes them, but their content is
   * checkpoints).
   */
  record Generation(String ref, ObjectId tip, ObjectId tree, SortedMap<Long, ObjectId> dirs) {
    String shortName() {
      return RefNames.shortName(ref);
    }
  }

  /**
   * A ref under v2 that is not read: not a commit, or a name outside {@code main} and {@code
   * full/}.
   */
  record Ignored(String ref, String why) {}

  final ObjectId mainTip;
  final ObjectId mainTree;
  final SortedMap<Long, ObjectId> mainDirs;

  /** Sorted by ref name. */
  final List<Generation> generations;

  final ObjectId v1Tip;
  final ObjectId v1Tree;
  final SortedMap<Long, ObjectId> v1Dirs;

  /** Every ref under {@link RefNames#V2_PREFIX} with its value, as read. */
  final Map<String, ObjectId> v2Values;

  final List<Ignored> ignored;

  private Sources(
      ObjectId mainTip,
      ObjectId mainTree,
      SortedMap<Long, ObjectId> mainDirs,
      List<Generation> generations,
      ObjectId v1Tip,
      ObjectId v1Tree,
      SortedMap<Long, ObjectId> v1Dirs,
      Map<String, ObjectId> v2Values,
      List<Ignored> ignored) {
    this.mainTip = mainTip;
    this.mainTree = mainTree;
    this.mainDirs = mainDirs;
    this.generations = generations;
    this.v1Tip = v1Tip;
    this.v1Tree = v1Tree;
    this.v1Dirs = v1Dirs;
    this.v2Values = v2Values;
    this.ignored = ignored;
  }

  /** A v1 branch that is not a commit: conversion cannot build on it. */
  static final class BadV1Exception extends IOException {
    BadV1Exception(String message) {
      super(message);
    }
  }

  static Sources read(Repository repo, ObjectReader reader) throws IOException {
    CheckpointTrees trees = new CheckpointTrees(reader, null);
    ObjectId mainTip = null;
    ObjectId mainTree = null;
    SortedMap<Long, ObjectId> mainDirs = Collections.emptySortedMap();
    List<Generation> generations = new ArrayList<>();
    Map<String, ObjectId> values = new TreeMap<>();
    List<Ignored> ignored = new ArrayList<>();
    ObjectId v1Tip = null;
    ObjectId v1Tree = null;
    SortedMap<Long, ObjectId> v1Dirs = Collections.emptySortedMap();
    try (RevWalk walk = new RevWalk(reader)) {
      for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
        ObjectId id = r.getObjectId();
        if (id == null || r.isSymbolic()) {
          ignored.add(new Ignored(r.getName(), "a symbolic ref"));
          continue;
        }
        values.put(r.getName(), id);
        boolean main = r.getName().equals(RefNames.MAIN);
        if (!main && !r.getName().startsWith(RefNames.FULL_PREFIX)) {
          ignored.add(new Ignored(r.getName(), "a name outside main and full/"));
          continue;
        }
        RevObject o = walk.parseAny(id);
        if (!(o instanceof RevCommit c)) {
          ignored.add(new Ignored(r.getName(), "not a commit"));
          continue;
        }
        ObjectId tree = c.getTree().copy();
        SortedMap<Long, ObjectId> dirs = trees.directories(tree);
        if (main) {
          mainTip = id.copy();
          mainTree = tree;
          mainDirs = dirs;
        } else {
          generations.add(new Generation(r.getName(), id.copy(), tree, dirs));
        }
      }
      Ref v1 = repo.exactRef(RefNames.V1);
      if (v1 != null && v1.getObjectId() != null) {
        RevObject o = walk.parseAny(v1.getObjectId());
        if (!(o instanceof RevCommit c)) {
          throw new BadV1Exception(
              RefNames.V1
                  + " points at a "
                  + org.eclipse.jgit.lib.Constants.typeString(o.getType())
                  + ", not a commit; nothing can be converted onto it");
        }
        v1Tip = c.copy();
        v1Tree = c.getTree().copy();
        v1Dirs = trees.directories(v1Tree);
      }
    }
    generations.sort((a, b) -> a.ref().compareTo(b.ref()));
    return new Sources(
        mainTip,
        mainTree,
        mainDirs,
        List.copyOf(generations),
        v1Tip,
        v1Tree,
        v1Dirs,
        Collections.unmodifiableMap(values),
        List.copyOf(ignored));
  }

  /** Every checkpoint ID in {@code /main} or some {@code /full/*} ref, ascending. */
  long[] scope() {
    java.util.TreeSet<Long> all = new java.util.TreeSet<>(mainDirs.keySet());
    for (Generation g : generations) {
      all.addAll(g.dirs().keySet());
    }
    long[] out = new long[all.size()];
    int i = 0;
    for (long id : all) {
      out[i++] = id;
    }
    return out;
  }
}
