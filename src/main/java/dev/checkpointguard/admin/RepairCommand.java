package dev.checkpointguard.admin;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.ProcessLock;
import dev.checkpointguard.command.UsageException;
import java.time.Clock;
import java.util.Locale;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jgit.lib.Repository;

/** {@code repair}: repacks damaged {@code /full/*} generations on the server (spec §8, §9). */
public final class RepairCommand implements Command {
  private final Repair.Listener listener;
  private final Clock clock;
  private final int batchSize;

  public RepairCommand() {
    this(Repair.Listener.NONE, Clock.systemUTC(), Repair.BATCH);
  }

  /**
   * For tests: a listener (crash points, live pushes, policy checks), a fixed clock, refs per
   * batch.
   */
  RepairCommand(Repair.Listener listener, Clock clock, int batchSize) {
    this.listener = listener;
    this.clock = clock;
    this.batchSize = batchSize;
  }

  @Override
  public String name() {
    return "repair";
  }

  @Override
  public String summary() {
    return "repack under-threshold and rehydrated generations (backs up first; see restore)";
  }

  @Override
  public String details() {
    return "minimal (default) keeps every healthy archive byte-identical; full repacks every generation\n"
        + "in chronological order. Every ref change is compare-and-set and backed up under\n"
        + "refs/checkpoint-guard/backup/<timestamp>/. Exit 0 when the repository is healthy afterwards,\n"
        + "1 when problems remain or live pushes kept moving refs, 2 on usage errors.\n"
        + "--dry-run takes no lock and writes nothing; like check it exits 1 when there is work to do\n"
        + "(the plan is not empty) and 0 when there is none.\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(AdminRepos.repoOption());
    o.addOption(AdminRepos.thresholdOption());
    o.addOption(
        Option.builder()
            .longOpt("mode")
            .hasArg()
            .argName("minimal|full")
            .desc("minimal (default) or full")
            .get());
    o.addOption(Option.builder().longOpt("dry-run").desc("print the plan and write nothing").get());
    return o;
  }

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    RepairPlan.Mode mode = mode(cl.getOptionValue("mode", "minimal"));
    try (Repository repo = AdminRepos.open(cl)) {
      int threshold = AdminRepos.threshold(cl, repo);
      AdminRepos.refuseQuarantine(io, repo);
      boolean dryRun = cl.hasOption("dry-run");
      Repair.Result r;
      Repair repair = new Repair(repo, threshold, mode, dryRun, io, listener, clock, batchSize);
      if (dryRun) {
        // planning only reads: no lock (it would create the lock file), nothing written
        r = repair.run();
        if (r.outcome() == Repair.Outcome.PLANNED) {
          return PROBLEMS; // like check: there is work to do
        }
      } else {
        try (ProcessLock lock = RepoLock.acquire(repo)) {
          r = repair.run();
        }
      }
      if (r.outcome() == Repair.Outcome.FAILED) {
        return USAGE; // an error (reported), like any other the command line reports
      }
      if (r.outcome() == Repair.Outcome.NOTHING_TO_DO) {
        io.out()
            .println(
                "nothing to repair (mode "
                    + mode.name().toLowerCase(Locale.ROOT)
                    + ", threshold "
                    + threshold
                    + ")");
      }
      // /main is not changed by a repair: the check reuses what planning read from it
      Audit after =
          CheckCommand.withMirrorNotes(
              repo,
              Audit.run(repo, threshold, new EtaProgressMonitor(io.err()), repair.timesMemo()));
      io.out()
          .println(
              "check: "
                  + (after.healthy() ? "healthy" : "problems remain")
                  + " ("
                  + after.tally()
                  + "; details: "
                  + Invocation.of(io.env())
                      .command("check", "--repo", Invocation.absolute(cl.getOptionValue("repo")))
                  + ")");
      if (r.outcome() == Repair.Outcome.GAVE_UP) {
        return PROBLEMS;
      }
      return after.healthy() ? OK : PROBLEMS;
    }
  }

  static RepairPlan.Mode mode(String s) throws UsageException {
    switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "minimal":
        return RepairPlan.Mode.MINIMAL;
      case "full":
        return RepairPlan.Mode.FULL;
      default:
        throw new UsageException("--mode " + s + ": expected minimal or full");
    }
  }
}
