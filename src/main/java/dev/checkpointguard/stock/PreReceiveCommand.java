package dev.checkpointguard.stock;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.core.Messages;
import dev.checkpointguard.core.Verdict;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code checkpoint-guard pre-receive}: the stock-git {@code pre-receive} hook. Reads git's {@code
 * <old> <new> <ref>} lines from standard input, judges the guarded ones as one push, prints one
 * line per rejection or warning on standard error, and exits 1 when anything is rejected. Never
 * writes a ref.
 *
 * <p>With {@code --verdicts FILE} (per-ref mode, used with the {@code update} hook) it does not
 * reject the push: it writes one verdict per guarded line to FILE, prints only the warnings, and
 * exits 0; the {@code update} hook then refuses exactly the rejected refs.
 *
 * <p>An unexpected failure refuses the push with one line ({@link Messages#hookInternalError()})
 * and exit 1; its details go to {@code <GIT_DIR>/checkpoint-guard/hook.log}, not to the pusher.
 */
public final class PreReceiveCommand implements Command {
  @Override
  public String name() {
    return "pre-receive";
  }

  @Override
  public String summary() {
    return "stock-git pre-receive hook: judge the pushed v2 refs read from standard input";
  }

  @Override
  public String details() {
    return "Run by git receive-pack (through the hooks/pre-receive wrapper) in the repository, with the\n"
        + "pushed lines '<old-id> <new-id> <ref>' on standard input. Opens the repository from GIT_DIR,\n"
        + "GIT_OBJECT_DIRECTORY and GIT_ALTERNATE_OBJECT_DIRECTORIES (quarantined objects are visible),\n"
        + "reads settings from its git config (checkpointGuard.*), prints one line per rejection or\n"
        + "warning on standard error (also prefixed 'GL-HOOK-ERR: ' under GitLab), and exits 1 when\n"
        + "anything is rejected, 0 otherwise. A malformed input line refuses the whole push (exit 1).\n"
        + "A repository JGit cannot read (e.g. SHA-256) follows checkpointGuard.unreadableRepository:\n"
        + "reject (default) or accept.";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder()
            .longOpt("verdicts")
            .hasArg()
            .argName("FILE")
            .desc("per-ref mode: write the verdicts to FILE for the update hook and exit 0")
            .get());
    return o;
  }

  @Override
  public int run(CommandLine cl, Io io) throws UsageException, IOException {
    if (!cl.getArgList().isEmpty()) {
      throw new UsageException(
          "unexpected argument '" + Messages.printable(cl.getArgList().get(0)) + "'");
    }
    if (HookRepository.gitDir(io.env()) == null) {
      throw new UsageException("GIT_DIR is not set: run this as a git pre-receive hook");
    }
    try {
      return judge(cl, io);
    } catch (IOException | RuntimeException | Error e) {
      // e.g. an I/O failure naming server paths: the pusher sees one line, hook.log the details
      return StockGuard.internalError(io.err(), io.env(), name(), e);
    }
  }

  private int judge(CommandLine cl, Io io) throws IOException {
    List<HookInput.Line> lines = HookInput.read(io.in());
    boolean malformed = false;
    for (HookInput.Line l : lines) {
      if (!l.wellFormed()) {
        StockGuard.tell(
            io.err(), io.env(), Messages.malformedHookInput(l.lineNumber(), l.problem()), true);
        malformed = true;
      }
    }
    if (malformed) {
      return PROBLEMS;
    }
    List<StockGuard.Judgement> judgements = StockGuard.judge(lines, io.env());
    String verdictFile = cl.getOptionValue("verdicts");
    if (verdictFile != null) {
      writeVerdicts(Path.of(verdictFile).toAbsolutePath(), judgements);
    }
    boolean rejected = false;
    for (StockGuard.Judgement j : judgements) {
      if (j.outcome() == Verdict.Outcome.WARN) {
        StockGuard.tell(io.err(), io.env(), j.message(), false);
      } else if (j.rejected()) {
        rejected = true;
        if (verdictFile == null) {
          StockGuard.tell(io.err(), io.env(), j.message(), true);
        }
      }
    }
    return rejected && verdictFile == null ? PROBLEMS : OK;
  }

  /**
   * Writes {@code accept|reject <old> <new> <ref>[ <message>]}, one line per judged ref, atomically
   * (the update hook reads it with the shell's {@code read}).
   */
  static void writeVerdicts(Path file, List<StockGuard.Judgement> judgements) throws IOException {
    StringBuilder b = new StringBuilder();
    for (StockGuard.Judgement j : judgements) {
      b.append(j.rejected() ? "reject " : "accept ").append(j.line());
      if (j.rejected()) {
        b.append(' ').append(j.message());
      }
      b.append('\n');
    }
    StockGuard.writeAtomically(file, b.toString());
  }
}
