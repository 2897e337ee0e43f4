package dev.checkpointguard.stock;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Errors;
import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointPolicy;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.GuardSettings;
import dev.checkpointguard.core.Messages;
import dev.checkpointguard.core.RefChange;
import dev.checkpointguard.core.Rule;
import dev.checkpointguard.core.Verdict;
import dev.checkpointguard.jgit.RepositoryGuard;
import dev.checkpointguard.jgit.RepositoryRefs;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;

/**
 * The stock-git adapter shared by the {@code pre-receive} and {@code update} commands: turns hook
 * input lines into {@link RefChange}s, opens the repository from the hook environment, and asks the
 * one {@link CheckpointPolicy}. It decides nothing itself except what to do when the repository
 * cannot be read at all ({@link GuardSettings#unreadableRepository}).
 */
final class StockGuard {
  /** Set by GitLab's Gitaly for every hook it runs; its web UI shows lines that start with this. */
  static final String GITLAB_PREFIX = "GL-HOOK-ERR: ";

  private StockGuard() {}

  /**
   * The decision on one well-formed, guarded input line.
   *
   * @param line the input line
   * @param outcome {@code ACCEPT}, {@code WARN} or {@code REJECT}
   * @param message the line for the pusher; empty when accepted silently
   */
  record Judgement(HookInput.Line line, Verdict.Outcome outcome, String message) {
    boolean rejected() {
      return outcome == Verdict.Outcome.REJECT;
    }
  }

  /**
   * Judges one push against the repository of the hook environment, as one push. Archives of the
   * push never cover a {@code /full/current} reset in it: git applies a non-atomic push one ref at
   * a time (an existing ref's update before a new ref's create), so an archive of the push can fail
   * while the reset lands; only archives already on the server count (docs/stock-hook.md).
   *
   * <p>Every line is looked at, not only guarded names: a push to a symbolic ref updates its target
   * and is judged as that target. Under {@code GIT_NAMESPACE} the push is judged against the
   * namespace's refs.
   *
   * @param lines well-formed lines only
   * @param env the hook's environment ({@code GIT_DIR}, quarantine variables, {@code
   *     GIT_NAMESPACE})
   * @return one judgement per line the guard judged (guarded, or a symbolic ref to a guarded ref),
   *     in input order
   */
  static List<Judgement> judge(List<HookInput.Line> lines, Map<String, String> env)
      throws IOException {
    if (lines.isEmpty()) {
      return List.of();
    }
    File gitDir = HookRepository.gitDir(env);
    if (gitDir == null) {
      throw new IOException("GIT_DIR is not set: run this as a git hook");
    }
    List<HookInput.Line> guarded = new ArrayList<>();
    for (HookInput.Line l : lines) {
      if (l.guarded()) {
        guarded.add(l);
      }
    }
    for (HookInput.Line l : lines) {
      if (l.sha256()) {
        return guarded.isEmpty()
            ? List.of()
            : unreadable(guarded, gitDir, "it uses SHA-256 object ids, which JGit cannot read");
      }
    }
    Repository repo;
    try {
      repo = HookRepository.open(env);
    } catch (HookRepository.UnreadableRepositoryException e) {
      return guarded.isEmpty() ? List.of() : unreadable(guarded, gitDir, e.getMessage());
    }
    try (repo) {
      String prefix = RepositoryRefs.namespacePrefix(env.get(NAMESPACE));
      List<RefChange> changes = new ArrayList<>(lines.size());
      for (HookInput.Line l : lines) {
        changes.add(
            new RefChange(l.ref(), ObjectId.fromString(l.oldId()), ObjectId.fromString(l.newId())));
      }
      OnDiskIndex onDisk = new OnDiskIndex(ArchiveIndexFile.path(gitDir, prefix));
      ArchiveIndex index = new ArchiveIndex(new ArchiveIndex.Budget(INDEX_BUDGET));
      index.hints(onDisk);
      List<Verdict> verdicts =
          RepositoryGuard.judge(
              repo,
              changes,
              RepositoryGuard.Options.defaults()
                  .withNamespacePrefix(prefix)
                  .withIndex(index)
                  .withSamePushCover(CheckpointPolicy.SamePushCover.NONE));
      keepIndex(repo, prefix, changes, index, onDisk);
      List<Judgement> out = new ArrayList<>(lines.size());
      for (int i = 0; i < lines.size(); i++) {
        Verdict v = verdicts.get(i);
        if (v.outcome() == Verdict.Outcome.NOT_GUARDED) {
          continue;
        }
        out.add(new Judgement(lines.get(i), v.outcome(), v.message()));
        if (v.cause() != null && v.rule() == Rule.INTERNAL_ERROR) {
          logInternalError(gitDir, v);
        }
      }
      return out;
    }
  }

