package dev.checkpointguard.admin;

import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.treewalk.TreeWalk;

/**
 * A snapshot of a repository's v2 refs as {@code check} and {@code repair} see them: {@code /main},
 * every generation ({@code /full/current} and the archives, ascending by number) with its
 * checkpoint directories and {@code generation.json}, unknown names under v2, and the backups of
 * earlier repairs.
 *
 * <p>Reads trees only (and the small {@code generation.json} blobs); never transcripts.
 */
final class Inventory {
  /**
   * One generation.
   *
   * @param ref full ref name
   * @param number archive number, or -1 for {@code /full/current}
   * @param tip the ref's value
   * @param tree the tip commit's tree
   * @param kind what wrote the tip
   * @param dirs checkpoint ID to directory tree id (spec §3.2 walk)
   * @param file {@code generation.json} state at the tree root
   * @param fileValue the decoded file when {@code VALID}
   * @param fileProblem why it is invalid, when {@code INVALID}
   */
  record Generation(
      String ref,
      long number,
      ObjectId tip,
      ObjectId tree,
      TipKind kind,
      SortedMap<Long, ObjectId> dirs,
      Audit.FileState file,
      GenerationJson fileValue,
      String fileProblem) {
    boolean isCurrent() {
      return number < 0;
    }

    CheckpointSet checkpoints() {
      CheckpointSet.Builder b = new CheckpointSet.Builder();
      dirs.keySet().forEach(b::add);
      return b.build();
    }

    int count() {
      return dirs.size();
    }

    String shortName() {
      return RefNames.shortName(ref);
    }
  }

  /** A v2 ref that is not a commit, or a name no client produces. */
  record Odd(String ref, ObjectId id, String why) {}

  final ObjectId mainTip;
  final ObjectId mainTree;
  final Generation current;
  final List<Generation> archives;
  final List<Odd> odd;

  /** backup timestamp → (original ref → value), from {@code refs/checkpoint-guard/backup/}. */
  final SortedMap<String, SortedMap<String, ObjectId>> backups;

  /** Every v2 ref's value at read time, for compare-and-set. */
  final Map<String, ObjectId> values;

  private Inventory(
      ObjectId mainTip,
      ObjectId mainTree,
      Generation current,
      List<Generation> archives,
      List<Odd> odd,
      SortedMap<String, SortedMap<String, ObjectId>> backups,
      Map<String, ObjectId> values) {
    this.mainTip = mainTip;
    this.mainTree = mainTree;
    this.current = current;
    this.archives = archives;
    this.odd = odd;
    this.backups = backups;
    this.values = values;
  }

  /** All generations: archives ascending by number, then {@code /full/current} if present. */
  List<Generation> generations() {
    List<Generation> all = new ArrayList<>(archives);
    if (current != null) {
      all.add(current);
    }
    return all;
  }

  /** The highest archive number in use, by any ref with an archive name (0 when none). */
  long highestNumber() {
    long max = 0;
    for (String ref : values.keySet()) {
      max = Math.max(max, RefNames.archiveNumber(ref));
    }
    return max;
  }

  static Inventory read(Repository repo, ObjectReader reader) throws IOException {
    CheckpointTrees trees = new CheckpointTrees(reader, null);
    ObjectId mainTip = null;
    ObjectId mainTree = null;
    Generation current = null;
    List<Generation> archives = new ArrayList<>();
    List<Odd> odd = new ArrayList<>();
    Map<String, ObjectId> values = new LinkedHashMap<>();
    try (RevWalk walk = new RevWalk(reader)) {
      for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
        ObjectId id = r.getObjectId();
        if (id == null) {
          odd.add(new Odd(r.getName(), ObjectId.zeroId(), "symbolic ref"));
          continue;
        }
        values.put(r.getName(), id);
        RefNames.Kind kind = RefNames.kind(r.getName());
        if (kind == RefNames.Kind.UNKNOWN_V2) {
          odd.add(new Odd(r.getName(), id, "a name no client produces"));
          continue;
        }
        RevObject o = walk.parseAny(id);
        if (!(o instanceof RevCommit c)) {
          odd.add(new Odd(r.getName(), id, "not a commit"));
          continue;
        }
        walk.parseBody(c);
        if (kind == RefNames.Kind.MAIN) {
          mainTip = id;
          mainTree = c.getTree().copy();
          continue;
        }
        Generation g = generation(r.getName(), kind == RefNames.Kind.ARCHIVE, c, reader, trees);
        if (kind == RefNames.Kind.CURRENT) {
          current = g;
        } else {
          archives.add(g);
        }
      }
    }
    archives.sort((a, b) -> Long.compare(a.number(), b.number()));
    SortedMap<String, SortedMap<String, ObjectId>> backups = new TreeMap<>();
    for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.BACKUP_PREFIX)) {
      String rest = r.getName().substring(RefNames.BACKUP_PREFIX.length());
      int slash = rest.indexOf('/');
      if (slash > 0 && r.getObjectId() != null) {
        backups
            .computeIfAbsent(rest.substring(0, slash), k -> new TreeMap<>())
            .put(rest.substring(slash + 1), r.getObjectId());
      }
    }
    return new Inventory(
        mainTip, mainTree, current, Collections.unmodifiableList(archives), odd, backups, values);
  }

  private static Generation generation(
      String ref, boolean archive, RevCommit c, ObjectReader reader, CheckpointTrees trees)
      throws IOException {
    ObjectId tree = c.getTree().copy();
    Audit.FileState state = Audit.FileState.MISSING;
    GenerationJson value = null;
    String problem = null;
    try (TreeWalk tw = TreeWalk.forPath(reader, GenerationJson.FILE_NAME, tree)) {
      if (tw != null) {
        if (!FileMode.REGULAR_FILE.equals(tw.getRawMode(0))
            && !FileMode.EXECUTABLE_FILE.equals(tw.getRawMode(0))) {
          state = Audit.FileState.INVALID;
          problem = "not a regular file";
        } else {
          // getCachedBytes(limit) enforces its limit only on objects above core.streamFileThreshold
          // (50 MiB), so the size is checked first: a hostile 40 MiB file must not be read and
          // parsed
          if (reader.getObjectSize(tw.getObjectId(0), Constants.OBJ_BLOB) > 1 << 20) {
            throw new org.eclipse.jgit.errors.LargeObjectException.ExceedsLimit(
                1 << 20, reader.getObjectSize(tw.getObjectId(0), Constants.OBJ_BLOB));
          }
          byte[] bytes = reader.open(tw.getObjectId(0), Constants.OBJ_BLOB).getCachedBytes(1 << 20);
          try {
            value = GenerationJson.decode(bytes);
            state = Audit.FileState.VALID;
          } catch (IllegalArgumentException e) {
            state = Audit.FileState.INVALID;
            problem = e.getMessage();
          }
          if (bytes.length == 0) {
            problem = "empty file";
          }
        }
      }
    } catch (org.eclipse.jgit.errors.LargeObjectException e) {
      state = Audit.FileState.INVALID;
      problem = "larger than 1 MiB";
    }
    return new Generation(
        ref,
        archive ? RefNames.archiveNumber(ref) : -1,
        c.copy(),
        tree,
        TipKind.of(c, archive),
        Collections.unmodifiableSortedMap(trees.directories(tree)),
        state,
        value,
        problem);
  }
}
