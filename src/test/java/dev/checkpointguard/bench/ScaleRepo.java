package dev.checkpointguard.bench;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.TestJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.internal.storage.file.PackInserter;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.TreeFormatter;
import org.eclipse.jgit.transport.ReceiveCommand;

/**
 * Generates a large damaged v2 server repository for the {@code check}/{@code repair} benchmarks:
 * by default 100,000 archived checkpoints in 900 healthy archives of 100 and 1,000 under-threshold
 * archives of 10 (the v0.6.0 migration bug of spec §9, one small archive per migration run holding
 * that run's newest checkpoints), a {@code /full/current} with a few checkpoints, and {@code /main}
 * holding every checkpoint with its metadata and {@code created_at} (spec §4 layout, last session's
 * {@code created_at} one minute apart, in the same order as the archive numbers).
 *
 * <p>A test utility, not a shipped command: it writes fabricated checkpoints, which no
 * administrator should be able to do to a real repository by mistake, and it reuses the test
 * fixtures' encoders ({@link ClientRepo#goTime}, {@link ClientRepo#generationJson}, {@link
 * ClientRepo#sha256}).
 *
 * <p>Fast by construction: trees are built bottom-up straight through two {@link PackInserter}s
 * (one pack each, no loose objects, no per-checkpoint commit or ref update), and all refs go into
 * {@code packed-refs} in one atomic batch. Transcript blobs ({@code raw_transcript} in {@code
 * /full/*}, {@code transcript.jsonl} in {@code /main}) go to a pack of their own, named in {@link
 * #PROPERTIES}, so a benchmark can move that pack away and prove that a command never reads a
 * transcript.
 *
 * <p>Usage: {@code ScaleRepo DIR [healthy small currentCount]}; DIR must not exist.
 */
public final class ScaleRepo {
  /** File in the repository directory recording the shape and the transcript pack. */
  public static final String PROPERTIES = "scale-repo.properties";

  /** Base of the {@code created_at} times: checkpoint i was created {@code i} minutes later. */
  private static final Instant EPOCH = Instant.parse("2026-01-05T08:00:00Z");

  /**
   * The shape of a generated repository.
   *
   * @param healthy archives of {@code perHealthy} checkpoints
   * @param small under-threshold archives of {@code perSmall} checkpoints
   * @param current checkpoints in {@code /full/current}
   */
  public record Shape(int healthy, int perHealthy, int small, int perSmall, int current) {
    /** The issue's repository: 900 × 100 + 1,000 × 10 archived, 5 in {@code /full/current}. */
    public static final Shape ISSUE = new Shape(900, 100, 1000, 10, 5);

    public int archived() {
      return healthy * perHealthy + small * perSmall;
    }
  }

  /** What was generated. */
  public record Result(Path dir, Shape shape, String transcriptPack, int objects, long millis) {}

  private ScaleRepo() {}

  public static void main(String[] args) throws IOException {
    if (args.length != 1 && args.length != 4) {
      System.err.println("usage: ScaleRepo DIR [healthy small current]");
      System.exit(2);
    }
    Shape s =
        args.length == 1
            ? Shape.ISSUE
            : new Shape(
                Integer.parseInt(args[1]),
                100,
                Integer.parseInt(args[2]),
                10,
                Integer.parseInt(args[3]));
    Result r = generate(Path.of(args[0]), s);
    System.out.printf(
        "generated %s: %d archived checkpoints (%d x %d + %d x %d), %d in /full/current,"
            + " %d objects, in %.1f s; transcripts in %s%n",
        r.dir(),
        s.archived(),
        s.healthy(),
        s.perHealthy(),
        s.small(),
        s.perSmall(),
        s.current(),
        r.objects(),
        r.millis() / 1000.0,
        r.transcriptPack());
  }

