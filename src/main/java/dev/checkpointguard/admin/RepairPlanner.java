package dev.checkpointguard.admin;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointTimes;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.CommitMessages;
import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * Plans a repair from an {@link Analysis}. Pure with respect to the repository: it reads objects
 * and writes nothing (new objects are only computed, see {@link PlannedObjects}).
 *
 * <p>Vocabulary: a <em>fixed</em> archive stays byte-identical (minimal mode: every archive at or
 * above the threshold; full mode: the leading archives that already hold exactly the next
 * checkpoints of the chronological order); every other archive is <em>dissolved</em>. The
 * <em>pool</em> is the set of checkpoints to place: minimal mode, those of dissolved archives; full
 * mode, those of every generation that is not fixed, {@code /full/current} included. A pooled
 * checkpoint found in several generations is merged once: the union of its files, where one path
 * differs the copy of the later generation wins (archives by number, {@code /full/current} last);
 * files a fixed archive already holds identically are not stored again. The pool is ordered as
 * §8.1, cut into full batches of {@code threshold} that become new archives numbered after the
 * highest existing number, and the remainder is written into {@code /full/current}, which is
 * rotated as the client does (§6.2) if it reaches the threshold.
 */
final class RepairPlanner {
  static final PersonIdent DEFAULT_IDENT =
      new PersonIdent("checkpoint-guard repair", "checkpoint-guard@localhost");

  private final Analysis a;
  private final int threshold;
  private final RepairPlan.Mode mode;
  private final PersonIdent who;
  private final RepairPlan plan;
  private final PlannedObjects objs;
  private final Inventory inv;
  private final RevWalk walk;

  /**
   * A checkpoint's content as it will be stored: a directory id (existing or planned) and its
   * sources.
   */
  private record Placed(
      long id, ObjectId dir, List<ObjectId> sources, List<Inventory.Generation> from) {}

  RepairPlanner(Analysis a, int threshold, RepairPlan.Mode mode, PersonIdent who) {
    this.a = a;
    this.inv = a.inv;
    this.threshold = threshold;
    this.mode = mode;
    this.who = who;
    this.objs = new PlannedObjects(a.reader());
    this.plan = new RepairPlan(mode, threshold, objs);
    this.walk = new RevWalk(a.reader());
  }

  RepairPlan plan() throws IOException {
    try {
      return build();
    } finally {
      walk.close();
    }
  }

  private RepairPlan build() throws IOException {
    Set<Inventory.Generation> fixed = fixedArchives();
    List<Inventory.Generation> dissolved = new ArrayList<>();
    for (Inventory.Generation g : inv.archives) {
      if (!fixed.contains(g)) {
        dissolved.add(g);
      }
    }
    Inventory.Generation current = inv.current;

    // Which checkpoints are placed anew.
    CheckpointSet.Builder poolB = new CheckpointSet.Builder();
    for (Inventory.Generation g : dissolved) {
      g.dirs().keySet().forEach(poolB::add);
    }
    if (mode == RepairPlan.Mode.FULL && current != null) {
      current.dirs().keySet().forEach(poolB::add);
    }
    CheckpointSet pool = poolB.build();

    Map<Long, Placed> placed = new HashMap<>();
    for (int i = 0; i < pool.size(); i++) {
      Placed p = merge(pool.get(i), fixed);
      if (p != null) {
        placed.put(p.id(), p);
      }
    }
    CheckpointSet.Builder toPlace = new CheckpointSet.Builder();
    placed.keySet().forEach(toPlace::add);
    long[] order = CheckpointOrder.sort(toPlace.build(), a::createdAt);

    long next = inv.highestNumber() + 1;
    int full = order.length / threshold * threshold;
    for (int start = 0; start < full; start += threshold) {
      Map<Long, Placed> batch = new LinkedHashMap<>();
      for (int i = start; i < start + threshold; i++) {
        batch.put(order[i], placed.get(order[i]));
      }
      newArchive(next++, batch);
    }
    Map<Long, Placed> remainder = new LinkedHashMap<>();
    for (int i = full; i < order.length; i++) {
      remainder.put(order[i], placed.get(order[i]));
    }
    next = current(current, fixed, pool, remainder, next);
    for (Inventory.Generation g : inv.archives) {
      if (fixed.contains(g) && g.file() != Audit.FileState.VALID) {
        repairMetadata(g);
      }
    }
    plan.updates.sort((x, y) -> Integer.compare(rank(x), rank(y)));
    for (Inventory.Generation g : dissolved) {
      plan.updates.add(
          new RepairPlan.Update(
              g.ref(),
              g.tip(),
              ObjectId.zeroId(),
              "delete "
                  + g.shortName()
                  + " ("
                  + g.count()
                  + " checkpoints, "
                  + g.kind().id()
                  + "; its content is stored elsewhere now)"));
      plan.archivesDeleted++;
    }
    for (RepairPlan.Update u : plan.updates) {
      plan.lines.add(u.what());
    }
    if (plan.duplicatesMerged > 0) {
      plan.lines.add(
          "merged "
              + plural(plan.duplicatesMerged)
              + " found in several generations (union of files"
              + (plan.conflictingFiles > 0
                  ? "; "
                      + plan.conflictingFiles
                      + " file(s) differed, the later generation's copy kept"
                  : "")
              + ")");
    }
    return plan;
  }

