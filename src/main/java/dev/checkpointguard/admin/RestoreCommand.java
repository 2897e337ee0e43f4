package dev.checkpointguard.admin;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.ProcessLock;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * {@code restore}: puts back the refs one repair changed, from its backup and result refs.
 *
 * <p>The whole restore is planned before anything is written:
 *
 * <ul>
 *   <li>only backup and result entries whose original ref is under {@link RefNames#V2_PREFIX} are
 *       accepted; a backup naming any other ref (backup refs are not guarded, so they can be
 *       forged) is refused as a whole;
 *   <li>a ref that moved since the repair (a client pushed to it) is left alone and reported;
 *   <li>the state after the restore must hold every checkpoint that a v2 ref holds now (checkpoint
 *       IDs, as the guard counts them; generations and {@code /main} each on their own). When a ref
 *       left alone would make restoring lose some (e.g. repair rotated {@code /full/current} into a
 *       new archive and a client has appended to {@code /full/current} since), the archives the
 *       repair created that hold those checkpoints are kept; if that is not enough, nothing is
 *       restored.
 * </ul>
 *
 * <p>The changes are then written as one atomic compare-and-set batch in a safe order (creates,
 * updates, deletes), together with a verify-only command for every other v2 ref the check relied
 * on: a push in between makes the whole restore fail and change nothing.
 */
public final class RestoreCommand implements Command {
  private static final ObjectId ZERO = ObjectId.zeroId();

  @Override
  public String name() {
    return "restore";
  }

  @Override
  public String summary() {
    return "undo one repair, convert or retire from its backup refs";
  }

  @Override
  public String details() {
    return "Backups are listed by 'check'. Refs that moved since the backup are left alone, and archives\n"
        + "a repair created are kept when they hold checkpoints no other ref would hold (exit 1).\n"
        + "Only refs under "
        + RefNames.V2_PREFIX
        + " are restored, and "
        + RefNames.V1
        + "\n"
        + "for a convert backup (only while v2 still holds every checkpoint it converted). Undoing a\n"
        + "retire sets checkpointGuard.v2 back to frozen. --dry-run takes no lock.\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(AdminRepos.repoOption());
    o.addOption(
        Option.builder()
            .longOpt("backup")
            .hasArg()
            .argName("TIMESTAMP")
            .required()
            .desc("the backup to restore (as listed by check)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("dry-run")
            .desc("print what would change and write nothing")
            .get());
    return o;
  }

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    String ts = cl.getOptionValue("backup");
    if (ts.isEmpty() || ts.contains("/") || ts.contains("..")) {
      throw new UsageException("--backup " + ts + ": not a backup timestamp");
    }
    boolean dryRun = cl.hasOption("dry-run");
    try (Repository repo = AdminRepos.open(cl)) {
      AdminRepos.refuseQuarantine(io, repo);
      if (dryRun) {
        return restore(repo, ts, true, io); // reads only: no lock, no lock file
      }
      try (ProcessLock lock = RepoLock.acquire(repo)) {
        return restore(repo, ts, false, io);
      }
    }
  }

  /** One ref the restore would change. */
  private record Change(String ref, ObjectId now, ObjectId was, boolean createdByRepair) {}

  private int restore(Repository repo, String ts, boolean dryRun, Io io) throws Exception {
    Map<String, ObjectId> before = under(repo, RefNames.BACKUP_PREFIX + ts + "/");
    Map<String, ObjectId> after = under(repo, Repair.RESULT_PREFIX + ts + "/");
    if (before.isEmpty() && after.isEmpty()) {
      throw new UsageException("--backup " + ts + ": no such backup (check lists them)");
    }
    Set<String> refs = new TreeSet<>(before.keySet());
    refs.addAll(after.keySet());
    for (String ref : refs) {
      if (!RefNames.isGuarded(ref) && !ref.equals(RefNames.V1)) { // V1: a convert's backup
        io.err()
            .println(
                "checkpoint-guard restore: backup "
                    + ts
                    + " names "
                    + ref
                    + ", which is not under "
                    + RefNames.V2_PREFIX
                    + " (repair never backs up such a ref: a forged backup?); nothing was"
                    + " restored");
        return PROBLEMS;
      }
    }
    Map<String, ObjectId> current = new TreeMap<>();
    for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
      current.put(r.getName(), r.getObjectId() == null ? ZERO : r.getObjectId());
    }
    if (refs.contains(RefNames.V1)) {
      current.put(RefNames.V1, AdminTools.read(repo, RefNames.V1));
    }
    int unchanged = 0;
    int skipped = 0;
    List<Change> changes = new ArrayList<>();
    for (String ref : refs) {
      ObjectId was = before.getOrDefault(ref, ZERO);
      ObjectId set = after.getOrDefault(ref, ZERO);
      ObjectId now = current.getOrDefault(ref, ZERO);
      if (now.equals(was)) {
        unchanged++;
      } else if (!now.equals(set)) {
        io.err()
            .println(
                "checkpoint-guard restore: "
                    + RefNames.shortName(ref)
                    + " moved since the repair ("
                    + (now.equals(ZERO) ? "deleted" : now.abbreviate(10).name())
                    + "); left alone");
        skipped++;
      } else {
        changes.add(new Change(ref, now, was, was.equals(ZERO)));
      }
    }

    // keep every checkpoint a v2 ref holds now
    List<Change> kept = new ArrayList<>();
    try (ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      Contents contents = new Contents(walk, new CheckpointTrees(reader, null));
      for (int pass = 0; ; pass++) {
        Map<String, ObjectId> post = new TreeMap<>(current);
        for (Change c : changes) {
          if (c.was().equals(ZERO)) {
            post.remove(c.ref());
          } else {
            post.put(c.ref(), c.was());
          }
        }
        Map<Boolean, CheckpointSet> lost = contents.lost(current, post);
        if (lost.isEmpty()) {
          break;
        }
        List<Change> keep = new ArrayList<>();
        if (pass == 0) {
          for (Change c : changes) {
            CheckpointSet lostHere = lost.get(isMain(c.ref()));
            if (c.createdByRepair()
                && lostHere != null
                && lostHere.minus(contents.of(c.now())).size() < lostHere.size()) {
              keep.add(c);
            }
          }
        }
        if (keep.isEmpty()) {
          CheckpointSet all = CheckpointSet.empty();
          for (CheckpointSet s : lost.values()) {
            all = all.union(s);
          }
          io.err()
              .println(
                  "checkpoint-guard restore: restoring backup "
                      + ts
                      + " would lose "
                      + all.size()
                      + " checkpoint(s) that v2 refs hold now "
                      + all.first(5)
                      + (all.size() > 5 ? " ..." : "")
                      + " (refs left alone above moved since the repair); nothing was restored");
          return PROBLEMS;
        }
        for (Change c : keep) {
          changes.remove(c);
          kept.add(c);
          io.err()
              .println(
                  "checkpoint-guard restore: "
                      + RefNames.shortName(c.ref())
                      + " kept (the repair"
                      + " created it): it holds checkpoints no other ref would hold after the restore");
        }
      }
    }

    Map<String, ObjectId> restored = new TreeMap<>();
    changes.forEach(c -> restored.put(c.ref(), c.was()));
    String v1Loss = ConvertUndo.v1Loss(repo, current, restored);
    if (v1Loss != null) {
      io.err()
          .println(
              "checkpoint-guard restore: restoring backup "
                  + ts
                  + " would "
                  + v1Loss
                  + "; nothing was restored");
      return PROBLEMS;
    }

    List<RepairPlan.Update> batch = new ArrayList<>();
    // the refs the content check relied on, unchanged by this restore, are verified in the same
    // batch
    Map<String, ObjectId> verify = new TreeMap<>();
    current.forEach(
        (ref, id) -> {
          RefNames.Kind k = RefNames.kind(ref);
          if (!id.equals(ZERO)
              && (k == RefNames.Kind.MAIN
                  || k == RefNames.Kind.CURRENT
                  || k == RefNames.Kind.ARCHIVE)) {
            verify.put(ref, id);
          }
        });
    for (Change c : changes) {
      verify.remove(c.ref());
    }
    verify.forEach((ref, id) -> batch.add(new RepairPlan.Update(ref, id, id, "verify " + ref)));
    List<RepairPlan.Update> writes = new ArrayList<>();
    for (Change c : changes) {
      String name = RefNames.shortName(c.ref());
      writes.add(
          new RepairPlan.Update(
              c.ref(),
              c.now(),
              c.was(),
              c.was().equals(ZERO)
                  ? "delete " + name
                  : (c.now().equals(ZERO) ? "create " : "set ")
                      + name
                      + " back to "
                      + c.was().abbreviate(10).name()));
    }
    writes.sort((x, y) -> Integer.compare(order(x), order(y))); // creates, updates, deletes
    batch.addAll(writes);
    if (!dryRun && !writes.isEmpty()) {
      Repair.durable(repo);
      if (RefWriter.compareAndSetAll(repo, batch, "checkpoint-guard restore " + ts)
          == RefWriter.Result.MOVED) {
        io.err()
            .println(
                "checkpoint-guard restore: a v2 ref moved while restoring; nothing was restored;"
                    + " run restore again");
        return PROBLEMS;
      }
    }
    for (RepairPlan.Update w : writes) {
      io.out().println((dryRun ? "would " : "") + w.what());
    }
    String unretired =
        ConvertUndo.afterRestore(
            repo,
            writes.stream()
                .filter(RepairPlan.Update::isCreate)
                .map(RepairPlan.Update::ref)
                .toList(),
            dryRun);
    if (unretired != null) {
      io.out().println(unretired);
    }
    skipped += kept.size();
    io.out()
        .println(
            (dryRun ? "dry run: " : "restored ")
                + writes.size()
                + " ref(s) from backup "
                + ts
                + ", "
                + unchanged
                + " already as before, "
                + skipped
                + " left alone");
    return skipped == 0 ? OK : PROBLEMS;
  }

  private static int order(RepairPlan.Update u) {
    return u.isCreate() ? 0 : u.isDelete() ? 2 : 1;
  }

  private static boolean isMain(String ref) {
    return RefNames.kind(ref) == RefNames.Kind.MAIN;
  }

  /** Checkpoint IDs held by ref values, memoized by commit. */
  private static final class Contents {
    private final RevWalk walk;
    private final CheckpointTrees trees;
    private final Map<ObjectId, CheckpointSet> memo = new HashMap<>();

    Contents(RevWalk walk, CheckpointTrees trees) {
      this.walk = walk;
      this.trees = trees;
    }

    /** The checkpoints of the commit {@code id}; none for anything else. */
    CheckpointSet of(ObjectId id) throws IOException {
      CheckpointSet s = memo.get(id);
      if (s == null) {
        RevObject o = id.equals(ZERO) ? null : walk.parseAny(id);
        s =
            o instanceof RevCommit c
                ? trees.checkpoints(walk.parseCommit(c).getTree())
                : CheckpointSet.empty();
        memo.put(id.copy(), s);
      }
      return s;
    }

    /**
     * What {@code post} would lack of what {@code now} holds, by group (true: {@code /main}; false:
     * the generations, {@code /full/current} and archives, as one pool); empty when nothing is
     * lost. Names no client produces are not compared.
     */
    Map<Boolean, CheckpointSet> lost(Map<String, ObjectId> now, Map<String, ObjectId> post)
        throws IOException {
      Map<Boolean, CheckpointSet> out = new HashMap<>();
      for (boolean main : new boolean[] {true, false}) {
        CheckpointSet missing = union(now, main).minus(union(post, main));
        if (!missing.isEmpty()) {
          out.put(main, missing);
        }
      }
      return out;
    }

    private CheckpointSet union(Map<String, ObjectId> refs, boolean main) throws IOException {
      CheckpointSet.Builder b = new CheckpointSet.Builder();
      for (Map.Entry<String, ObjectId> e : refs.entrySet()) {
        RefNames.Kind k = RefNames.kind(e.getKey());
        boolean generation = k == RefNames.Kind.CURRENT || k == RefNames.Kind.ARCHIVE;
        if (main ? k == RefNames.Kind.MAIN : generation) {
          b.addAll(of(e.getValue()));
        }
      }
      return b.build();
    }
  }

  private static Map<String, ObjectId> under(Repository repo, String prefix) throws IOException {
    Map<String, ObjectId> out = new TreeMap<>();
    for (Ref r : repo.getRefDatabase().getRefsByPrefix(prefix)) {
      if (r.getObjectId() != null) {
        out.put(r.getName().substring(prefix.length()), r.getObjectId());
      }
    }
    return out;
  }
}