  /**
   * The on-disk archive index, opened (mapped and checked) only when the policy first asks for
   * holders: a push that loses nothing (an append, a metadata push) never touches the file.
   */
  private static final class OnDiskIndex implements ArchiveIndex.Hints {
    final Path path;
    private boolean opened;
    private ArchiveIndexFile file;

    OnDiskIndex(Path path) {
      this.path = path;
    }

    /** The file's index; null when it is missing or not a well-formed index. */
    ArchiveIndexFile file() {
      if (!opened) {
        opened = true;
        file = ArchiveIndexFile.open(path);
      }
      return file;
    }

    @Override
    public List<ArchiveIndex.Holder> holders(CheckpointSet ids) {
      ArchiveIndexFile f = file();
      return f == null ? List.of() : f.holders(ids);
    }
  }

  /** The most checkpoints the archive index of one hook run holds (about 30 MB at most). */
  static final long INDEX_BUDGET = 2_000_000;

  /**
   * Saves what this push read of the server's archives into the index file, when it read any that
   * the file did not hold at that tip. Only archives at the tip they had before the push are
   * written (never this push's own, whose objects are still in quarantine), so the file never names
   * an object the repository would not keep. Best effort: a file that cannot be written only costs
   * the next push reads.
   */
  private static void keepIndex(
      Repository repo,
      String prefix,
      List<RefChange> changes,
      ArchiveIndex index,
      OnDiskIndex onDisk) {
    try {
      ArchiveIndex.Snapshot memory = index.snapshot();
      Set<String> pushed = new HashSet<>();
      changes.forEach(c -> pushed.add(c.ref()));
      boolean readServer = false;
      for (String ref : memory.refs()) {
        readServer |= !pushed.contains(ref);
      }
      if (!readServer) {
        return;
      }
      Map<String, ObjectId> listing = RepositoryRefs.of(repo, prefix).archives();
      ArchiveIndexFile file = onDisk.file();
      Map<String, ObjectId> known = file == null ? Map.of() : file.tips();
      boolean news = false;
      for (int s = 0; s < memory.refs().size() && !news; s++) {
        String ref = memory.refs().get(s);
        ObjectId tip = memory.tips().get(s);
        news = tip.equals(listing.get(ref)) && !tip.equals(known.get(ref));
      }
      if (news) {
        ArchiveIndexFile.write(onDisk.path, listing, memory, file);
      }
    } catch (IOException | RuntimeException e) {
      // unwritable or full: the next push reads the archives again
    }
  }

  /** The environment variable git sets for a push into a namespace (gitnamespaces(7)). */
  static final String NAMESPACE = "GIT_NAMESPACE";

  /**
   * Writes {@code text} to {@code file} atomically (readers use the shell's {@code read}) and
   * removes files next to it that are older than {@link #STALE_FILES}: left over from pushes that
   * died.
   */
  static void writeAtomically(Path file, String text) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    pruneStale(dir);
    Path tmp = Files.createTempFile(dir, ".tmp-", ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** Verdict files older than this are left over from pushes that died. */
  static final Duration STALE_FILES = Duration.ofHours(1);

  private static void pruneStale(Path dir) {
    FileTime limit = FileTime.from(Instant.now().minus(STALE_FILES));
    List<Path> stale = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      files.forEach(
          p -> {
            try {
              if (Files.isRegularFile(p) && Files.getLastModifiedTime(p).compareTo(limit) < 0) {
                stale.add(p);
              }
            } catch (IOException e) {
              // raced with another push's cleanup
            }
          });
    } catch (IOException e) {
      return;
    }
    for (Path p : stale) {
      try {
        Files.deleteIfExists(p);
      } catch (IOException e) {
        // another push removed or holds it; harmless
      }
    }
  }

