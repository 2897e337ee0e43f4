package dev.checkpointguard.bench;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.mirror.MirrorReport;
import dev.checkpointguard.mirror.MirrorSync;
import dev.checkpointguard.mirror.Upstream;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * The mirror benchmark of BENCHMARKS.md ({@code bench/mirror.sh}): on the 1,900-archive scale
 * repository, side by side in one run, a guarded sync ({@code MirrorSync} in this warm JVM, as
 * {@code serve --mirrors} runs it) against C git's {@code git fetch --prune} of an identical {@code
 * clone --mirror}:
 *
 * <ol>
 *   <li>nothing new upstream;
 *   <li>one rotation upstream since the last sync (a new archive of 100 checkpoints, 95 of them
 *       new, the reset of {@code /full/current}, and {@code /main} with the new checkpoints).
 * </ol>
 *
 * Runs alternate (which tool goes first flips every run); the medians and their ratio are printed.
 * The cold command line ({@code java -jar checkpoint-guard.jar mirror}, a new JVM each time) is
 * measured too, for the cron use.
 *
 * <p>Usage: {@code MirrorBench TEMPLATE WORKDIR JAR [runs]}: TEMPLATE is the scale repository
 * ({@code bench/scale.sh} makes it), WORKDIR an empty folder, JAR the shaded jar.
 */
public final class MirrorBench {
  private MirrorBench() {}

  public static void main(String[] args) throws Exception {
    if (args.length < 3) {
      System.err.println("usage: MirrorBench TEMPLATE WORKDIR JAR [runs]");
      System.exit(2);
    }
    Path template = Path.of(args[0]);
    Path work = Path.of(args[1]);
    Path jar = Path.of(args[2]);
    int runs = args.length > 3 ? Integer.parseInt(args[3]) : 11;
    Path upstream = work.resolve("upstream.git");
    Path gitMirror = work.resolve("git-mirror.git");
    Path guarded = work.resolve("guarded-mirror.git");
    git(work, "clone", "-q", "--mirror", template.toString(), upstream.toString());
    git(work, "clone", "-q", "--mirror", upstream.toString(), gitMirror.toString());
    git(work, "clone", "-q", "--mirror", upstream.toString(), guarded.toString());
    Map<String, String> env = new HashMap<>(System.getenv());
    Upstream up = Upstream.parse(upstream.toString());
    try (Repository repo = open(guarded);
        Repository upRepo = open(upstream)) {
      System.out.printf(
          "mirror benchmark: %d refs upstream, %d runs each%n",
          repo.getRefDatabase().getRefs().size(), runs);
      // warm-up: JIT and page cache for both
      for (int i = 0; i < 5; i++) {
        sync(repo, up, env, 0);
        git(gitMirror, "fetch", "-q", "--prune");
      }
      List<Long> gitNothing = new ArrayList<>();
      List<Long> syncNothing = new ArrayList<>();
      for (int i = 0; i < runs; i++) {
        if (i % 2 == 0) {
          gitNothing.add(git(gitMirror, "fetch", "-q", "--prune"));
          syncNothing.add(sync(repo, up, env, 0));
        } else {
          syncNothing.add(sync(repo, up, env, 0));
          gitNothing.add(git(gitMirror, "fetch", "-q", "--prune"));
        }
      }
      // the command line: a new JVM per sync (C1 only, serial GC), without and with an AppCDS
      // archive of
      // its classes (made by one training run, as install.sh does for the hooks)
      String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
      List<String> cmd =
          List.of("mirror", "--repo", guarded.toString(), "--from", upstream.toString());
      List<String> jvm =
          List.of(java, "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-XX:-UsePerfData");
      Path jsa = work.resolve("mirror.jsa");
      List<String> train = new ArrayList<>(jvm);
      train.addAll(List.of("-XX:ArchiveClassesAtExit=" + jsa, "-jar", jar.toString()));
      train.addAll(cmd);
      run(work, train);
      List<Long> cli = new ArrayList<>();
      List<Long> cliCds = new ArrayList<>();
      for (int i = 0; i < Math.max(3, runs / 2); i++) {
        List<String> plain = new ArrayList<>(jvm);
        plain.addAll(List.of("-jar", jar.toString()));
        plain.addAll(cmd);
        cli.add(run(work, plain));
        List<String> cds = new ArrayList<>(jvm);
        cds.addAll(
            List.of("-XX:SharedArchiveFile=" + jsa, "-Xlog:cds=off", "-jar", jar.toString()));
        cds.addAll(cmd);
        cliCds.add(run(work, cds));
      }
      List<Long> gitRotation = new ArrayList<>();
      List<Long> syncRotation = new ArrayList<>();
      SplittableRandom rnd = new SplittableRandom(2027);
      for (int i = 0; i < runs; i++) {
        rotate(upRepo, rnd, 100, i);
        if (i % 2 == 0) {
          gitRotation.add(git(gitMirror, "fetch", "-q", "--prune"));
          syncRotation.add(sync(repo, up, env, 3));
        } else {
          syncRotation.add(sync(repo, up, env, 3));
          gitRotation.add(git(gitMirror, "fetch", "-q", "--prune"));
        }
      }
      if (!refs(upstream).equals(refs(guarded)) || !refs(upstream).equals(refs(gitMirror))) {
        throw new IllegalStateException("a mirror differs from upstream after the runs");
      }
      System.out.printf(
          "%-58s %10s %10s %8s%n", "what (median of " + runs + ")", "git ms", "sync ms", "ratio");
      row("nothing new: git fetch --prune vs sync (warm JVM)", gitNothing, syncNothing);
      row("one rotation: git fetch --prune vs sync (warm JVM)", gitRotation, syncRotation);
      System.out.printf(
          "%-58s %10s %10.1f %8.2f%n",
          "nothing new: checkpoint-guard mirror, new JVM each run",
          "",
          median(cli) / 1e6,
          median(cli) / (double) median(gitNothing));
      System.out.printf(
          "%-58s %10s %10.1f %8.2f%n",
          "nothing new: the same with an AppCDS archive",
          "",
          median(cliCds) / 1e6,
          median(cliCds) / (double) median(gitNothing));
    }
  }

