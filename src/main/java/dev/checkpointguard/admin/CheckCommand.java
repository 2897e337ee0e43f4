package dev.checkpointguard.admin;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import dev.checkpointguard.core.CheckpointTimes;
import java.util.HashMap;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Repository;

/** {@code check}: a read-only audit of {@code refs/entire/checkpoints/v2/} (spec §9). */
public final class CheckCommand implements Command {
  @Override
  public String name() {
    return "check";
  }

  @Override
  public String summary() {
    return "audit a repository's v2 checkpoint refs (read-only)";
  }

  @Override
  public String details() {
    return "Exit 0 when healthy (warnings allowed), 1 when errors are found, 2 on usage errors.\n"
        + "The --json schema is documented in docs/admin.md.\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(AdminRepos.repoOption());
    o.addOption(AdminRepos.thresholdOption());
    o.addOption(Option.builder().longOpt("json").desc("print the report as JSON").get());
    return o;
  }

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    try (Repository repo = AdminRepos.open(cl)) {
      int threshold = AdminRepos.threshold(cl, repo);
      CheckReport r = audit(repo, threshold, io);
      String path = cl.getOptionValue("repo");
      io.out().print(cl.hasOption("json") ? r.json(path) : r.text(path));
      return r.healthy() ? OK : PROBLEMS;
    }
  }

  static CheckReport audit(Repository repo, int threshold, Io io) throws Exception {
    return audit(repo, threshold, io, new HashMap<>());
  }

  /** {@code timesMemo}: what an earlier pass read from {@code /main} (the repair this check follows). */
  static CheckReport audit(Repository repo, int threshold, Io io,
      Map<ObjectId, CheckpointTimes.Times> timesMemo) throws Exception {
    try (ObjectReader reader = repo.newObjectReader()) {
      Inventory inv = Inventory.read(repo, reader);
      return CheckReport.of(
          new Analysis(inv, reader, new EtaProgressMonitor(io.err()), timesMemo), threshold);
    }
  }
}