  /** Creates before updates: new archives, metadata repairs, then /full/current. */
  private static int rank(RepairPlan.Update u) {
    if (u.isCreate()) {
      return 0;
    }
    return RefNames.kind(u.ref()) == RefNames.Kind.CURRENT ? 2 : 1;
  }

  private Set<Inventory.Generation> fixedArchives() {
    Set<Inventory.Generation> fixed = new HashSet<>();
    if (mode == RepairPlan.Mode.MINIMAL) {
      for (Inventory.Generation g : inv.archives) {
        if (g.count() >= threshold) {
          fixed.add(g);
        }
      }
      return fixed;
    }
    CheckpointSet.Builder all = new CheckpointSet.Builder();
    a.where.keySet().forEach(all::add);
    long[] order = CheckpointOrder.sort(all.build(), a::createdAt);
    int pos = 0;
    for (Inventory.Generation g : inv.archives) {
      int n = g.count();
      if (n < threshold || pos + n > order.length) {
        break;
      }
      boolean slice = true;
      for (int i = pos; i < pos + n && slice; i++) {
        slice = g.dirs().containsKey(order[i]) && a.where.get(order[i]).size() == 1;
      }
      if (!slice) {
        break;
      }
      fixed.add(g);
      pos += n;
    }
    return fixed;
  }

  /**
   * The content of pooled checkpoint {@code id} that still needs a place: the union of all its
   * copies (later generation wins per path) minus files a fixed archive already holds identically;
   * null when nothing is left.
   */
  private Placed merge(long id, Set<Inventory.Generation> fixed) throws IOException {
    List<Inventory.Generation> gens =
        a.where.get(id); // ascending rank: archives by number, current last
    List<ObjectId> sources = new ArrayList<>();
    List<ObjectId> fixedCopies = new ArrayList<>();
    for (Inventory.Generation g : gens) {
      ObjectId dir = g.dirs().get(id);
      sources.add(dir);
      if (fixed.contains(g)) {
        fixedCopies.add(dir);
      }
    }
    boolean allSame = sources.stream().distinct().count() == 1;
    if (gens.size() > 1) {
      plan.duplicatesMerged++;
    }
    if (allSame && fixedCopies.isEmpty()) {
      return new Placed(id, sources.get(0), sources, gens);
    }
    if (allSame) {
      return null; // a fixed archive holds exactly this copy
    }
    SortedMap<String, PlannedObjects.Entry> merged = new TreeMap<>();
    for (ObjectId dir : sources) {
      for (Map.Entry<String, PlannedObjects.Entry> f : a.files(dir).entrySet()) {
        PlannedObjects.Entry before = merged.put(f.getKey(), f.getValue());
        if (before != null && !before.equals(f.getValue())) {
          plan.conflictingFiles++;
        }
      }
    }
    for (ObjectId dir : fixedCopies) {
      SortedMap<String, PlannedObjects.Entry> kept = a.files(dir);
      merged.entrySet().removeIf(e -> e.getValue().equals(kept.get(e.getKey())));
    }
    if (merged.isEmpty()) {
      return null;
    }
    return new Placed(id, objs.tree(merged), sources, gens);
  }

  private void newArchive(long number, Map<Long, Placed> batch) throws IOException {
    String ref = RefNames.archive(number);
    Map<String, ObjectId> dirs = new LinkedHashMap<>();
    Map<String, Integer> from = new TreeMap<>();
    for (Placed p : batch.values()) {
      dirs.put(CheckpointIds.path(p.id()), p.dir());
      for (Inventory.Generation g : p.from()) {
        from.merge(g.shortName(), 1, Integer::sum);
      }
    }
    GenerationJson env = envelope(batch.values());
    ObjectId tree =
        objs.editTree(null, dirs, Map.of(GenerationJson.FILE_NAME, objs.blob(env.bytes())));
    ObjectId commit = objs.commit(tree, List.of(), who, CommitMessages.REPAIR_ARCHIVE + ref + "\n");
    plan.updates.add(
        new RepairPlan.Update(
            ref,
            ObjectId.zeroId(),
            commit,
            "create "
                + RefNames.shortName(ref)
                + " with "
                + plural(batch.size())
                + " from "
                + from
                + ", "
                + range(env)));
    plan.archivesCreated++;
    plan.checkpointsMoved += batch.size();
  }

