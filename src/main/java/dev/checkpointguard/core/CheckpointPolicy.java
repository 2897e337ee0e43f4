package dev.checkpointguard.core;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevTag;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The policy core: from the proposed commands of one push, the server's archived generations and an object
 * reader, one {@link Verdict} per command (spec §10). It reads objects and nothing else: nothing is
 * written, nothing is logged, and the server's refs are listed only when a {@code /full/current} update
 * drops checkpoints that neither this push's archives nor the {@link ServerRefs#index() archive index}
 * account for. So a push's cost follows what it sends, not how many archives the server holds.
 *
 * <p>Commands of one push depend on each other only through coverage: a {@code /full/current} update that
 * drops checkpoints is judged against the <em>post-push</em> archives (the server's, minus deletions and
 * plus creates and updates that this push has accepted). Archives are therefore judged first and
 * {@code /full/current} last, whatever order the client sent them in.
 *
 * <p>Instances are immutable and thread-safe; {@link #evaluate} may run concurrently for different pushes.
 */
public final class CheckpointPolicy {
  /**
   * How many commits the ancestry fast path walks back from an archive tip, as the client's own coverage
   * gate does ({@code MaxCommitTraversalDepth}).
   */
  public static final int ANCESTRY_DEPTH = 1000;

  /**
   * How many archives already on the server the ancestry fast path tries (the highest numbers, which the
   * latest rotations produce). Every archive is still consulted by the content rule, which is the real
   * requirement; this bound keeps the walks' cost independent of the number of archives.
   */
  public static final int ANCESTRY_CANDIDATES = 8;

  private final GuardSettings settings;
  private final CheckpointSetCache cache;
  private final int maxCheckpoints;

  public CheckpointPolicy(GuardSettings settings) {
    this(settings, CheckpointSetCache.NONE);
  }

  /** {@code cache} memoises tree reads across pushes; it may be shared by many policies and threads. */
  public CheckpointPolicy(GuardSettings settings, CheckpointSetCache cache) {
    this(settings, cache, CheckpointTrees.MAX_CHECKPOINTS);
  }

  /**
   * As {@link #CheckpointPolicy(GuardSettings, CheckpointSetCache)}, with another bound on the
   * checkpoints read from one tree (tests; {@link Rule#TOO_MANY_CHECKPOINTS} beyond it).
   */
  CheckpointPolicy(GuardSettings settings, CheckpointSetCache cache, int maxCheckpoints) {
    this.settings = settings;
    this.cache = cache == null ? CheckpointSetCache.NONE : cache;
    this.maxCheckpoints = maxCheckpoints;
  }

  public GuardSettings settings() {
    return settings;
  }

  /**
   * Judges one push.
   *
   * @param changes the commands still to be decided, in the client's order
   * @param server the archives on the server before the push
   * @param reader reads the objects of the repository, including those of the push; not closed here
   * @return one verdict per command, in the same order
   */
  public List<Verdict> evaluate(List<RefChange> changes, ServerRefs server, ObjectReader reader) {
    try (RevWalk walk = new RevWalk(reader)) {
      return new Evaluation(walk, new CheckpointTrees(reader, cache, maxCheckpoints), server).run(changes);
    }
  }

  /**
   * Verdicts for a push into a repository whose settings cannot be read: every guarded ref is refused
   * (fail closed), every other ref is left alone.
   */
  public static List<Verdict> refuseGuarded(List<RefChange> changes, String problem) {
    List<Verdict> out = new ArrayList<>(changes.size());
    for (RefChange c : changes) {
      out.add(
          RefNames.isGuarded(c.ref())
              ? new Verdict(
                  c,
                  Verdict.Outcome.REJECT,
                  Rule.INVALID_SETTINGS,
                  Messages.invalidSettings(c.ref(), problem),
                  null)
              : Verdict.notGuarded(c));
    }
    return out;
  }

  /**
   * Verdicts for a push the guard could not judge at all (e.g. the repository's config cannot be parsed):
   * every guarded ref is refused with {@link Rule#INTERNAL_ERROR} and {@code cause}, every other ref is
   * left alone. Fail closed, whatever the mode: the mode itself may be what could not be read.
   */
  public static List<Verdict> internalErrors(List<RefChange> changes, Throwable cause) {
    List<Verdict> out = new ArrayList<>(changes.size());
    for (RefChange c : changes) {
      out.add(
          RefNames.isGuarded(c.ref())
              ? new Verdict(
                  c, Verdict.Outcome.REJECT, Rule.INTERNAL_ERROR, Messages.internalError(c.ref()), cause)
              : Verdict.notGuarded(c));
    }
    return out;
  }

  /** The state of one evaluation. Not thread-safe; lives for one push. */
  private final class Evaluation {
    private final RevWalk walk;
    private final CheckpointTrees trees;
    private final ServerRefs server;

    Evaluation(RevWalk walk, CheckpointTrees trees, ServerRefs server) {
      this.walk = walk;
      this.trees = trees;
      this.server = server;
    }

    List<Verdict> run(List<RefChange> changes) {
      Verdict[] out = new Verdict[changes.size()];
      List<Integer> current = new ArrayList<>(1);
      for (int i = 0; i < out.length; i++) {
        RefChange c = changes.get(i);
        RefNames.Kind kind = RefNames.kind(c.ref());
        if (kind == RefNames.Kind.UNGUARDED) {
          out[i] = Verdict.notGuarded(c);
        } else if (kind == RefNames.Kind.CURRENT) {
          current.add(i); // needs the verdicts on this push's archives first
        } else {
          out[i] = judge(kind, c, out);
        }
      }
      for (int i : current) {
        out[i] = judge(RefNames.Kind.CURRENT, changes.get(i), out);
      }
      return List.of(out);
    }

    private Verdict judge(RefNames.Kind kind, RefChange c, Verdict[] decided) {
      Verdict v;
      try {
        v = decide(kind, c, decided);
      } catch (CheckpointTrees.TooManyCheckpointsException e) {
        v = reject(c, Rule.TOO_MANY_CHECKPOINTS, Messages.tooManyCheckpoints(c.ref(), e.limit()));
      } catch (IOException | RuntimeException e) {
        v = new Verdict(c, Verdict.Outcome.REJECT, Rule.INTERNAL_ERROR, Messages.internalError(c.ref()), e);
      }
      if (v.outcome() == Verdict.Outcome.REJECT
          && settings.mode() == GuardSettings.Mode.WARN
          && v.rule().warnable()) {
        v = new Verdict(c, Verdict.Outcome.WARN, v.rule(), Messages.warning(v.message()), v.cause());
      }
      return v;
    }

    private Verdict decide(RefNames.Kind kind, RefChange c, Verdict[] decided) throws IOException {
      if (kind == RefNames.Kind.UNKNOWN_V2) {
        return reject(c, Rule.UNKNOWN_REF, Messages.unknownRef(c.ref()));
      }
      if (kind == RefNames.Kind.GUARD) {
        return reject(c, Rule.GUARD_REF, Messages.guardRef(c.ref()));
      }
      if (settings.v2() == GuardSettings.V2State.RETIRED && !c.isDelete()) {
        return reject(c, Rule.V2_RETIRED, Messages.v2Retired(c.ref()));
      }
      RevCommit next = null;
      if (!c.isDelete()) {
        RevObject o;
        try {
          o = walk.parseAny(c.newId());
        } catch (MissingObjectException e) {
          return reject(c, Rule.MISSING_OBJECT, Messages.missingObject(c.ref(), c.newId().name()));
        }
        if (!(o instanceof RevCommit commit)) {
          return reject(
              c,
              Rule.NOT_A_COMMIT,
              Messages.notACommit(c.ref(), c.newId().name(), Constants.typeString(o.getType())));
        }
        next = commit;
        walk.parseHeaders(next);
      }
      switch (kind) {
        case MAIN:
          return main(c, next);
        case ARCHIVE:
          return archive(c, next);
        case CURRENT:
          return current(c, next, decided);
        default:
          throw new IllegalStateException("unexpected kind " + kind);
      }
    }

    private Verdict main(RefChange c, RevCommit next) throws IOException {
      if (c.isDelete()) {
        return reject(c, Rule.MAIN_DELETE, Messages.mainDelete(c.ref()));
      }
      if (c.isCreate() || isFastForward(c.oldId(), next)) {
        return Verdict.accept(c);
      }
      return reject(c, Rule.MAIN_HISTORY, Messages.mainHistory(c.ref()));
    }

    private Verdict archive(RefChange c, RevCommit next) throws IOException {
      if (c.isDelete()) {
        if (!settings.allowArchiveDeletion()) {
          return reject(c, Rule.ARCHIVE_DELETE, Messages.archiveDelete(c.ref()));
        }
        if (settings.v2() == GuardSettings.V2State.FROZEN) {
          return reject(c, Rule.V2_FROZEN, Messages.v2Frozen(c.ref()));
        }
        return Verdict.accept(c);
      }
      if (c.isCreate()) {
        // One bounded, memoised read: the count, and the cap on what a later push may have to read.
        int count = trees.count(next.getTree());
        if (count < settings.threshold() && !prunedFromFullArchive(next)) {
          return reject(
              c,
              Rule.ARCHIVE_THRESHOLD,
              Messages.archiveThreshold(c.ref(), count, settings.threshold()));
        }
        return Verdict.accept(c);
      }
      if (!isFastForward(c.oldId(), next)) {
        return reject(c, Rule.ARCHIVE_HISTORY, Messages.archiveHistory(c.ref()));
      }
      CheckpointSet lost = trees.removed(treeOf(c.oldId()), next.getTree());
      return lost.isEmpty()
          ? Verdict.accept(c)
          : reject(c, Rule.ARCHIVE_LOSS, Messages.archiveLoss(c.ref(), lost));
    }

    /**
     * The one legitimate under-threshold create (spec §10.2 b): {@code migrate --force} prunes checkpoints
     * from every local archive, including a pending one not yet pushed, and re-packs them elsewhere. Its
     * first-parent history is then force-migration prunes (and finalizes) down to an archive commit that
     * held at least the threshold: {@code Archive generation} (one parent) or
     * {@code Archive migrated generation: <ref>} (orphan). A {@code v0.6.0} bug archive never held that
     * many, so it stays rejected. Refusing the pruned archive would stall a {@code v0.6.2} client for good
     * (§10.3): it publishes archives before anything else and keeps retrying the same one.
     */
    private boolean prunedFromFullArchive(RevCommit tip) throws IOException {
      RevCommit commit = tip;
      boolean pruned = false;
      for (int steps = 0; steps < ANCESTRY_DEPTH; steps++) {
        walk.parseBody(commit);
        String message = commit.getFullMessage();
        if (commit.getParentCount() == 1
            && (message.startsWith(CommitMessages.FORCE_PRUNE)
                || message.startsWith(CommitMessages.FINALIZE))) {
          pruned |= message.startsWith(CommitMessages.FORCE_PRUNE);
          commit = commit.getParent(0);
          continue;
        }
        boolean archiveCommit =
            (commit.getParentCount() == 1
                    && CommitMessages.subject(message).equals(CommitMessages.ARCHIVE_GENERATION))
                || (commit.getParentCount() == 0 && message.startsWith(CommitMessages.ARCHIVE_MIGRATED));
        return pruned
            && archiveCommit
            && trees.count(commit.getTree()) >= settings.threshold();
      }
      return false;
    }

    private Verdict current(RefChange c, RevCommit next, Verdict[] decided) throws IOException {
      if (c.isDelete()) {
        return reject(c, Rule.CURRENT_DELETE, Messages.currentDelete(c.ref()));
      }
      if (c.isCreate()) {
        trees.checkpoints(next.getTree()); // no generation above the bound gets in (later pushes read it)
        return Verdict.accept(c);
      }
      CheckpointSet lost = trees.removed(treeOf(c.oldId()), next.getTree());
      if (lost.isEmpty()) {
        return Verdict.accept(c); // appends and merges
      }
      // The rule: accepted when the old tip is in the history of this push's archives or of the newest
      // server archives (fast path), or when every lost checkpoint is in some post-push archive (content).
      // The steps below try the cheap, sufficient parts first; only the last one lists the server's refs,
      // and it alone decides a rejection, with the full rule.
      PushArchives mine = pushArchives(decided);
      for (ObjectId tip : mine.tips.values()) {
        if (isAncestorOrSelf(c.oldId(), tip)) {
          return Verdict.accept(c);
        }
      }
      CheckpointSet uncovered = lost;
      for (ObjectId tip : mine.tips.values()) {
        uncovered = uncovered.minus(trees.checkpoints(treeOf(tip)));
        if (uncovered.isEmpty()) {
          return Verdict.accept(c);
        }
      }
      ArchiveIndex index = server.index();
      uncovered = uncovered.minus(confirmedInIndex(uncovered, index, mine.touched));
      if (uncovered.isEmpty()) {
        return Verdict.accept(c);
      }
      Map<String, ObjectId> onServer = new LinkedHashMap<>(server.archives());
      index.retainOnly(onServer.keySet());
      onServer.keySet().removeAll(mine.touched);
      for (ObjectId tip : newest(onServer, ANCESTRY_CANDIDATES)) {
        if (isAncestorOrSelf(c.oldId(), tip)) {
          return Verdict.accept(c);
        }
      }
      uncovered = uncovered.minus(listedInIndex(uncovered, index, onServer));
      for (Map.Entry<String, ObjectId> e : newestFirst(onServer)) {
        if (uncovered.isEmpty()) {
          break;
        }
        if (index.has(e.getKey(), e.getValue())) {
          continue; // already subtracted above
        }
        CheckpointSet held = trees.checkpoints(treeOf(e.getValue()));
        index.put(e.getKey(), e.getValue(), held);
        uncovered = uncovered.minus(held);
      }
      if (uncovered.isEmpty()) {
        return Verdict.accept(c);
      }
      boolean ff = isFastForward(c.oldId(), next);
      return reject(
          c, Rule.CURRENT_LOSS, Messages.currentLoss(c.ref(), ff, uncovered, mine.rejectedCreates));
    }

    /**
     * The checkpoints of {@code ids} that the index places in a server archive which this push leaves
     * alone and which still points at the tip the index saw (asked per archive, without a listing).
     */
    private CheckpointSet confirmedInIndex(CheckpointSet ids, ArchiveIndex index, Set<String> touched)
        throws IOException {
      CheckpointSet.Builder covered = new CheckpointSet.Builder();
      Map<String, ObjectId> now = new HashMap<>();
      for (ArchiveIndex.Holder h : index.holders(ids)) {
        if (touched.contains(h.ref())) {
          continue;
        }
        ObjectId tip = now.get(h.ref());
        if (tip == null && !now.containsKey(h.ref())) {
          tip = server.archive(h.ref());
          now.put(h.ref(), tip);
        }
        if (h.tip().equals(tip)) {
          covered.add(h.id());
        }
      }
      return covered.build();
    }

    /** The checkpoints of {@code ids} that the index places in a listed archive at its listed tip. */
    private CheckpointSet listedInIndex(
        CheckpointSet ids, ArchiveIndex index, Map<String, ObjectId> listed) {
      CheckpointSet.Builder covered = new CheckpointSet.Builder();
      for (ArchiveIndex.Holder h : index.holders(ids)) {
        if (h.tip().equals(listed.get(h.ref()))) {
          covered.add(h.id());
        }
      }
      return covered.build();
    }

    /** This push's archive commands, as the post-push state sees them. */
    private final class PushArchives {
      /** Accepted creates and updates, ascending number: a multi-rotation reset is covered by the oldest. */
      final Map<String, ObjectId> tips = new LinkedHashMap<>();
      /** Archives whose server value this push replaces or deletes (accepted commands only). */
      final Set<String> touched = new HashSet<>();
      /** Creates this push rejected, named in a rejection so the pusher sees the cause. */
      final List<String> rejectedCreates = new ArrayList<>();
    }

    private PushArchives pushArchives(Verdict[] decided) {
      PushArchives out = new PushArchives();
      List<Verdict> mine = new ArrayList<>();
      for (Verdict v : decided) {
        if (v == null || !RefNames.isArchive(v.ref())) {
          continue;
        }
        if (!v.accepted()) {
          if (v.change().isCreate()) {
            out.rejectedCreates.add(v.ref());
          }
          continue;
        }
        out.touched.add(v.ref());
        if (!v.change().isDelete()) {
          mine.add(v);
        }
      }
      mine.sort(Comparator.comparingLong(v -> RefNames.archiveNumber(v.ref())));
      for (Verdict v : mine) {
        out.tips.put(v.ref(), v.change().newId());
      }
      return out;
    }

    /** The tips of the {@code k} highest-numbered archives, highest first, without sorting them all. */
    private List<ObjectId> newest(Map<String, ObjectId> archives, int k) {
      List<Map.Entry<String, ObjectId>> top = new ArrayList<>(k + 1);
      for (Map.Entry<String, ObjectId> e : archives.entrySet()) {
        long n = RefNames.archiveNumber(e.getKey());
        int at = top.size();
        while (at > 0 && RefNames.archiveNumber(top.get(at - 1).getKey()) < n) {
          at--;
        }
        if (at < k) {
          top.add(at, e);
          if (top.size() > k) {
            top.remove(k);
          }
        }
      }
      List<ObjectId> out = new ArrayList<>(top.size());
      top.forEach(e -> out.add(e.getValue()));
      return out;
    }

    /** All archives, highest number first (the latest rotations are the likeliest cover). */
    private List<Map.Entry<String, ObjectId>> newestFirst(Map<String, ObjectId> archives) {
      List<Map.Entry<String, ObjectId>> all = new ArrayList<>(archives.entrySet());
      all.sort(
          Comparator.comparingLong((Map.Entry<String, ObjectId> e) -> RefNames.archiveNumber(e.getKey()))
              .reversed());
      return all;
    }

    private boolean isAncestorOrSelf(AnyObjectId ancestor, ObjectId tip) throws IOException {
      if (tip.equals(ancestor)) {
        return true;
      }
      RevObject o = walk.parseAny(tip);
      if (!(o instanceof RevCommit start)) {
        return false;
      }
      Set<ObjectId> seen = new HashSet<>();
      ArrayDeque<RevCommit> queue = new ArrayDeque<>();
      queue.add(start);
      seen.add(start);
      while (!queue.isEmpty() && seen.size() <= ANCESTRY_DEPTH) {
        RevCommit commit = queue.poll();
        walk.parseHeaders(commit);
        for (RevCommit p : commit.getParents()) {
          if (p.equals(ancestor)) {
            return true;
          }
          if (seen.add(p)) {
            queue.add(p);
          }
        }
      }
      return false;
    }

    private boolean isFastForward(ObjectId oldId, RevCommit next) throws IOException {
      if (oldId.equals(next)) {
        return true;
      }
      RevObject old = walk.parseAny(oldId);
      if (!(old instanceof RevCommit oldCommit)) {
        return false;
      }
      return walk.isMergedInto(oldCommit, next);
    }

    /** The tree of a commit (tags peeled); the empty set's tree for anything else. */
    private ObjectId treeOf(ObjectId id) throws IOException {
      RevObject o = walk.parseAny(id);
      while (o instanceof RevTag tag) {
        o = walk.peel(tag);
      }
      if (o instanceof RevCommit commit) {
        walk.parseHeaders(commit);
        return commit.getTree();
      }
      if (o instanceof RevTree tree) {
        return tree;
      }
      return CheckpointTrees.EMPTY_TREE;
    }

    private Verdict reject(RefChange c, Rule rule, String message) {
      return new Verdict(c, Verdict.Outcome.REJECT, rule, message, null);
    }
  }
}
