package dev.checkpointguard.convert;

import dev.checkpointguard.admin.AdminTools;
import dev.checkpointguard.admin.Fleet;
import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import java.time.Clock;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jgit.lib.Repository;

/**
 * {@code convert}: makes every v2 checkpoint readable by today's Entire CLI by writing it to the v1
 * branch on the server (spec v2-to-v1 §6), checks that v1 holds everything v2 does ({@code
 * --verify}), and retires v2 ({@code --retire}). See docs/convert.md.
 */
public final class ConvertCommand implements Command {
  private final Clock clock;
  private final Converter.Hooks hooks;
  private final Converter.Listener listener;

  public ConvertCommand() {
    this(Clock.systemUTC(), Converter.Hooks.NONE, Converter.Listener.NONE);
  }

  /** For tests: a fixed clock, crash points and a listener. */
  ConvertCommand(Clock clock, Converter.Hooks hooks, Converter.Listener listener) {
    this.clock = clock;
    this.hooks = hooks;
    this.listener = listener;
  }

  @Override
  public String name() {
    return "convert";
  }

  @Override
  public String summary() {
    return "copy v2 checkpoints into the v1 branch today's client reads; --verify, --retire";
  }

  @Override
  public String details() {
    return "Writes every checkpoint of refs/entire/checkpoints/v2/main and full/* that\n"
        + "refs/heads/entire/checkpoints/v1 lacks, on top of the current v1 tip (compare-and-set, backed up\n"
        + "under refs/checkpoint-guard/backup/<timestamp>/; undo with restore). Checkpoints already in v1 are\n"
        + "never modified. Exit 0 when every checkpoint is in v1, 1 when some are not convertible or a\n"
        + "--dry-run has work to do, 2 on usage errors. docs/convert.md has the details and the --json schema.\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder()
            .longOpt("repo")
            .hasArg()
            .argName("DIR")
            .desc("the repository (bare, or a work tree's top directory)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("repos")
            .hasArg()
            .argName("DIR")
            .desc(
                "every repository below DIR"
                    + " (bare ones, GitLab @hashed, Gitea owner/name.git, work trees), one after the other")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("dry-run")
            .desc("report what would be converted; write nothing")
            .get());
    o.addOption(Option.builder().longOpt("json").desc("print the report as JSON").get());
    o.addOption(
        Option.builder()
            .longOpt("verify")
            .desc(
                "check that v1 holds every v2 checkpoint, session and"
                    + " transcript; write nothing (exit 0 only then)")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("retire")
            .desc(
                "verify, then set checkpointGuard.v2=retired and delete"
                    + " the v2 refs (backed up; undo with restore)")
            .get());
    return o;
  }

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    boolean dryRun = cl.hasOption("dry-run");
    String path = cl.getOptionValue("repo");
    if (cl.hasOption("verify") && cl.hasOption("retire")) {
      throw new UsageException(
          "--verify and --retire cannot be combined (--retire verifies first)");
    }
    if (cl.hasOption("repo") == cl.hasOption("repos")) {
      throw new UsageException("give exactly one of --repo DIR and --repos DIR");
    }
    if (cl.hasOption("repos")) {
      if (cl.hasOption("retire")) {
        throw new UsageException(
            "--retire works on one repository at a time: convert --repo DIR --retire");
      }
      return fleet(cl, io, dryRun);
    }
    try (Repository repo = AdminTools.open(cl)) {
      AdminTools.refuseQuarantine(io, repo);
      if (cl.hasOption("verify")) {
        Verifier v = Verifier.run(repo, AdminTools.progress(io));
        io.out().print(cl.hasOption("json") ? v.json(path) : v.text(path));
        return v.ok() ? OK : PROBLEMS;
      }
      if (cl.hasOption("retire")) {
        return retire(repo, path, dryRun, cl.hasOption("json"), io);
      }
      ConvertReport r = convert(repo, io, dryRun);
      io.out().print(cl.hasOption("json") ? r.json(path) : r.text(path, Invocation.of(io.env())));
      return r.exitCode();
    } catch (Sources.BadV1Exception e) {
      throw new UsageException(e.getMessage());
    }
  }

  private ConvertReport convert(Repository repo, Io io, boolean dryRun) throws Exception {
    Converter c = new Converter(repo, io, clock, dryRun, hooks, listener);
    if (dryRun) {
      return c.run(); // reads only: no lock file
    }
    try (AutoCloseable lock = AdminTools.lock(repo)) {
      return c.run();
    }
  }

  /**
   * {@code --repos DIR}: each repository in turn; one's failure is reported and the next one runs.
   */
  private int fleet(CommandLine cl, Io io, boolean dryRun) throws Exception {
    java.nio.file.Path root = java.nio.file.Path.of(cl.getOptionValue("repos"));
    if (!java.nio.file.Files.isDirectory(root)) {
      throw new UsageException("--repos " + root + ": not a directory");
    }
    boolean verify = cl.hasOption("verify");
    Fleet.Discovery found = Fleet.discover(root);
    // one repository at a time: each conversion already uses every processor and its heap
    List<Fleet.Outcome<Object>> outcomes =
        Fleet.run(
            found.repositories(),
            1,
            (r, repo) -> {
              AdminTools.refuseQuarantine(io, repo);
              return verify
                  ? Verifier.run(repo, AdminTools.progress(io))
                  : convert(repo, io, dryRun);
            },
            io.err());
    FleetReport report = new FleetReport(root.toString(), verify, dryRun, found, outcomes);
    io.out().print(cl.hasOption("json") ? report.json() : report.text());
    return report.exitCode();
  }

  private int retire(Repository repo, String path, boolean dryRun, boolean json, Io io)
      throws Exception {
    Retirer.Result r;
    if (dryRun) {
      r = new Retirer(repo, io, clock, true).run();
    } else {
      try (AutoCloseable lock = AdminTools.lock(repo)) {
        r = new Retirer(repo, io, clock, false).run();
      }
    }
    io.out()
        .print(
            json
                ? RetireReport.json(path, dryRun, r)
                : RetireReport.text(path, dryRun, r, Invocation.of(io.env())));
    return r.stopped() == null ? OK : PROBLEMS;
  }
}
