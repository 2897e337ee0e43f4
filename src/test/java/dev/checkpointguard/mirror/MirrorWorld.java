package dev.checkpointguard.mirror;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.TestJson;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.ObjectWalk;
import org.eclipse.jgit.revwalk.RevObject;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * An unguarded upstream (a bare repository written by real {@code git push}es of the fixtures'
 * clients), a guarded mirror of it, and the bookkeeping of the mirror's invariant: every checkpoint
 * file (ID, path, blob) the mirror has ever seen, on its side or upstream's, is still on the mirror
 * after every sync.
 */
final class MirrorWorld {
  /** One checkpoint file as the invariant counts it. */
  record Seen(long id, String path, ObjectId blob) {}

  final Path root;
  final GitCli git;
  final Path upstream;
  Path mirror;
  final FixtureClock clock;
  final int threshold;
  private final Set<Seen> seen = new HashSet<>();
  private int clients;

  /**
   * What upstream URL the mirror syncs from (a path by default; tests switch to file:// or
   * http://).
   */
  String from;

  MirrorWorld(Path root, int threshold) {
    this(root, threshold, FixtureClock.DEFAULT_START);
  }

  /**
   * With the clients' clock starting at {@code start} (e.g. recent, for the guard's archive-age
   * rule).
   */
  MirrorWorld(Path root, int threshold, java.time.Instant start) {
    this.clock = new FixtureClock(start, java.time.Duration.ofSeconds(1));
    this.root = root;
    this.threshold = threshold;
    this.git = new GitCli(root.resolve("home"));
    this.upstream = root.resolve("upstream.git");
    this.mirror = root.resolve("mirror.git");
    git.run(root, "init", "-q", "--bare", upstream.toString()).expectOk();
    // an empty bare mirror with the guard's threshold; the first sync fills it
    try (Repository r = new FileRepositoryBuilder().setGitDir(mirror.toFile()).setBare().build()) {
      r.create(true);
      r.getConfig().setInt("checkpointGuard", null, "threshold", threshold);
      r.getConfig().save();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.from = upstream.toString();
  }

  ClientRepo client(ClientVersion v) {
    clients++;
    return ClientRepo.builder(v)
        .threshold(threshold)
        .seed(clients * 7919L)
        .clock(clock)
        .buildOnDisk(root.resolve("client-" + clients + ".git"));
  }

  /** The client's pre-push publication to upstream, which must succeed. */
  ClientProtocol.Run push(ClientRepo c) {
    ClientProtocol.Run r = new ClientProtocol(c, git, upstream.toString()).prePush();
    assertTrue(r.ok(), r.transcript());
    return r;
  }

  /** {@code git push <args>} from {@code c} to upstream (an arbitrary push, e.g. a stale force). */
  GitCli.Result gitPush(ClientRepo c, String... refspecs) {
    List<String> a = new ArrayList<>(List.of("push", "--porcelain", upstream.toString()));
    a.addAll(List.of(refspecs));
    return git.run(c.directory(), a).expectOk();
  }

  /** Runs {@code git <args>} in upstream. */
  GitCli.Result inUpstream(String... args) {
    return git.run(upstream, args).expectOk();
  }

  /** One sync in-process; records what the mirror saw first. */
  MirrorReport sync() throws Exception {
    return sync(MirrorSync.Listener.NONE);
  }

  MirrorReport sync(MirrorSync.Listener listener) throws Exception {
    observe();
    try (Repository r = open(mirror)) {
      MirrorSync.Options o = MirrorSync.Options.defaults(git.environment()).withListener(listener);
      return MirrorSync.run(r, Upstream.parse(from), o);
    }
  }

  /** The CLI's outcome. */
  record Cli(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  /**
   * {@code checkpoint-guard <args>} in-process (as {@code main} runs it), with the tests'
   * environment.
   */
  Cli cli(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            git.environment());
    int exit = new Main(io).run(args);
    return new Cli(
        exit, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /**
   * {@code checkpoint-guard mirror --repo <mirror> --from <from> <extra>}, recording what was seen.
   */
  Cli mirrorCli(String... extra) {
    observe();
    List<String> a =
        new ArrayList<>(List.of("mirror", "--repo", mirror.toString(), "--from", from));
    a.addAll(List.of(extra));
    return cli(a.toArray(String[]::new));
  }

  static Repository open(Path dir) throws IOException {
    return new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
  }

  /** Every ref of a repository (symbolic ones resolved), by name. */
  static Map<String, ObjectId> refs(Path dir) {
    try (Repository r = open(dir)) {
      Map<String, ObjectId> out = new TreeMap<>();
      for (Ref ref : r.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
        if (ref.getObjectId() != null) {
          out.put(ref.getName(), ref.getObjectId());
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The refs of {@code dir} a sync takes from upstream (outside refs/checkpoint-guard/). */
  static Map<String, ObjectId> mirrored(Path dir) {
    Map<String, ObjectId> out = new TreeMap<>(refs(dir));
    out.keySet().removeIf(n -> !MirrorRefs.isMirrored(n));
    return out;
  }

  static Map<String, ObjectId> nonV2(Map<String, ObjectId> refs) {
    Map<String, ObjectId> out = new TreeMap<>(refs);
    out.keySet().removeIf(RefNames::isV2);
    return out;
  }

  static Map<String, ObjectId> v2(Map<String, ObjectId> refs) {
    Map<String, ObjectId> out = new TreeMap<>(refs);
    out.keySet().removeIf(n -> !RefNames.isV2(n));
    return out;
  }

  /**
   * Adds every checkpoint file of upstream's and the mirror's v2 tips to what the mirror has seen.
   */
  void observe() {
    seen.addAll(files(upstream, v2(refs(upstream)).values()));
    seen.addAll(files(mirror, v2(refs(mirror)).values()));
  }

  int seenCount() {
    return seen.size();
  }

  /** Checkpoint files of the tip trees of {@code tips} in {@code dir}. */
  static Set<Seen> files(Path dir, Iterable<ObjectId> tips) {
    Set<Seen> out = new HashSet<>();
    try (Repository r = open(dir);
        ObjectReader reader = r.newObjectReader();
        RevWalk w = new RevWalk(reader)) {
      CheckpointFiles cf = new CheckpointFiles(reader);
      MirrorPlanner p = new MirrorPlanner(w, cf, null, null, java.time.Instant.EPOCH);
      for (ObjectId tip : tips) {
        for (Map.Entry<Long, ObjectId> d : cf.dirs(p.treeOf(tip)).entrySet()) {
          for (CheckpointFiles.Entry f : cf.files(d.getValue()).values()) {
            out.add(new Seen(d.getKey(), f.path(), f.blob()));
          }
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The invariant: every (ID, path) the mirror has seen is in the tip of some ref of the mirror
   * (its v2 refs or its own refs/checkpoint-guard/mirror/), and every blob it has seen is reachable
   * from its refs.
   */
  void assertNothingLost() {
    Map<String, ObjectId> all = refs(mirror);
    List<ObjectId> tips = new ArrayList<>();
    all.forEach(
        (n, id) -> {
          if (RefNames.isV2(n) || n.startsWith(MirrorRefs.PREFIX)) {
            tips.add(id);
          }
        });
    Set<String> paths = new HashSet<>();
    for (Seen s : files(mirror, tips)) {
      paths.add(s.id() + "/" + s.path());
    }
    Set<ObjectId> reachable = reachableBlobs(mirror);
    List<String> missing = new ArrayList<>();
    for (Seen s : seen) {
      if (!paths.contains(s.id() + "/" + s.path()) || !reachable.contains(s.blob())) {
        missing.add(CheckpointIds.format(s.id()) + "/" + s.path() + " " + s.blob().name());
      }
    }
    assertEquals(
        List.of(), missing, "checkpoint files the mirror saw and lost (of " + seen.size() + ")");
  }

  static Set<ObjectId> reachableBlobs(Path dir) {
    Set<ObjectId> out = new HashSet<>();
    try (Repository r = open(dir);
        ObjectWalk w = new ObjectWalk(r)) {
      for (Ref ref : r.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
        if (ref.getObjectId() != null) {
          w.markStart(w.parseAny(ref.getObjectId()));
        }
      }
      while (w.next() != null) {
        // commits
      }
      RevObject o;
      while ((o = w.nextObject()) != null) {
        if (o.getType() == Constants.OBJ_BLOB) {
          out.add(o.copy());
        }
      }
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every ref outside v2 (and outside the guard's own namespace) equals upstream's. */
  void assertOtherRefsEqualUpstream() {
    assertEquals(nonV2(mirrored(upstream)), nonV2(mirrored(mirror)), "refs outside v2");
  }

  /** The mirror equals upstream, v2 refs included. */
  void assertEqualsUpstream() {
    assertEquals(mirrored(upstream), mirrored(mirror), "every mirrored ref");
  }

  /**
   * {@code check --json} of the mirror: its exit code is 0 unless {@code errors} are expected, its
   * error findings are exactly {@code errors} (code → ref), and its {@code mirror-held-back}
   * findings name exactly {@code heldBack}. Returns the findings, for further checks.
   */
  @SuppressWarnings("unchecked")
  List<Map<String, Object>> assertCheck(Set<String> heldBack, Map<String, String> errors) {
    Cli r = cli("check", "--repo", mirror.toString(), "--json");
    Map<String, Object> doc = (Map<String, Object>) TestJson.parse(r.out());
    List<Map<String, Object>> findings = (List<Map<String, Object>>) doc.get("findings");
    Set<String> held = new java.util.TreeSet<>();
    Map<String, String> errs = new TreeMap<>();
    for (Map<String, Object> f : findings) {
      List<String> refs = (List<String>) f.get("refs");
      if (f.get("code").equals("mirror-held-back")) {
        held.add(refs.get(0));
      }
      if (f.get("severity").equals("error")) {
        errs.put((String) f.get("code"), refs.isEmpty() ? "" : refs.get(0));
      }
    }
    assertEquals(new java.util.TreeSet<>(heldBack), held, r.out());
    assertEquals(new TreeMap<>(errors), errs, r.out());
    assertEquals(errors.isEmpty() ? 0 : 1, r.exit(), r.toString());
    return findings;
  }

  /** A map of which refs differ (for messages). */
  static Map<String, String> diff(Map<String, ObjectId> a, Map<String, ObjectId> b) {
    Map<String, String> out = new TreeMap<>();
    Set<String> names = new HashSet<>(a.keySet());
    names.addAll(b.keySet());
    for (String n : names) {
      if (!java.util.Objects.equals(a.get(n), b.get(n))) {
        out.put(n, a.get(n) + " vs " + b.get(n));
      }
    }
    return out;
  }

  static Map<String, Integer> counts(MirrorReport r) {
    Map<String, Integer> out = new HashMap<>();
    for (RefAction a : r.actions()) {
      out.merge(a.kind().id(), 1, Integer::sum);
    }
    return out;
  }
}