  /**
   * Plans the update of /full/current: drop pooled checkpoints and archived copies, add the
   * remainder, and rotate if it reaches the threshold. Returns the next free archive number.
   */
  private long current(
      Inventory.Generation current,
      Set<Inventory.Generation> fixed,
      CheckpointSet pool,
      Map<Long, Placed> remainder,
      long next)
      throws IOException {
    Map<String, ObjectId> edits = new LinkedHashMap<>();
    Map<Long, Placed> after = new LinkedHashMap<>();
    int droppedCopies = 0;
    if (current != null) {
      for (Map.Entry<Long, ObjectId> e : current.dirs().entrySet()) {
        long id = e.getKey();
        if (pool.contains(id)) {
          edits.put(CheckpointIds.path(id), null);
          continue;
        }
        ObjectId kept = withoutFixedCopies(id, e.getValue(), fixed);
        if (kept == null) {
          edits.put(CheckpointIds.path(id), null);
          droppedCopies++;
        } else {
          if (!kept.equals(e.getValue())) {
            edits.put(CheckpointIds.path(id), kept);
            droppedCopies++;
          }
          after.put(id, new Placed(id, kept, List.of(e.getValue()), List.of(current)));
        }
      }
    }
    for (Placed p : remainder.values()) {
      edits.put(CheckpointIds.path(p.id()), p.dir());
      after.put(p.id(), p);
    }
    plan.checkpointsMoved += remainder.size();
    ObjectId base = current == null ? null : current.tree();
    ObjectId tip = current == null ? null : current.tip();
    ObjectId newTip = tip;
    ObjectId newTree = base;
    if (!edits.isEmpty()) {
      Map<String, ObjectId> root = new HashMap<>();
      root.put(
          GenerationJson.FILE_NAME,
          null); // as the migration's final write (§5.2), never on current
      newTree = objs.editTree(base, edits, root);
      if (!newTree.equals(base)) {
        newTip =
            objs.commit(
                newTree,
                tip == null ? List.of() : List.of(tip),
                who,
                CommitMessages.REPAIR_PARTIAL + "\n");
      }
    }
    String name = RefNames.shortName(RefNames.CURRENT);
    if (after.size() >= threshold) {
      String ref = RefNames.archive(next);
      GenerationJson env = envelope(after.values());
      if (env == null) {
        env = historyEnvelope(List.of(newTip));
      }
      ObjectId archiveTree =
          objs.editTree(
              newTree, Map.of(), Map.of(GenerationJson.FILE_NAME, objs.blob(env.bytes())));
      ObjectId archive =
          objs.commit(archiveTree, List.of(newTip), who, CommitMessages.ARCHIVE_GENERATION);
      ObjectId start =
          objs.commit(CheckpointTrees.EMPTY_TREE, List.of(), who, CommitMessages.START_GENERATION);
      objs.writeTree(new ArrayList<>()); // the empty tree object itself
      plan.updates.add(
          new RepairPlan.Update(
              ref,
              ObjectId.zeroId(),
              archive,
              "rotate "
                  + name
                  + " into "
                  + RefNames.shortName(ref)
                  + " with "
                  + plural(after.size())
                  + " (Archive generation), "
                  + range(env)));
      plan.updates.add(
          new RepairPlan.Update(
              RefNames.CURRENT,
              tip,
              start,
              "reset "
                  + name
                  + " to an empty Start generation ("
                  + describe(remainder.size(), droppedCopies)
                  + ", then rotated)"));
      plan.archivesCreated++;
      return next + 1;
    }
    if (newTip != null && !newTip.equals(tip)) {
      plan.updates.add(
          new RepairPlan.Update(
              RefNames.CURRENT,
              tip == null ? ObjectId.zeroId() : tip,
              newTip,
              (tip == null ? "create " : "fast-forward ")
                  + name
                  + ": "
                  + describe(remainder.size(), droppedCopies)
                  + ", "
                  + plural(after.size())
                  + " after"));
    }
    return next;
  }

