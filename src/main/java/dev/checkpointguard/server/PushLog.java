package dev.checkpointguard.server;

import dev.checkpointguard.core.Messages;
import dev.checkpointguard.core.Verdict;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.eclipse.jgit.transport.PostReceiveHook;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Logs one line per push, once its commands have their final results (a post-receive hook, which
 * JGit calls after every push that sent commands, also when the pack was refused): repository,
 * user, address, and for each ref its command type, final result, and the guard's verdict, rule and
 * message where the guard spoke. Example:
 *
 * <pre>
 * push checkpoints.git user=alice from=127.0.0.1: refs/entire/checkpoints/v2/full/0000000000001 CREATE
 * REJECTED_OTHER_REASON verdict=reject rule=archive-threshold "checkpoint-guard: archived generation …"
 * </pre>
 *
 * Ref names and messages are escaped ({@link Messages#printable}); credentials never reach it.
 */
final class PushLog implements PostReceiveHook {
  static final Logger LOG = LoggerFactory.getLogger("dev.checkpointguard.server.push");

  private final String user;
  private final String address;
  private final Supplier<List<Verdict>> verdicts;
  private final PushEvents events;
  private final long startNanos;

  /**
   * @param verdicts the guard's verdicts of this push, empty when it judged nothing
   */
  PushLog(String user, String address, Supplier<List<Verdict>> verdicts) {
    this(user, address, verdicts, PushEvents.defaults(), System.nanoTime());
  }

  /**
   * @param events where the push's log record, duration and last-push time go
   * @param startNanos {@code events.ticker()} when the push began
   */
  PushLog(
      String user,
      String address,
      Supplier<List<Verdict>> verdicts,
      PushEvents events,
      long startNanos) {
    this.user = user;
    this.address = address;
    this.verdicts = verdicts;
    this.events = events;
    this.startNanos = startNanos;
  }

  @Override
  public void onPostReceive(ReceivePack rp, Collection<ReceiveCommand> successful) {
    long nanos = Math.max(0, events.ticker().getAsLong() - startNanos);
    String repo = repositoryName(rp);
    List<ReceiveCommand> commands = rp.getAllCommands();
    List<Verdict> judged = verdicts.get();
    ServerMetrics.PushResult result = result(commands);
    events.metrics().onPush(result, nanos);
    if (successful != null && !successful.isEmpty()) {
      events.pushed(repo);
    }
    if (events.format() == LogFormat.JSON) {
      String id = events.nextPushId();
      String time = events.clock().instant().toString();
      for (String line :
          JsonPushLog.lines(id, time, repo, user, address, commands, judged, nanos)) {
        events.jsonOut().println(line);
      }
      events.jsonOut().flush();
    } else {
      LOG.info(line(repo, user, address, commands, judged));
    }
  }

  /**
   * {@code ok} when every command was applied, {@code failed} when none was attempted, else
   * rejected.
   */
  static ServerMetrics.PushResult result(List<ReceiveCommand> commands) {
    if (commands == null
        || commands.isEmpty()
        || commands.stream().allMatch(c -> c.getResult() == ReceiveCommand.Result.NOT_ATTEMPTED)) {
      return ServerMetrics.PushResult.FAILED;
    }
    return commands.stream().allMatch(c -> c.getResult() == ReceiveCommand.Result.OK)
        ? ServerMetrics.PushResult.OK
        : ServerMetrics.PushResult.REJECTED;
  }

  /** The one log line of a push. */
  static String line(
      String repo,
      String user,
      String address,
      List<ReceiveCommand> commands,
      List<Verdict> verdicts) {
    Map<String, Verdict> byRef = new HashMap<>();
    for (Verdict v : verdicts) {
      byRef.put(v.ref(), v);
    }
    StringBuilder b = new StringBuilder("push ");
    b.append(repo)
        .append(" user=")
        .append(Messages.printable(user, 64))
        .append(" from=")
        .append(address);
    b.append(':');
    if (commands == null || commands.isEmpty()) {
      b.append(" no ref updates");
    }
    boolean nothingAttempted =
        commands != null
            && !commands.isEmpty()
            && commands.stream()
                .allMatch(c -> c.getResult() == ReceiveCommand.Result.NOT_ATTEMPTED);
    String sep = " ";
    for (ReceiveCommand c : commands == null ? List.<ReceiveCommand>of() : commands) {
      b.append(sep).append(Messages.printable(c.getRefName()));
      b.append(' ').append(c.getType()).append(' ').append(c.getResult());
      Verdict v = byRef.get(c.getRefName());
      if (v != null && v.outcome() != Verdict.Outcome.NOT_GUARDED) {
        b.append(" verdict=").append(v.outcome().name().toLowerCase(java.util.Locale.ROOT));
        if (v.outcome() == Verdict.Outcome.REJECT || v.outcome() == Verdict.Outcome.WARN) {
          b.append(" rule=").append(v.rule().id());
        }
      }
      String message = c.getMessage();
      if (message != null && !message.isEmpty()) {
        b.append(" \"").append(Messages.printable(message, 400)).append('"');
      }
      sep = "; ";
    }
    if (nothingAttempted) {
      // JGit calls the hook before it reports why: the pack was refused (limits, corrupt data).
      b.append(" (pack refused, nothing updated)");
    }
    return b.toString();
  }

  static String repositoryName(ReceivePack rp) {
    java.io.File dir = rp.getRepository().getDirectory();
    return dir == null ? "?" : dir.getName();
  }
}