  /** Writes the repository into {@code dir}, which must not exist yet. */
  public static Result generate(Path dir, Shape shape) throws IOException {
    long t0 = System.nanoTime();
    if (Files.exists(dir)) {
      throw new IOException(dir + " exists already");
    }
    FileRepository repo = new FileRepository(dir.toFile());
    repo.create(true);
    int total = shape.archived() + shape.current();
    long[] ids = distinctIds(new SplittableRandom(2026), total);
    // Migration runs, oldest first: a run archives `perHealthy` batches, then its remainder (the
    // bug).
    List<long[]> archives = new ArrayList<>();
    List<Boolean> healthy = new ArrayList<>();
    int next = 0;
    int healthyLeft = shape.healthy();
    for (int run = 0; run < shape.small(); run++) {
      int batches = (healthyLeft + (shape.small() - run) - 1) / (shape.small() - run);
      for (int b = 0; b < batches; b++) {
        archives.add(Arrays.copyOfRange(ids, next, next + shape.perHealthy()));
        healthy.add(true);
        next += shape.perHealthy();
      }
      healthyLeft -= batches;
      archives.add(Arrays.copyOfRange(ids, next, next + shape.perSmall()));
      healthy.add(false);
      next += shape.perSmall();
    }
    for (; healthyLeft > 0; healthyLeft--) {
      archives.add(Arrays.copyOfRange(ids, next, next + shape.perHealthy()));
      healthy.add(true);
      next += shape.perHealthy();
    }
    long[] current = Arrays.copyOfRange(ids, next, next + shape.current());
    Map<Long, Integer> order = new HashMap<>(total * 2);
    for (int i = 0; i < total; i++) {
      order.put(ids[i], i);
    }

    List<ReceiveCommand> refs = new ArrayList<>();
    int[] objects = {0};
    ObjectId[] firstTranscript = new ObjectId[1];
    ObjectDirectory odb = (ObjectDirectory) repo.getObjectDatabase();
    try (PackInserter main = odb.newPackInserter();
        PackInserter transcripts = odb.newPackInserter()) {
      main.checkExisting(false);
      transcripts.checkExisting(false);
      TreeWriter w = new TreeWriter(main);
      TreeWriter tw = new TreeWriter(transcripts);
      // /full/* checkpoint directories: one session with its raw transcript and hash
      Map<Long, ObjectId> fullDir = new HashMap<>(total * 2);
      Map<Long, ObjectId> mainDir = new HashMap<>(total * 2);
      for (int i = 0; i < total; i++) {
        long id = ids[i];
        String cp = CheckpointIds.format(id);
        Instant created = created(i);
        String raw = transcript(cp, created);
        ObjectId rawBlob = tw.blob(raw);
        if (i == 0) {
          firstTranscript[0] = rawBlob;
        }
        ObjectId session = w.fullSession(rawBlob, w.blob(ClientRepo.sha256(raw)));
        fullDir.put(id, w.oneSession(session));
        mainDir.put(id, mainCheckpoint(w, tw, cp, created));
        objects[0] += 10;
      }
      long base = EPOCH.getEpochSecond();
      for (int a = 0; a < archives.size(); a++) {
        long[] cps = sorted(archives.get(a));
        String ref = RefNames.archive(a + 1L);
        Instant[] range = range(cps, order);
        ObjectId gen = w.blob(ClientRepo.generationJson(range[0], range[1]));
        ObjectId tree = w.shardedTree(cps, fullDir::get, gen);
        long when = range[1].getEpochSecond() + 60;
        ObjectId tip;
        if (healthy.get(a)) {
          // a rotation: Archive generation on the last Checkpoint commit of its generation
          ObjectId start =
              w.commit(w.emptyTree(), "Start generation", range[0].getEpochSecond() - 1);
          ObjectId last =
              w.commit(
                  w.shardedTree(cps, fullDir::get, null),
                  "Checkpoint: "
                      + CheckpointIds.format(archives.get(a)[archives.get(a).length - 1])
                      + "\n",
                  range[1].getEpochSecond(),
                  start);
          tip = w.commit(tree, "Archive generation", when, last);
          objects[0] += 4;
        } else {
          tip = w.commit(tree, "Archive migrated generation: " + ref + "\n", when);
        }
        objects[0] += 3 + cps.length / 2;
        refs.add(new ReceiveCommand(ObjectId.zeroId(), tip, ref));
      }
      long cur0 = base + total * 60L;
      ObjectId start = w.commit(w.emptyTree(), "Start generation", cur0);
      ObjectId curTip =
          w.commit(
              w.shardedTree(sorted(current), fullDir::get, null),
              "Checkpoint: " + CheckpointIds.format(current[current.length - 1]) + "\n",
              cur0 + 60,
              start);
      refs.add(new ReceiveCommand(ObjectId.zeroId(), curTip, RefNames.CURRENT));
      ObjectId init = w.commit(w.emptyTree(), "Initialize v2 ref", base - 3600);
      ObjectId mainTip =
          w.commit(
              w.shardedTree(sorted(ids), mainDir::get, null),
              "Migrate batch: " + total + " checkpoint(s), " + total + " session(s)\n",
              cur0 + 120,
              init);
      refs.add(new ReceiveCommand(ObjectId.zeroId(), mainTip, RefNames.MAIN));
      main.flush();
      transcripts.flush();
    }
    String transcriptPack = packHolding(odb, firstTranscript[0]);
    BenchRepos.createRefs(repo, refs);
    repo.close();
    Properties p = new Properties();
    p.setProperty("healthy", Integer.toString(shape.healthy()));
    p.setProperty("small", Integer.toString(shape.small()));
    p.setProperty("current", Integer.toString(shape.current()));
    p.setProperty("transcriptPack", transcriptPack);
    try (var out = Files.newBufferedWriter(dir.resolve(PROPERTIES))) {
      p.store(out, "generated by dev.checkpointguard.bench.ScaleRepo");
    }
    return new Result(dir, shape, transcriptPack, objects[0], (System.nanoTime() - t0) / 1_000_000);
  }