  /**
   * Every guarded line gets the repository's fallback choice; an invalid choice refuses (fail
   * closed).
   */
  private static List<Judgement> unreadable(
      List<HookInput.Line> guarded, File gitDir, String problem) throws IOException {
    GuardSettings.UnreadableRepository choice;
    String why = problem;
    try {
      choice = GuardSettings.unreadableRepository(HookRepository.localConfig(gitDir));
    } catch (GuardSettings.InvalidSettingsException
        | HookRepository.UnreadableRepositoryException e) {
      choice = GuardSettings.UnreadableRepository.REJECT;
      why = problem.equals(e.getMessage()) ? problem : problem + "; " + e.getMessage(); // said once
    }
    List<Judgement> out = new ArrayList<>(guarded.size());
    for (HookInput.Line l : guarded) {
      out.add(
          choice == GuardSettings.UnreadableRepository.ACCEPT
              ? new Judgement(
                  l, Verdict.Outcome.WARN, Messages.unreadableRepositoryAccepted(l.ref(), why))
              : new Judgement(
                  l, Verdict.Outcome.REJECT, Messages.unreadableRepositoryRefused(l.ref(), why)));
    }
    return out;
  }

  /** Where the details of internal errors go; the pusher only sees the short message. */
  static final String LOG_FILE = "checkpoint-guard/hook.log";

  private static void logInternalError(File gitDir, Verdict v) {
    log(gitDir, "could not check " + Messages.printable(v.ref()), v.cause());
  }

  /**
   * Appends {@code <time> <what>: <cause chain>} and the stack trace to {@code
   * <GIT_DIR>/checkpoint-guard/hook.log}. Best effort: a hook's standard error goes to the pusher,
   * so this is the only server-side record a stock hook has.
   */
  static void log(File gitDir, String what, Throwable cause) {
    File log = new File(gitDir, LOG_FILE);
    java.io.StringWriter trace = new java.io.StringWriter();
    cause.printStackTrace(new java.io.PrintWriter(trace));
    String entry =
        java.time.Instant.now()
            + " "
            + what
            + ": "
            + Errors.describe(cause)
            + System.lineSeparator()
            + trace;
    try {
      java.nio.file.Files.createDirectories(log.toPath().getParent());
      java.nio.file.Files.writeString(
          log.toPath(),
          entry,
          java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (IOException | RuntimeException e) {
      // nowhere else to report it; the push is refused either way
    }
  }

  /**
   * The outcome of a hook command that failed unexpectedly: the pusher gets one line without
   * details ({@link Messages#hookInternalError()}), the cause goes to the hook log, and the push is
   * refused.
   *
   * @return {@link dev.checkpointguard.command.Command#PROBLEMS}
   */
  static int internalError(
      PrintStream err, Map<String, String> env, String command, Throwable cause) {
    File gitDir = HookRepository.gitDir(env);
    if (gitDir != null) {
      log(gitDir, command + " failed", cause);
    }
    tell(err, env, Messages.hookInternalError(), true);
    return Command.PROBLEMS;
  }

  /** True when the hook runs under GitLab's Gitaly, which sets these for every custom hook. */
  static boolean underGitLab(Map<String, String> env) {
    return env.containsKey("GL_ID") || env.containsKey("GL_PROTOCOL");
  }

  /**
   * Prints one pusher-facing line on standard error (git relays it as {@code remote: …}); under
   * GitLab a rejection is printed a second time with the {@code GL-HOOK-ERR:} prefix its web UI
   * looks for.
   */
  static void tell(PrintStream err, Map<String, String> env, String message, boolean rejection) {
    err.println(message);
    if (rejection && underGitLab(env)) {
      err.println(GITLAB_PREFIX + message);
    }
  }
}