  private static void row(String what, List<Long> git, List<Long> sync) {
    double g = median(git) / 1e6;
    double s = median(sync) / 1e6;
    System.out.printf("%-58s %10.1f %10.1f %8.2f%n", what, g, s, s / g);
  }

  private static long sync(Repository repo, Upstream up, Map<String, String> env, int changes)
      throws Exception {
    long t0 = System.nanoTime();
    MirrorReport r = MirrorSync.run(repo, up, MirrorSync.Options.defaults(env));
    long t = System.nanoTime() - t0;
    if (r.exitCode() != 0 || r.changed() != changes) {
      throw new IllegalStateException("unexpected sync result:\n" + r.text());
    }
    return t;
  }

  private static long git(Path dir, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of("git"));
    cmd.addAll(Arrays.asList(args));
    return run(dir, cmd);
  }

  private static long run(Path dir, List<String> cmd) throws Exception {
    long t0 = System.nanoTime();
    Process p =
        new ProcessBuilder(cmd)
            .directory(dir.toFile())
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    int code = p.waitFor();
    long t = System.nanoTime() - t0;
    if (code > 1) {
      throw new IllegalStateException(cmd + " exited " + code);
    }
    return t;
  }

  private static long median(List<Long> xs) {
    List<Long> s = new ArrayList<>(xs);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  private static Repository open(Path dir) throws IOException {
    return new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
  }

  private static Map<String, ObjectId> refs(Path dir) throws IOException {
    try (Repository r = open(dir)) {
      Map<String, ObjectId> out = new TreeMap<>();
      for (Ref ref : r.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
        out.put(ref.getName(), ref.getObjectId());
      }
      return out;
    }
  }

  /**
   * One client rotation upstream (spec §6.2), with the checkpoints written since: {@code n} new
   * checkpoints join {@code /full/current}'s into a new archive ({@code Archive generation}, parent
   * the old current, with {@code generation.json}), {@code /full/current} becomes an orphan {@code
   * Start generation}, and {@code /main} gets the new checkpoints.
   */
  static void rotate(Repository repo, SplittableRandom rnd, int n, int run) throws IOException {
    try (ObjectInserter ins = repo.newObjectInserter();
        ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      TreeWriter w = new TreeWriter(ins);
      CheckpointTrees trees = new CheckpointTrees(reader, null);
      Ref current = repo.exactRef(RefNames.CURRENT);
      Ref main = repo.exactRef(RefNames.MAIN);
      SortedMap<Long, ObjectId> cur =
          trees.directories(walk.parseCommit(current.getObjectId()).getTree());
      SortedMap<Long, ObjectId> mainDirs =
          new TreeMap<>(trees.directories(walk.parseCommit(main.getObjectId()).getTree()));
      long when = Instant.parse("2026-06-01T00:00:00Z").getEpochSecond() + run * 3600L;
      int fresh = n - cur.size();
      long[] ids = BenchRepos.randomIds(rnd, fresh);
      SortedMap<Long, ObjectId> archive = new TreeMap<>(cur);
      for (long id : ids) {
        ObjectId t =
            w.blob(
                "{\"timestamp\":\"2026-06-01T00:00:00Z\",\"text\":\""
                    + CheckpointIds.format(id)
                    + "\"}\n");
        archive.put(
            id, w.oneSession(w.fullSession(t, w.blob("sha256:" + CheckpointIds.format(id)))));
        mainDirs.put(id, w.oneSession(w.fullSession(t, t)));
      }
      long[] all = archive.keySet().stream().mapToLong(Long::longValue).toArray();
      ObjectId gen =
          w.blob(
              TreeWriter.generationJson(
                  Instant.ofEpochSecond(when - 3600), Instant.ofEpochSecond(when)));
      ObjectId archiveTree = w.shardedTree(all, archive::get, gen);
      ObjectId archiveCommit =
          w.commit(archiveTree, "Archive generation", when, current.getObjectId());
      ObjectId start = w.commit(w.emptyTree(), "Start generation", when);
      long[] mainIds = mainDirs.keySet().stream().mapToLong(Long::longValue).toArray();
      ObjectId mainCommit =
          w.commit(
              w.shardedTree(mainIds, mainDirs::get, null),
              "Checkpoint: batch\n",
              when,
              main.getObjectId());
      ins.flush();
      long next = 0;
      for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.FULL_PREFIX)) {
        next = Math.max(next, RefNames.archiveNumber(r.getName()));
      }
      org.eclipse.jgit.lib.BatchRefUpdate batch = repo.getRefDatabase().newBatchUpdate();
      batch.setAtomic(true);
      batch.setAllowNonFastForwards(true); // the reset of /full/current
      batch.addCommand(
          List.of(
              new ReceiveCommand(ObjectId.zeroId(), archiveCommit, RefNames.archive(next + 1)),
              new ReceiveCommand(current.getObjectId(), start, RefNames.CURRENT),
              new ReceiveCommand(main.getObjectId(), mainCommit, RefNames.MAIN)));
      batch.execute(walk, org.eclipse.jgit.lib.NullProgressMonitor.INSTANCE);
      for (ReceiveCommand c : batch.getCommands()) {
        if (c.getResult() != ReceiveCommand.Result.OK) {
          throw new IOException("rotating upstream: " + c.getRefName() + " " + c.getResult());
        }
      }
    }
  }
}
