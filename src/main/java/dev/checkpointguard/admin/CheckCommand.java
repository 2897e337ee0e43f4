package dev.checkpointguard.admin;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.mirror.MirrorAudit;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jgit.lib.Repository;

/** {@code check}: a read-only audit of {@code refs/entire/checkpoints/v2/} (spec §9). */
public final class CheckCommand implements Command {
  @Override
  public String name() {
    return "check";
  }

  @Override
  public String summary() {
    return "audit the v2 checkpoint refs of a repository, or of every one below a folder (read-only)";
  }

  @Override
  public String details() {
    return "Exit 0 when healthy (warnings allowed), 1 when errors are found, 2 on usage errors.\n"
        + "The --json schema is documented in docs/admin.md.\n"
        + "--repos DIR audits every repository below DIR (bare, GitLab @hashed/, Gitea owner/name.git): one\n"
        + "line per repository and a summary, progress on standard error; exit 1 if any has errors or\n"
        + "cannot be read. Its --json schema is in docs/operations.md.\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    Option repo = AdminRepos.repoOption();
    repo.setRequired(false); // --repo or --repos, checked in run()
    o.addOption(repo);
    o.addOption(
        Option.builder()
            .longOpt("repos")
            .hasArg()
            .argName("DIR")
            .desc("audit every repository below DIR (fleet audit)")
            .get());
    o.addOption(AdminRepos.thresholdOption());
    o.addOption(
        Option.builder()
            .longOpt("jobs")
            .hasArg()
            .argName("N")
            .desc(
                "with --repos: repositories audited at once (default: the number of CPUs, at most 4)")
            .get());
    o.addOption(Option.builder().longOpt("json").desc("print the report as JSON").get());
    return o;
  }

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    if (cl.hasOption("repos") == cl.hasOption("repo")) {
      throw new UsageException(
          "give either --repo DIR (one repository) or --repos DIR (every repository below DIR)");
    }
    if (cl.hasOption("repos")) {
      return fleet(cl, io);
    }
    if (cl.hasOption("jobs")) {
      throw new UsageException("--jobs works with --repos");
    }
    try (Repository repo = AdminRepos.open(cl)) {
      int threshold = AdminRepos.threshold(cl, repo);
      Audit a = withMirrorNotes(repo, Audit.run(repo, threshold, new EtaProgressMonitor(io.err())));
      String path = cl.getOptionValue("repo");
      io.out()
          .print(
              cl.hasOption("json")
                  ? JsonReport.render(a, path)
                  : TextReport.render(a, path, Invocation.of(io.env())));
      return a.healthy() ? OK : PROBLEMS;
    }
  }

  /** {@code check --repos DIR}: every repository below DIR. */
  private static int fleet(CommandLine cl, Io io) throws Exception {
    java.nio.file.Path root = java.nio.file.Path.of(cl.getOptionValue("repos"));
    if (!java.nio.file.Files.isDirectory(root)) {
      throw new UsageException("--repos " + root + ": not a directory");
    }
    Integer threshold = null;
    if (cl.hasOption("threshold")) {
      java.util.OptionalInt t = GuardSettings.thresholdValue(cl.getOptionValue("threshold"));
      if (t.isEmpty()) {
        throw new UsageException(
            "--threshold "
                + cl.getOptionValue("threshold")
                + ": expected "
                + GuardSettings.THRESHOLD_EXPECTED);
      }
      threshold = t.getAsInt();
    }
    int jobs = Math.max(1, Math.min(4, Runtime.getRuntime().availableProcessors()));
    if (cl.hasOption("jobs")) {
      String v = cl.getOptionValue("jobs");
      try {
        jobs = Integer.parseInt(v);
      } catch (NumberFormatException e) {
        jobs = -1;
      }
      if (jobs < 1 || jobs > 64) {
        throw new UsageException("--jobs must be a whole number from 1 to 64, not '" + v + "'");
      }
    }
    FleetCheck f = FleetCheck.run(root, threshold, jobs, io.err());
    io.out().print(cl.hasOption("json") ? f.json() : f.text(Invocation.of(io.env())));
    return f.healthy() ? OK : PROBLEMS;
  }

  /**
   * {@code a} plus, on a mirror, what its last sync held back and the tips it keeps (warnings and
   * infos, docs/mirror.md): {@code check} and repair's closing check show them.
   */
  static Audit withMirrorNotes(Repository repo, Audit a) throws java.io.IOException {
    java.util.List<Audit.Finding> notes = new java.util.ArrayList<>();
    for (MirrorAudit.Note n : MirrorAudit.notes(repo)) {
      notes.add(
          new Audit.Finding(
              n.code(),
              n.warning() ? Audit.Severity.WARNING : Audit.Severity.INFO,
              n.refs(),
              n.checkpoints(),
              n.message()));
    }
    return a.plus(notes);
  }
}
