package dev.checkpointguard.admin;

import dev.checkpointguard.cli.Command;
import dev.checkpointguard.cli.Io;
import dev.checkpointguard.cli.UsageException;
import dev.checkpointguard.core.RefNames;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;

/**
 * {@code restore}: puts back the refs one repair changed, from its backup and result refs. A ref that
 * moved since the repair (a client pushed to it) is left alone and reported, so restore never drops what
 * clients pushed after the repair.
 */
public final class RestoreCommand implements Command {
  @Override
  public String name() {
    return "restore";
  }

  @Override
  public String summary() {
    return "undo one repair from its backup refs";
  }

  @Override
  public String details() {
    return "Backups are listed by 'check'. Refs that moved since the repair are left alone (exit 1).\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(AdminRepos.repoOption());
    o.addOption(Option.builder().longOpt("backup").hasArg().argName("TIMESTAMP").required()
        .desc("the backup to restore (as listed by check)").get());
    o.addOption(Option.builder().longOpt("dry-run").desc("print what would change and write nothing").get());
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
      try (RepoLock lock = RepoLock.acquire(repo)) {
        Map<String, ObjectId> before = under(repo, RefNames.BACKUP_PREFIX + ts + "/");
        Map<String, ObjectId> after = under(repo, Repair.RESULT_PREFIX + ts + "/");
        if (before.isEmpty() && after.isEmpty()) {
          throw new UsageException("--backup " + ts + ": no such backup (check lists them)");
        }
        int restored = 0;
        int unchanged = 0;
        int skipped = 0;
        for (String ref : new TreeSet<>(union(before, after))) {
          ObjectId was = before.getOrDefault(ref, ObjectId.zeroId());
          ObjectId set = after.getOrDefault(ref, ObjectId.zeroId());
          ObjectId now = RefWriter.read(repo, ref);
          String name = RefNames.shortName(ref);
          if (now.equals(was)) {
            unchanged++;
            continue;
          }
          if (!now.equals(set)) {
            io.err().println("checkpoint-guard restore: " + name + " moved since the repair ("
                + now.abbreviate(10).name() + "); left alone");
            skipped++;
            continue;
          }
          String what = was.equals(ObjectId.zeroId()) ? "delete " + name
              : "set " + name + " back to " + was.abbreviate(10).name();
          if (!dryRun && !RefWriter.compareAndSet(repo, ref, now, was, "checkpoint-guard restore " + ts)) {
            io.err().println("checkpoint-guard restore: " + name + " moved while restoring; left alone");
            skipped++;
            continue;
          }
          io.out().println((dryRun ? "would " : "") + what);
          restored++;
        }
        io.out().println((dryRun ? "dry run: " : "restored ") + restored + " ref(s) from backup " + ts
            + ", " + unchanged + " already as before, " + skipped + " left alone");
        return skipped == 0 ? OK : PROBLEMS;
      }
    }
  }

  private static java.util.Set<String> union(Map<String, ObjectId> a, Map<String, ObjectId> b) {
    java.util.Set<String> s = new TreeSet<>(a.keySet());
    s.addAll(b.keySet());
    return s;
  }

  private static Map<String, ObjectId> under(Repository repo, String prefix) throws java.io.IOException {
    Map<String, ObjectId> out = new TreeMap<>();
    for (Ref r : repo.getRefDatabase().getRefsByPrefix(prefix)) {
      if (r.getObjectId() != null) {
        out.put(r.getName().substring(prefix.length()), r.getObjectId());
      }
    }
    return out;
  }
}