  private static String describe(int added, int dropped) {
    return "add " + plural(added) + ", drop archived copies of " + plural(dropped);
  }

  /** {@code dir} minus files a fixed archive holds identically; null when nothing is left. */
  private ObjectId withoutFixedCopies(long id, ObjectId dir, Set<Inventory.Generation> fixed)
      throws IOException {
    List<ObjectId> fixedCopies = new ArrayList<>();
    for (Inventory.Generation g : a.where.get(id)) {
      if (fixed.contains(g)) {
        fixedCopies.add(g.dirs().get(id));
      }
    }
    if (fixedCopies.isEmpty()) {
      return dir;
    }
    if (fixedCopies.contains(dir)) {
      return null;
    }
    SortedMap<String, PlannedObjects.Entry> mine = new TreeMap<>(a.files(dir));
    int before = mine.size();
    for (ObjectId f : fixedCopies) {
      SortedMap<String, PlannedObjects.Entry> kept = a.files(f);
      mine.entrySet().removeIf(e -> e.getValue().equals(kept.get(e.getKey())));
    }
    if (mine.isEmpty()) {
      return null;
    }
    return mine.size() == before ? dir : objs.tree(mine);
  }

  private void repairMetadata(Inventory.Generation g) throws IOException {
    GenerationJson env = a.envelope(g.dirs());
    if (env == null) {
      env = historyEnvelope(List.of(g.tip()));
    }
    ObjectId tree =
        objs.editTree(g.tree(), Map.of(), Map.of(GenerationJson.FILE_NAME, objs.blob(env.bytes())));
    ObjectId commit =
        objs.commit(
            tree,
            List.of(g.tip()),
            who,
            CommitMessages.REPAIR_METADATA
                + String.format(Locale.ROOT, "%013d", g.number())
                + "\n");
    plan.updates.add(
        new RepairPlan.Update(
            g.ref(),
            g.tip(),
            commit,
            "fast-forward "
                + g.shortName()
                + ": write generation.json (was "
                + g.file().id()
                + "), "
                + range(env)));
    plan.metadataRepaired++;
  }

  /**
   * The §5.2 envelope of placed checkpoints: /main {@code created_at} ranges, else transcript
   * ranges of their source copies; if some checkpoint yields nothing, the commit times of the
   * source generations (the client's history fallback).
   */
  private GenerationJson envelope(Iterable<Placed> placed) throws IOException {
    GenerationJson env = null;
    List<ObjectId> tips = new ArrayList<>();
    boolean complete = true;
    for (Placed p : placed) {
      CheckpointTimes.Times t = a.times.get(p.id());
      GenerationJson r = t == null ? null : t.range();
      if (r == null) {
        CheckpointTimes reader = new CheckpointTimes(a.reader());
        for (ObjectId src : p.sources()) {
          GenerationJson s = reader.fromTranscripts(src);
          r = r == null ? s : s == null ? r : r.merge(s);
        }
      }
      if (r == null) {
        complete = false;
        p.from().forEach(g -> tips.add(g.tip()));
      } else {
        env = env == null ? r : env.merge(r);
      }
    }
    if (!complete || env == null) {
      return historyEnvelope(
          tips); // as the client: one checkpoint without times means history for all
    }
    return env;
  }

  /**
   * Commit-history fallback (§5.2 step 2): oldest = committer time of the first-parent root, newest
   * = committer time of the tip, over the given tips; "now" if there are none.
   */
  private GenerationJson historyEnvelope(List<ObjectId> tips) throws IOException {
    GenerationJson env = null;
    for (ObjectId tip : tips) {
      if (tip == null || !a.reader().has(tip)) {
        continue;
      }
      RevCommit c = walk.parseCommit(tip);
      Instant newest = c.getCommitterIdent().getWhenAsInstant();
      RevCommit root = c;
      for (int i = 0; i < 1000 && root.getParentCount() > 0; i++) {
        root = walk.parseCommit(root.getParent(0));
      }
      Instant oldest = root.getCommitterIdent().getWhenAsInstant();
      GenerationJson g =
          oldest.isAfter(newest) ? GenerationJson.at(newest) : new GenerationJson(oldest, newest);
      env = env == null ? g : env.merge(g);
    }
    return env != null ? env : GenerationJson.at(who.getWhenAsInstant());
  }

  private static String range(GenerationJson g) {
    return "generation.json "
        + GenerationJson.formatTime(g.oldest())
        + " .. "
        + GenerationJson.formatTime(g.newest());
  }

  private static String plural(int n) {
    return n + (n == 1 ? " checkpoint" : " checkpoints");
  }
}
