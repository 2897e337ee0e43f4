package dev.checkpointguard.stock;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.core.Messages;
import dev.checkpointguard.core.Verdict;
import java.io.IOException;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Options;

/**
 * {@code checkpoint-guard update <ref> <old> <new>}: judges one ref update alone, as git's {@code
 * update} hook is called (once per ref, after the quarantine has been migrated).
 *
 * <p>The {@code hooks/update} wrapper normally does not start Java at all: it applies the verdict
 * that {@code pre-receive --verdicts} wrote for the whole push. This command is its fallback when
 * no such verdict exists (e.g. the pre-receive hook was not run). Alone, it sees the repository's
 * refs as they are when git calls it: in a non-atomic push, refs git handled earlier are already
 * updated (the git client sends updates of existing refs first, by name, then creations); in an
 * atomic push none are. A {@code /full/current} reset covered only by an archive created in the
 * same push is therefore refused here, never wrongly accepted.
 *
 * <p>An unexpected failure refuses the ref with one line ({@link Messages#hookInternalError()}) and
 * exit 1; its details go to {@code <GIT_DIR>/checkpoint-guard/hook.log}.
 */
public final class UpdateCommand implements Command {
  @Override
  public String name() {
    return "update";
  }

  @Override
  public String argsSyntax() {
    return "<ref> <old-id> <new-id>";
  }

  @Override
  public String summary() {
    return "stock-git update hook: judge one ref update on its own";
  }

  @Override
  public String details() {
    return "Run by git receive-pack (through the hooks/update wrapper) once per pushed ref. Prints the\n"
        + "rejection on standard error and exits 1 when the update is refused, 0 otherwise.";
  }

  @Override
  public Options options() {
    return new Options();
  }

  @Override
  public int run(CommandLine cl, Io io) throws UsageException, IOException {
    List<String> args = cl.getArgList();
    if (args.size() != 3) {
      throw new UsageException(
          "expected <ref> <old-id> <new-id>, got " + args.size() + " arguments");
    }
    if (HookRepository.gitDir(io.env()) == null) {
      throw new UsageException("GIT_DIR is not set: run this as a git update hook");
    }
    HookInput.Line line = HookInput.parse(1, args.get(1) + " " + args.get(2) + " " + args.get(0));
    if (!line.wellFormed()) {
      StockGuard.tell(io.err(), io.env(), Messages.malformedHookInput(1, line.problem()), true);
      return PROBLEMS;
    }
    List<StockGuard.Judgement> judgements;
    try {
      judgements = StockGuard.judge(List.of(line), io.env());
    } catch (IOException | RuntimeException | Error e) {
      // the pusher sees one line; hook.log has the details (they may name server paths)
      return StockGuard.internalError(io.err(), io.env(), name(), e);
    }
    int code = OK;
    for (StockGuard.Judgement j : judgements) {
      if (j.outcome() == Verdict.Outcome.WARN) {
        StockGuard.tell(io.err(), io.env(), j.message(), false);
      } else if (j.rejected()) {
        StockGuard.tell(io.err(), io.env(), j.message(), true);
        code = PROBLEMS;
      }
    }
    return code;
  }
}