  /** {@code /main} checkpoint directory (spec §4): summary, and session 0 with its files. */
  private static ObjectId mainCheckpoint(TreeWriter w, TreeWriter tw, String cp, Instant created)
      throws IOException {
    String compact = event("user", created.minusSeconds(60), "compact " + cp);
    TreeFormatter session = new TreeFormatter();
    session.append(
        "metadata.json",
        FileMode.REGULAR_FILE,
        w.blob(
            TestJson.indented(
                g -> {
                  g.writeStartObject();
                  g.writeStringField("checkpoint_id", cp);
                  g.writeStringField("session_id", "session-" + cp + "-0");
                  g.writeStringField("created_at", ClientRepo.goTime(created));
                  g.writeStringField("agent", "Claude Code");
                  g.writeBooleanField("is_task", false);
                  g.writeStringField("cli_version", "0.6.0");
                  g.writeEndObject();
                })));
    session.append("prompt.txt", FileMode.REGULAR_FILE, w.blob("prompt of " + cp));
    session.append("transcript.jsonl", FileMode.REGULAR_FILE, tw.blob(compact));
    session.append(
        "transcript_hash.txt", FileMode.REGULAR_FILE, w.blob(ClientRepo.sha256(compact)));
    TreeFormatter t = new TreeFormatter();
    t.append("0", FileMode.TREE, w.inserter().insert(session));
    t.append(
        "metadata.json", FileMode.REGULAR_FILE, w.blob(ClientRepo.summaryJson("0.6.0", cp, 1)));
    return w.inserter().insert(t);
  }

  /** A raw transcript of two JSON lines with {@code timestamp}s before {@code created}. */
  private static String transcript(String cp, Instant created) {
    return event("user", created.minusSeconds(120), "prompt for " + cp)
        + event("assistant", created.minusSeconds(10), "reply for " + cp);
  }

  /** One transcript line: a JSON object with {@code type}, {@code timestamp} and {@code text}. */
  private static String event(String type, Instant at, String text) {
    return TestJson.compact(
        g -> {
          g.writeStartObject();
          g.writeStringField("type", type);
          g.writeStringField("timestamp", ClientRepo.goTime(at));
          g.writeStringField("text", text);
          g.writeEndObject();
        });
  }

  private static Instant created(int i) {
    return EPOCH.plusSeconds(60L * i);
  }

  private static Instant[] range(long[] cps, Map<Long, Integer> order) {
    int lo = Integer.MAX_VALUE;
    int hi = Integer.MIN_VALUE;
    for (long id : cps) {
      int i = order.get(id);
      lo = Math.min(lo, i);
      hi = Math.max(hi, i);
    }
    return new Instant[] {created(lo), created(hi)};
  }

  private static long[] sorted(long[] a) {
    long[] s = a.clone();
    Arrays.sort(s);
    return s;
  }

  /** {@code n} distinct random IDs in creation order (not sorted). */
  private static long[] distinctIds(SplittableRandom rnd, int n) {
    java.util.HashSet<Long> seen = new java.util.HashSet<>(n * 2);
    long[] out = new long[n];
    for (int i = 0; i < n; ) {
      long id = rnd.nextLong() & 0xffff_ffff_ffffL;
      if (seen.add(id)) {
        out[i++] = id;
      }
    }
    return out;
  }

  private static String packHolding(ObjectDirectory odb, ObjectId blob) throws IOException {
    for (var pack : odb.getPacks()) {
      if (pack.hasObject(blob)) {
        return pack.getPackFile().getName();
      }
    }
    throw new IOException("no pack holds " + blob.name());
  }
}
