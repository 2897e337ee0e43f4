package dev.checkpointguard.core;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedMap;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevTag;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * The policy core: from the proposed commands of one push, the server's v2 refs and an object
 * reader, one {@link Verdict} per command (spec §10). It reads objects and refs through what it is
 * given and nothing else: it opens no file, writes no ref and logs nothing. The one thing it writes
 * is the caller's {@link ArchiveIndex} memo (what each archive holds), which only ever saves reads.
 *
 * <p>Commands of one push depend on each other only through coverage: a {@code /full/current}
 * update that drops transcripts is judged against the <em>post-push</em> archives (the server's,
 * minus deletions and plus creates and updates that this push has accepted). Archives are therefore
 * judged first and {@code /full/current} last, whatever order the client sent them in. Coverage is
 * by content only (spec §10.4 item 6): every lost unit must be in the tip tree of a post-push
 * archive; history proves nothing.
 *
 * <p>Instances are immutable and thread-safe; {@link #evaluate} may run concurrently for different
 * pushes.
 */
public final class CheckpointPolicy {
  /**
   * How many of the highest-numbered archives on the server are tried as cover before every archive
   * is read: the latest rotations are the likeliest cover of a reset, and reading their root trees
   * costs the same whatever the number of archives.
   */
  public static final int NEWEST_CANDIDATES = 8;

  /**
   * How far back the history of an under-threshold archive is followed (the client's traversal
   * limit).
   */
  public static final int ANCESTRY_DEPTH = 1000;

  private final GuardSettings settings;
  private final CheckpointSetCache cache;
  private final Clock clock;
  private final int maxCheckpoints;
  private final SamePushCover samePushCover;
  private final CheckpointTrees.Matching matching;

  /**
   * Whether archives of a push may cover a {@code /full/current} update in the same push. They may
   * only when the adapter makes sure the update never lands without them (the update names them in
   * {@link Verdict#requires()}).
   */
  public enum SamePushCover {
    /**
     * Any archive command of the push: the adapter applies them together with the update,
     * atomically.
     */
    ANY,
    /**
     * None: only archives already on the server cover (stock git applies a non-atomic push one ref
     * at a time, in an order it chooses, so an archive of the push can fail while the update
     * lands).
     */
    NONE
  }

  public CheckpointPolicy(GuardSettings settings) {
    this(settings, CheckpointSetCache.NONE);
  }

  /**
   * {@code cache} memoises tree reads across pushes; it may be shared by many policies and threads.
   */
  public CheckpointPolicy(GuardSettings settings, CheckpointSetCache cache) {
    this(settings, cache, Clock.systemUTC());
  }

  /** As above; {@code clock} tells the age of an archived generation a push deletes. */
  public CheckpointPolicy(GuardSettings settings, CheckpointSetCache cache, Clock clock) {
    this(
        settings,
        cache,
        clock,
        CheckpointTrees.MAX_CHECKPOINTS,
        SamePushCover.ANY,
        CheckpointTrees.Matching.PATH);
  }

  /**
   * Tests: another bound on the checkpoints read from one tree ({@link Rule#TOO_MANY_CHECKPOINTS}).
   */
  CheckpointPolicy(
      GuardSettings settings, CheckpointSetCache cache, Clock clock, int maxCheckpoints) {
    this(settings, cache, clock, maxCheckpoints, SamePushCover.ANY, CheckpointTrees.Matching.PATH);
  }

  private CheckpointPolicy(
      GuardSettings settings,
      CheckpointSetCache cache,
      Clock clock,
      int maxCheckpoints,
      SamePushCover samePushCover,
      CheckpointTrees.Matching matching) {
    this.settings = settings;
    this.cache = cache == null ? CheckpointSetCache.NONE : cache;
    this.clock = clock;
    this.maxCheckpoints = maxCheckpoints;
    this.samePushCover = samePushCover;
    this.matching = matching;
  }

  /** This policy with another rule for archives of the same push (the default is {@code ANY}). */
  public CheckpointPolicy withSamePushCover(SamePushCover cover) {
    return new CheckpointPolicy(settings, cache, clock, maxCheckpoints, cover, matching);
  }

  /** Tests that measure the blob-level variant of the loss rule. */
  CheckpointPolicy withMatching(CheckpointTrees.Matching m) {
    return new CheckpointPolicy(settings, cache, clock, maxCheckpoints, samePushCover, m);
  }

  public GuardSettings settings() {
    return settings;
  }

  /**
   * As {@link #evaluate(List, ServerRefs, ObjectReader, ArchiveIndex)} without an archive index.
   */
  public List<Verdict> evaluate(List<RefChange> changes, ServerRefs server, ObjectReader reader) {
    return evaluate(changes, server, reader, ArchiveIndex.NONE);
  }

  /**
   * Judges one push.
   *
   * @param changes the commands still to be decided, in the client's order
   * @param server the server's v2 refs before the push
   * @param reader reads the objects of the repository, including those of the push; not closed here
   * @param memo what the repository's archives held at earlier pushes; read to find cover without
   *     reading every archive, and written with what this evaluation reads. Every entry used is
   *     confirmed against {@code server} and the archive's own tree first, so a stale or wrong memo
   *     costs time, never a verdict.
   * @return one verdict per command, in the same order
   */
  public List<Verdict> evaluate(
      List<RefChange> changes, ServerRefs server, ObjectReader reader, ArchiveIndex memo) {
    try (RevWalk walk = new RevWalk(reader)) {
      CheckpointTrees trees = new CheckpointTrees(reader, cache, maxCheckpoints).matching(matching);
      return new Evaluation(walk, reader, trees, server, memo == null ? ArchiveIndex.NONE : memo)
          .run(changes);
    }
  }

  /**
   * Verdicts for a push into a repository whose settings cannot be read: every guarded ref is
   * refused (fail closed), every other ref is left alone.
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
   * Verdicts for a push the guard could not judge at all (e.g. the repository's config cannot be
   * parsed): every guarded ref is refused with {@link Rule#INTERNAL_ERROR} and {@code cause}, every
   * other ref is left alone. Fail closed, whatever the mode: the mode itself may be what could not
   * be read.
   */
  public static List<Verdict> internalErrors(List<RefChange> changes, Throwable cause) {
    List<Verdict> out = new ArrayList<>(changes.size());
    for (RefChange c : changes) {
      out.add(
          RefNames.isGuarded(c.ref())
              ? new Verdict(
                  c,
                  Verdict.Outcome.REJECT,
                  Rule.INTERNAL_ERROR,
                  Messages.internalError(c.ref()),
                  cause)
              : Verdict.notGuarded(c));
    }
    return out;
  }

  /** The state of one evaluation. Not thread-safe; lives for one push. */
  private final class Evaluation {
    private final RevWalk walk;
    private final ObjectReader reader;
    private final CheckpointTrees trees;
    private final ServerRefs server;
    private final ArchiveIndex index;

    Evaluation(
        RevWalk walk,
        ObjectReader reader,
        CheckpointTrees trees,
        ServerRefs server,
        ArchiveIndex index) {
      this.walk = walk;
      this.reader = reader;
      this.trees = trees;
      this.server = server;
      this.index = index;
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
        v =
            new Verdict(
                c, Verdict.Outcome.REJECT, Rule.INTERNAL_ERROR, Messages.internalError(c.ref()), e);
      }
      if (v.outcome() == Verdict.Outcome.REJECT
          && settings.mode() == GuardSettings.Mode.WARN
          && v.rule().warnable()) {
        v =
            new Verdict(
                c, Verdict.Outcome.WARN, v.rule(), Messages.warning(v.message()), v.cause());
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
        return archiveDelete(c);
      }
      if (c.isCreate()) {
        // One bounded, memoised read: the count, and the cap on what a later push may have to read.
        CheckpointSet held = trees.checkpoints(next.getTree());
        if (held.size() < settings.threshold() && !prunedFromFullArchive(next)) {
          return reject(
              c,
              Rule.ARCHIVE_THRESHOLD,
              Messages.archiveThreshold(c.ref(), held.size(), settings.threshold()));
        }
        if (!index.has(
            c.ref(), c.newId())) { // a tip fixes its tree: a retried push changes nothing
          index.put(c.ref(), c.newId(), held); // confirmed before any later use, like every entry
        }
        return Verdict.accept(c);
      }
      if (!isFastForward(c.oldId(), next)) {
        return reject(c, Rule.ARCHIVE_HISTORY, Messages.archiveHistory(c.ref()));
      }
      Loss lost = trees.loss(treeOf(c.oldId()), next.getTree());
      if (lost.isEmpty()) {
        return Verdict.accept(c);
      }
      trees.expand(lost);
      return reject(c, Rule.ARCHIVE_LOSS, Messages.archiveLoss(c.ref(), lost));
    }

    /**
     * Archive deletes (spec §10.4 item 8): {@code entire clean} deletes a generation only when its
     * newest checkpoint is older than the client's retention, at least one day. A younger
     * generation's delete has no client producer; a stale {@code git push --mirror} from an old
     * clone is one real producer.
     */
    private Verdict archiveDelete(RefChange c) throws IOException {
      if (!settings.allowArchiveDeletion()) {
        return reject(c, Rule.ARCHIVE_DELETE, Messages.archiveDelete(c.ref()));
      }
      if (settings.v2() == GuardSettings.V2State.FROZEN) {
        return reject(c, Rule.V2_FROZEN, Messages.v2Frozen(c.ref()));
      }
      Duration min = settings.minArchiveAgeForDeletion();
      if (min.isZero()) {
        return Verdict.accept(c);
      }
      ObjectId tree = treeOf(c.oldId());
      Age age = newestCheckpoint(tree);
      if (age.empty()) {
        return Verdict.accept(c); // nothing in it to lose
      }
      Instant now = clock.instant();
      if (age.newest() == null) {
        return reject(c, Rule.ARCHIVE_AGE, Messages.archiveAgeUnknown(c.ref(), age.without()));
      }
      if (age.newest().plus(min).isAfter(now)) {
        return reject(
            c, Rule.ARCHIVE_AGE, Messages.archiveTooYoung(c.ref(), age.newest(), now, min));
      }
      return Verdict.accept(c);
    }

    /**
     * The newest checkpoint of a generation, as the client's cleanup finds it: {@code
     * generation.json}'s {@code newest_checkpoint_at}, else from the trees (spec §5.2: each
     * checkpoint's {@code created_at} range from {@code /main}, else its transcript event times).
     */
    private Age newestCheckpoint(ObjectId tree) throws IOException {
      GenerationJson.Read file = GenerationJson.read(reader, tree);
      if (file.state() == GenerationJson.State.VALID) {
        return new Age(false, file.value().newest(), 0);
      }
      SortedMap<Long, ObjectId> dirs = trees.directories(tree);
      if (dirs.isEmpty()) {
        return new Age(true, null, 0);
      }
      CheckpointSet.Builder ids = new CheckpointSet.Builder();
      dirs.keySet().forEach(ids::add);
      ObjectId main = server.exact(RefNames.MAIN);
      CheckpointTimes times = new CheckpointTimes(reader);
      Map<Long, CheckpointTimes.Times> fromMain =
          main == null
              ? Map.of()
              : times.fromMain(treeOf(main), ids.build(), NullProgressMonitor.INSTANCE);
      Instant newest = null;
      int without = 0;
      for (Map.Entry<Long, ObjectId> d : dirs.entrySet()) {
        CheckpointTimes.Times t = fromMain.get(d.getKey());
        GenerationJson range = t == null ? null : t.range();
        if (range == null) {
          range = times.fromTranscripts(d.getValue());
        }
        if (range == null) {
          without++;
        } else if (newest == null || range.newest().isAfter(newest)) {
          newest = range.newest();
        }
      }
      return new Age(false, without == 0 ? newest : null, without);
    }

    /**
     * A generation's age: empty, or its newest checkpoint (null when {@code without} have no time).
     */
    private record Age(boolean empty, Instant newest, int without) {}

    /**
     * The one legitimate under-threshold create (spec §10.2 b): {@code migrate --force} prunes
     * checkpoints from every local archive, including a pending one not yet pushed, and re-packs
     * them elsewhere. Its first-parent history is then force-migration prunes (and finalizes) down
     * to an archive commit that held at least the threshold: {@code Archive generation} (one
     * parent) or {@code Archive migrated generation: <ref>} (orphan). A {@code v0.6.0} bug archive
     * never held that many, so it stays rejected. Refusing the pruned archive would stall a {@code
     * v0.6.2} client for good (§10.3): it publishes archives before anything else and keeps
     * retrying the same one.
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
                || (commit.getParentCount() == 0
                    && message.startsWith(CommitMessages.ARCHIVE_MIGRATED));
        return pruned && archiveCommit && trees.count(commit.getTree()) >= settings.threshold();
      }
      return false;
    }

    private Verdict current(RefChange c, RevCommit next, Verdict[] decided) throws IOException {
      if (c.isDelete()) {
        return reject(c, Rule.CURRENT_DELETE, Messages.currentDelete(c.ref()));
      }
      if (c.isCreate()) {
        trees.checkpoints(
            next.getTree()); // no generation above the bound gets in (later pushes read it)
        return Verdict.accept(c);
      }
      Loss lost = trees.loss(treeOf(c.oldId()), next.getTree());
      if (lost.isEmpty()) {
        return Verdict.accept(c); // appends, merges, finalizes
      }
      // Every lost unit must be in the tip tree of a post-push archive. The cheap sources come
      // first: the
      // archives of this push (in hand), then what the index remembers (one ref lookup each), then
      // the
      // newest archives on the server, and only then every other archive.
      PushArchives mine = pushArchives(decided);
      List<RefChange> requires = new ArrayList<>();
      if (samePushCover == SamePushCover.ANY) {
        for (RefChange a : mine.covers) {
          if (trees.cover(lost, treeOf(a.newId()))) {
            requires.add(a);
          }
          if (lost.isEmpty()) {
            return Verdict.accept(c, requires);
          }
        }
      }
      coverFromServer(lost, mine.touched);
      if (lost.isEmpty()) {
        return Verdict.accept(c, requires);
      }
      trees.expand(lost);
      boolean ff = isFastForward(c.oldId(), next);
      boolean pushCoverRefused = samePushCover == SamePushCover.NONE && !mine.covers.isEmpty();
      return reject(
          c,
          Rule.CURRENT_LOSS,
          Messages.currentLoss(c.ref(), ff, lost, mine.rejectedCreates, pushCoverRefused));
    }

    /**
     * Narrows {@code lost} by the server's archives that this push leaves alone: first those the
     * index names (confirmed per ref, no listing), then the newest few, then every other one,
     * newest first (each read once and remembered in the index).
     *
     * <p>An archive the index knows at its listed tip, and that {@link ArchiveIndex#holders} did
     * not name for any lost checkpoint, is not read: an archive covers only checkpoints whose
     * directory it holds, and the index holds exactly the checkpoint directories of that tip's
     * tree, read by this process ({@link ArchiveIndex.Hints} never skip a read). So a rejection at
     * a warm index costs one listing and one pass over it, whatever the number of archives.
     */
    private void coverFromServer(Loss lost, Set<String> touched) throws IOException {
      Set<String> used = new HashSet<>();
      Map<String, ObjectId> confirmed = new LinkedHashMap<>();
      for (ArchiveIndex.Holder h : index.holders(lost.ids())) {
        if (touched.contains(h.ref()) || confirmed.get(h.ref()) != null) {
          continue;
        }
        ObjectId tip = server.exact(h.ref());
        confirmed.put(h.ref(), h.tip().equals(tip) ? tip : null);
      }
      for (Map.Entry<String, ObjectId> e : confirmed.entrySet()) {
        if (e.getValue() != null) {
          used.add(e.getKey());
          trees.cover(lost, treeOf(e.getValue()));
          if (lost.isEmpty()) {
            return;
          }
        }
      }
      // The last listing is reused while the server says its archive refs have not changed; then
      // every
      // archive of it that is read as cover is first confirmed by its ref, like the index's
      // holders.
      List<Map.Entry<String, ObjectId>> listing = index.listing(server);
      boolean reused = listing != null;
      if (!reused) {
        Object mark = server.archivesMark();
        listing = new ArrayList<>(server.archives().entrySet());
        // Archive names have a fixed width of digits, so their order by name is their order by
        // number.
        if (!sortedByName(listing)) {
          listing.sort(Map.Entry.comparingByKey());
        }
        index.listing(mark, listing);
      }
      List<Map.Entry<String, ObjectId>> unread = index.unindexed(listing);
      int tried = 0;
      for (int k = unread.size() - 1; k >= 0 && tried < NEWEST_CANDIDATES; k--) {
        Map.Entry<String, ObjectId> e = unread.get(k);
        if (lost.isEmpty()) {
          return;
        }
        if (touched.contains(e.getKey()) || used.contains(e.getKey())) {
          continue;
        }
        tried++;
        used.add(e.getKey());
        if (reused && !e.getValue().equals(server.exact(e.getKey()))) {
          continue;
        }
        ObjectId tree = treeOf(e.getValue());
        trees.cover(lost, tree); // reads only the shards of the lost checkpoints
        if (!lost.isEmpty()) {
          index.put(
              e.getKey(), e.getValue(), trees.checkpoints(tree)); // the next rejection skips it
        }
      }
      for (int k = unread.size() - 1; k >= 0; k--) {
        Map.Entry<String, ObjectId> e = unread.get(k);
        if (lost.isEmpty()) {
          return;
        }
        if (touched.contains(e.getKey()) || used.contains(e.getKey())) {
          continue;
        }
        if (reused && !e.getValue().equals(server.exact(e.getKey()))) {
          continue;
        }
        ObjectId tree = treeOf(e.getValue());
        CheckpointSet held = trees.checkpoints(tree);
        index.put(e.getKey(), e.getValue(), held);
        if (held.size() > held.minus(lost.ids()).size()) {
          trees.cover(lost, tree);
        }
      }
    }

    private static boolean sortedByName(List<Map.Entry<String, ObjectId>> listing) {
      for (int i = 1; i < listing.size(); i++) {
        if (listing.get(i - 1).getKey().compareTo(listing.get(i).getKey()) > 0) {
          return false;
        }
      }
      return true;
    }

    /** This push's archive commands, as the post-push state sees them. */
    private final class PushArchives {
      /**
       * Accepted creates and updates whose ref is where the command expects it (absent for a
       * create), in ascending number: a multi-rotation reset is covered by the oldest. A command
       * whose ref has moved will fail when it is applied, so its tree covers nothing.
       */
      final List<RefChange> covers = new ArrayList<>();

      /** Archives whose server value this push replaces or deletes (accepted commands only). */
      final Set<String> touched = new HashSet<>();

      /** Creates this push rejected, named in a rejection so the pusher sees the cause. */
      final List<String> rejectedCreates = new ArrayList<>();
    }

    private PushArchives pushArchives(Verdict[] decided) throws IOException {
      PushArchives out = new PushArchives();
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
        if (v.change().isDelete()) {
          continue;
        }
        ObjectId now = server.exact(v.ref());
        ObjectId expected = v.change().isCreate() ? null : v.change().oldId();
        if (expected == null ? now == null : expected.equals(now)) {
          out.covers.add(v.change());
        }
      }
      out.covers.sort(Comparator.comparingLong(ch -> RefNames.archiveNumber(ch.ref())));
      return out;
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

    /** The tree of a commit (tags peeled); the empty tree for anything else. */
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
