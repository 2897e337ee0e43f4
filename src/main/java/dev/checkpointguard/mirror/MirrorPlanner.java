package dev.checkpointguard.mirror;

import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.Rule;
import dev.checkpointguard.core.Verdict;
import java.io.IOException;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.AnyObjectId;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevTag;
import org.eclipse.jgit.revwalk.RevTree;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * Decides one sync (docs/mirror.md, "Decisions"): from the mirror's refs as read at the start of an
 * attempt and upstream's refs, every ref change and the one batch of compare-and-set commands that
 * makes them.
 *
 * <ul>
 *   <li>Refs outside {@code refs/entire/checkpoints/v2/} follow upstream exactly (created, moved,
 *       forced, deleted), as {@code git fetch --prune +refs/*:refs/*} would. Symbolic refs of the
 *       mirror are left alone; {@code refs/checkpoint-guard/} is the mirror's own.
 *   <li>The v2 changes are judged together by the guard's policy ({@link Judge}), from the mirror's
 *       state, as if upstream had pushed them. Then the mirror's own invariant decides: no
 *       checkpoint file (ID, path, blob) of a tip the mirror lets go of may end up in no ref.
 *       Accepted changes are mirrored; if one would still drop files (a retention delete, a rewrite
 *       that replaces blobs), the old tip is kept under {@link MirrorRefs#KEPT_PREFIX}. Refused
 *       changes are mirrored when nothing is lost; otherwise the mirror merges the dropped files
 *       back onto upstream's value (an update) or keeps its own value (a deletion), and records
 *       upstream's value under {@link MirrorRefs#UPSTREAM_PREFIX}.
 *   <li>An upstream value already in the history of the mirror's is left behind (the mirror is
 *       ahead: an earlier merge, or a push to the mirror).
 * </ul>
 *
 * <p>Reads objects and writes new ones (merge commits and trees) through the given inserter, which
 * may be a formatter that writes nothing (dry run). Moves no ref.
 */
final class MirrorPlanner {
  /** Judges v2 changes as if pushed; {@code RepositoryGuard.judge} in production. */
  @FunctionalInterface
  interface Judge {
    List<Verdict> judge(List<RefChange> changes);
  }

  /** The outcome of planning. */
  record Plan(List<RefAction> actions, List<ReceiveCommand> commands, List<Kept> kept) {
    boolean heldBack() {
      return actions.stream().anyMatch(RefAction::heldBack);
    }
  }

  /** A tip kept under {@link MirrorRefs#KEPT_PREFIX}. */
  record Kept(String keptRef, ObjectId id, String ref, int checkpoints, int files) {}

  /** The mirror's settings cannot be read: nothing can be judged. */
  static final class InvalidSettingsException extends Exception {
    InvalidSettingsException(String message) {
      super(message);
    }
  }

  /** Rules whose refusal means the value cannot be read or judged: the mirror keeps its own. */
  private static final Set<Rule> UNJUDGEABLE =
      Set.of(
          Rule.NOT_A_COMMIT, Rule.MISSING_OBJECT, Rule.TOO_MANY_CHECKPOINTS, Rule.INTERNAL_ERROR);

  /**
   * True when the mirror keeps its own value whatever is lost or not: upstream's value cannot be
   * judged, or the refusal is the mirror administrator's own decision (a rule warn mode never
   * relaxes, such as a frozen or retired v2).
   */
  private static boolean holds(Verdict v) {
    return !v.accepted() && (UNJUDGEABLE.contains(v.rule()) || !v.rule().warnable());
  }

  private final RevWalk walk;
  private final CheckpointFiles files;
  private final ObjectInserter inserter;
  private final Judge judge;
  private final Instant now;
  private final PersonIdent ident;

  MirrorPlanner(
      RevWalk walk, CheckpointFiles files, ObjectInserter inserter, Judge judge, Instant now) {
    this.walk = walk;
    this.files = files;
    this.inserter = inserter;
    this.judge = judge;
    this.now = now;
    this.ident =
        new PersonIdent(
            "checkpoint-guard mirror", "checkpoint-guard@localhost", now, ZoneOffset.UTC);
  }

  /** The mutable state of one planning pass. */
  private final class Pass {
    final Map<String, ObjectId> mine = new TreeMap<>();
    final Set<String> symbolic = new HashSet<>();
    final Map<String, ObjectId> guard = new TreeMap<>();
    final Map<String, ObjectId> upstream;

    /** v2 ref -> the value it will have after the sync (absent: none). */
    final Map<String, ObjectId> post = new TreeMap<>();

    final Map<String, RefAction> decided = new LinkedHashMap<>();
    final List<Kept> kept = new ArrayList<>();
    final Set<String> keptNames = new HashSet<>();
    final Set<ObjectId> keptValues = new HashSet<>();

    /** v2 ref -> true when upstream's value descends from the mirror's. */
    final Map<String, Boolean> fastForward = new TreeMap<>();

    Map<String, ObjectId> upstreamWanted = Map.of();

    Pass(Map<String, Ref> snapshot, Map<String, ObjectId> upstream) {
      this.upstream = upstream;
      for (Ref r : snapshot.values()) {
        String name = r.getName();
        if (r.isSymbolic()) {
          symbolic.add(name);
          continue;
        }
        if (r.getObjectId() == null) {
          continue;
        }
        if (name.startsWith(MirrorRefs.PREFIX)) {
          guard.put(name, r.getObjectId());
          if (name.startsWith(MirrorRefs.KEPT_PREFIX)) {
            keptNames.add(name);
            keptValues.add(r.getObjectId());
          }
        } else if (MirrorRefs.isMirrored(name)) {
          mine.put(name, r.getObjectId());
        }
      }
    }
  }

  /**
   * Plans one attempt.
   *
   * @param snapshot every ref of the mirror, as read at the start of this attempt
   * @param upstream upstream's refs (already filtered by {@link MirrorRefs#isMirrored}); their
   *     objects are in the mirror
   */
  Plan plan(Map<String, Ref> snapshot, Map<String, ObjectId> upstream)
      throws IOException, InvalidSettingsException {
    Pass p = new Pass(snapshot, upstream);
    Set<String> names = new TreeSet<>(p.mine.keySet());
    names.addAll(upstream.keySet());
    List<RefChange> changes = new ArrayList<>();
    for (String name : names) {
      ObjectId m = p.mine.get(name);
      ObjectId u = upstream.get(name);
      boolean v2 = RefNames.isV2(name);
      if (v2 && m != null) {
        p.post.put(name, m);
      }
      if (p.symbolic.contains(name) || (m != null && m.equals(u))) {
        continue;
      }
      // the short walk first: most changes are fast-forwards (an append walks back to the old tip)
      boolean ff = m == null || u == null || isAncestorOrSelf(m, u);
      if (!v2) {
        p.decided.put(
            name, new RefAction(name, m, u, u, RefAction.Kind.MIRRORED, null, 0, 0, null, "", ff));
      } else if (!ff && isAncestorOrSelf(u, m)) {
        CheckpointFiles.Lost extra = files.lost(treeOf(m), List.of(treeOf(u)));
        p.decided.put(
            name,
            new RefAction(
                name,
                m,
                u,
                m,
                RefAction.Kind.AHEAD,
                "ahead",
                extra.checkpoints(),
                extra.fileCount(),
                null,
                "",
                true));
      } else {
        p.fastForward.put(name, ff && m != null && u != null);
        changes.add(new RefChange(name, zeroIfNull(m), zeroIfNull(u)));
      }
    }
    List<Verdict> verdicts = changes.isEmpty() ? List.of() : judge.judge(changes);
    for (Verdict v : verdicts) {
      if (v.rule() == Rule.INVALID_SETTINGS) {
        throw new InvalidSettingsException(v.message());
      }
    }
    // tentative targets: upstream's value, except for what cannot be judged
    Map<String, Verdict> byRef = new LinkedHashMap<>();
    for (Verdict v : verdicts) {
      byRef.put(v.ref(), v);
      RefChange c = v.change();
      if (holds(v)) {
        continue; // keeps the mirror's value in post
      }
      setPost(p, c.ref(), nullIfZero(c.newId()));
    }
    // the loss checks, archives first (an archive's fate decides what covers /full/current)
    List<Verdict> ordered = new ArrayList<>(verdicts);
    ordered.sort(
        Comparator.comparingInt((Verdict v) -> order(v.ref())).thenComparing(Verdict::ref));
    for (Verdict v : ordered) {
      p.decided.put(v.ref(), decide(p, v));
    }
    upstreamRefs(p);
    return finish(p);
  }

  private static int order(String ref) {
    return switch (RefNames.kind(ref)) {
      case ARCHIVE -> 0;
      case CURRENT -> 1;
      case MAIN -> 2;
      default -> 3;
    };
  }

  private RefAction decide(Pass p, Verdict v) throws IOException {
    RefChange c = v.change();
    String ref = c.ref();
    ObjectId m = nullIfZero(c.oldId());
    ObjectId u = nullIfZero(c.newId());
    boolean accepted = v.accepted();
    String rule = accepted ? null : v.rule().id();
    String detail = accepted ? "" : v.message();
    if (holds(v)) {
      int held = m == null ? 0 : files.dirs(treeOf(m)).size();
      return new RefAction(ref, m, u, m, RefAction.Kind.HELD, rule, held, 0, null, detail, true);
    }
    if (m == null) {
      // a create loses nothing; even a refused one (an under-threshold archive) is mirrored as-is
      return new RefAction(
          ref, null, u, u, RefAction.Kind.MIRRORED, rule, 0, 0, null, detail, true);
    }
    boolean ff = p.fastForward.getOrDefault(ref, false);
    if (ff && accepted) {
      return new RefAction(ref, m, u, u, RefAction.Kind.MIRRORED, null, 0, 0, null, "", true);
    }
    // upstream/ records are not holders here: a sync may drop them (their own loss is checked then)
    CheckpointFiles.Lost lost = files.lost(treeOf(m), holders(p, ref, keptOnly(p.guard)));
    if (lost.isEmpty()) {
      return new RefAction(ref, m, u, u, RefAction.Kind.MIRRORED, rule, 0, 0, null, detail, ff);
    }
    if (accepted) {
      Kept k = keep(p, ref, m, lost);
      return new RefAction(
          ref,
          m,
          u,
          u,
          RefAction.Kind.MIRRORED_KEPT,
          null,
          lost.checkpoints(),
          lost.fileCount(),
          k == null ? existingKept(p, m) : k.keptRef(),
          "",
          false);
    }
    if (u == null) {
      setPost(p, ref, m);
      return new RefAction(
          ref,
          m,
          null,
          m,
          RefAction.Kind.HELD,
          rule,
          lost.checkpoints(),
          lost.fileCount(),
          null,
          detail,
          true);
    }
    CheckpointFiles.Merged merged = files.insert(inserter, treeOf(u), lost);
    if (merged.added().isEmpty()) {
      // only blobs upstream replaced at the same paths: its tree stands; history or a kept tip
      // holds ours
      if (ff) {
        return new RefAction(ref, m, u, u, RefAction.Kind.MIRRORED, rule, 0, 0, null, detail, true);
      }
      Kept k = keep(p, ref, m, lost);
      return new RefAction(
          ref,
          m,
          u,
          u,
          RefAction.Kind.MIRRORED_KEPT,
          rule,
          lost.checkpoints(),
          lost.fileCount(),
          k == null ? existingKept(p, m) : k.keptRef(),
          detail,
          false);
    }
    ObjectId merge = mergeCommit(ref, m, u, ff, merged, v.rule());
    setPost(p, ref, merge);
    return new RefAction(
        ref,
        m,
        u,
        merge,
        RefAction.Kind.MERGED,
        rule,
        merged.added().checkpoints(),
        merged.added().fileCount(),
        null,
        detail,
        true);
  }

  /**
   * The trees that will hold checkpoint files after the sync, likeliest first for {@code ref}: its
   * own new value, then the other v2 refs (archives newest first, then the others), then the
   * mirror's own refs ({@code guard}) and the tips this sync keeps. Lazy: a tree is read only when
   * the search gets to it.
   */
  private List<ObjectId> holders(Pass p, String ref, Map<String, ObjectId> guard) {
    List<ObjectId> tips = new ArrayList<>();
    ObjectId own = p.post.get(ref);
    if (own != null) {
      tips.add(own);
    }
    List<String> others = new ArrayList<>(p.post.keySet());
    others.remove(ref);
    others.sort(
        Comparator.comparingLong((String r) -> -RefNames.archiveNumber(r)).thenComparing(r -> r));
    for (String r : others) {
      tips.add(p.post.get(r));
    }
    tips.addAll(guard.values());
    for (Kept k : p.kept) {
      tips.add(k.id());
    }
    return new java.util.AbstractList<>() {
      @Override
      public ObjectId get(int i) {
        try {
          return treeOf(tips.get(i));
        } catch (IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      }

      @Override
      public int size() {
        return tips.size();
      }
    };
  }

  /** The kept refs among the mirror's own refs (they never move; upstream/ records may). */
  private static Map<String, ObjectId> keptOnly(Map<String, ObjectId> guard) {
    Map<String, ObjectId> out = new TreeMap<>();
    guard.forEach(
        (k, v) -> {
          if (k.startsWith(MirrorRefs.KEPT_PREFIX)) {
            out.put(k, v);
          }
        });
    return out;
  }

  /** Keeps {@code id} (the tip {@code ref} lets go of), unless a kept ref already points at it. */
  private Kept keep(Pass p, String ref, ObjectId id, CheckpointFiles.Lost lost) {
    if (p.keptValues.contains(id)) {
      return null;
    }
    String stamp = MirrorRefs.stamp(now);
    String name = MirrorRefs.KEPT_PREFIX + stamp + "/" + ref;
    for (int n = 2; p.keptNames.contains(name); n++) {
      name = MirrorRefs.KEPT_PREFIX + stamp + "-" + n + "/" + ref;
    }
    Kept k = new Kept(name, id, ref, lost.checkpoints(), lost.fileCount());
    p.kept.add(k);
    p.keptNames.add(name);
    p.keptValues.add(id);
    return k;
  }

  private static String existingKept(Pass p, ObjectId id) {
    for (Map.Entry<String, ObjectId> e : p.guard.entrySet()) {
      if (e.getKey().startsWith(MirrorRefs.KEPT_PREFIX) && e.getValue().equals(id)) {
        return e.getKey();
      }
    }
    for (Kept k : p.kept) {
      if (k.id().equals(id)) {
        return k.keptRef();
      }
    }
    return null;
  }

  /**
   * Upstream's value of every held-back v2 ref is recorded under {@link MirrorRefs#UPSTREAM_PREFIX}
   * (it holds what arrived with the refused update); records of refs no longer held back go. A
   * record that moves loses nothing either: a value no ref will hold any more is kept.
   */
  private void upstreamRefs(Pass p) throws IOException {
    Map<String, ObjectId> want = new TreeMap<>();
    for (RefAction a : p.decided.values()) {
      if (a.heldBack() && a.upstream() != null) {
        want.put(MirrorRefs.upstreamRef(a.ref()), a.upstream());
      }
    }
    p.upstreamWanted = want;
    Map<String, ObjectId> after = new TreeMap<>();
    p.guard.forEach(
        (k, v) -> {
          if (!k.startsWith(MirrorRefs.UPSTREAM_PREFIX)) {
            after.put(k, v);
          }
        });
    after.putAll(want);
    for (Map.Entry<String, ObjectId> e : p.guard.entrySet()) {
      if (!e.getKey().startsWith(MirrorRefs.UPSTREAM_PREFIX)) {
        continue;
      }
      ObjectId old = e.getValue();
      ObjectId next = want.get(e.getKey());
      if (old.equals(next) || (next != null && isAncestorOrSelf(old, next))) {
        continue;
      }
      // the record moves or goes: keep its old value if nothing else will hold its files
      CheckpointFiles.Lost lost = files.lost(treeOf(old), holders(p, "", after));
      if (!lost.isEmpty()) {
        keep(p, MirrorRefs.original(e.getKey()), old, lost);
      }
    }
  }

  private Plan finish(Pass p) {
    List<RefAction> actions = new ArrayList<>();
    List<ReceiveCommand> commands = new ArrayList<>();
    for (RefAction a : p.decided.values()) {
      actions.add(a);
      if (a.changes()) {
        commands.add(new ReceiveCommand(zeroIfNull(a.mirror()), zeroIfNull(a.target()), a.ref()));
      }
    }
    actions.sort(Comparator.comparing(RefAction::ref));
    Map<String, ObjectId> records = new TreeMap<>();
    p.guard.forEach(
        (k, v) -> {
          if (k.startsWith(MirrorRefs.UPSTREAM_PREFIX)) {
            records.put(k, v);
          }
        });
    Set<String> all = new TreeSet<>(records.keySet());
    all.addAll(p.upstreamWanted.keySet());
    for (String name : all) {
      ObjectId old = records.get(name);
      ObjectId next = p.upstreamWanted.get(name);
      if (old == null ? next != null : !old.equals(next)) {
        commands.add(new ReceiveCommand(zeroIfNull(old), zeroIfNull(next), name));
      }
    }
    for (Kept k : p.kept) {
      commands.add(new ReceiveCommand(ObjectId.zeroId(), k.id(), k.keptRef()));
    }
    return new Plan(List.copyOf(actions), List.copyOf(commands), List.copyOf(p.kept));
  }

  private void setPost(Pass p, String ref, ObjectId value) {
    if (value == null) {
      p.post.remove(ref);
    } else {
      p.post.put(ref, value);
    }
  }

  /**
   * The merge that keeps what upstream dropped: upstream's tree plus the dropped files, parents the
   * mirror's old tip and upstream's (only upstream's when it already descends from the mirror's),
   * as the client's own recovery merge (spec §7.3 B) with the same message.
   */
  private ObjectId mergeCommit(
      String ref, ObjectId m, ObjectId u, boolean ff, CheckpointFiles.Merged merged, Rule rule)
      throws IOException {
    CommitBuilder cb = new CommitBuilder();
    cb.setTreeId(merged.tree());
    if (ff) {
      cb.setParentId(u);
    } else {
      cb.setParentIds(m, u);
    }
    cb.setAuthor(ident);
    cb.setCommitter(ident);
    cb.setMessage(
        "Merge remote v2/"
            + RefNames.shortName(ref)
            + "\n\n"
            + "checkpoint-guard mirror: upstream's "
            + u.abbreviate(10).name()
            + " drops "
            + merged.added().checkpoints()
            + " checkpoint(s) ("
            + merged.added().fileCount()
            + " file(s)) that no other ref holds (rule "
            + rule.id()
            + "); they are kept here.\n");
    return inserter.insert(cb);
  }

  private boolean isAncestorOrSelf(ObjectId ancestor, ObjectId tip) throws IOException {
    if (ancestor.equals(tip)) {
      return true;
    }
    RevCommit a = commitOrNull(ancestor);
    RevCommit t = commitOrNull(tip);
    if (a == null || t == null) {
      return false;
    }
    walk.reset();
    return walk.isMergedInto(a, t);
  }

  private RevCommit commitOrNull(ObjectId id) throws IOException {
    try {
      RevObject o = walk.parseAny(id);
      while (o instanceof RevTag tag) {
        o = walk.peel(tag);
      }
      return o instanceof RevCommit c ? c : null;
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      return null;
    }
  }

  /** The tree of a commit (tags peeled), a tree itself, or the empty tree for anything else. */
  ObjectId treeOf(AnyObjectId id) throws IOException {
    return treeOf(walk, id);
  }

  /** The tree of a commit (tags peeled), a tree itself, or the empty tree for anything else. */
  static ObjectId treeOf(RevWalk walk, AnyObjectId id) throws IOException {
    try {
      RevObject o = walk.parseAny(id);
      while (o instanceof RevTag tag) {
        o = walk.peel(tag);
      }
      if (o instanceof RevCommit c) {
        walk.parseHeaders(c);
        return c.getTree();
      }
      if (o instanceof RevTree t) {
        return t;
      }
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      // nothing readable: holds no checkpoint
    }
    return CheckpointTrees.EMPTY_TREE;
  }

  private static ObjectId zeroIfNull(ObjectId id) {
    return id == null ? ObjectId.zeroId() : id;
  }

  private static ObjectId nullIfZero(ObjectId id) {
    return id == null || id.equals(ObjectId.zeroId()) ? null : id;
  }
}
