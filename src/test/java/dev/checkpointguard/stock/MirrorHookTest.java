package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.treewalk.TreeWalk;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock-git mirror hook ({@code install.sh --mirror}: {@code hooks/reference-transaction}) on a
 * real {@code git clone --mirror} kept up to date by real {@code git fetch --prune}: it never
 * refuses, it keeps what a fetch would lose in {@code checkpoint-guard/kept.git}, it starts no JVM
 * for transactions that touch no v2 ref, and gc, pack-refs, update-ref, receive-pack and clone
 * --mirror keep working.
 */
class MirrorHookTest extends StockHookFixture {
  private Path upstream;
  private Path mirror;
  private Path javaLog;
  private final Set<String> seen = new HashSet<>();
  private int clients;

  /**
   * The hook as install.sh --mirror wrote it, once for the class, with a java that notes every
   * start.
   */
  private static Path installedHook;

  private static Path sharedJavaLog;

  @BeforeAll
  static void installOnce(@TempDir Path dir) throws Exception {
    Path base = Files.createDirectories(dir.resolve("with space"));
    Path home = Files.createDirectories(base.resolve("home"));
    GitCli git = new GitCli(home, Duration.ofSeconds(90)).with("TMPDIR", home.toString());
    Path template = base.resolve("template.git");
    git.run(base, "init", "-q", "--bare", template.toString()).expectOk();
    sharedJavaLog = base.resolve("java starts.txt");
    Path java = base.resolve("jdk/bin/java");
    writeExecutable(
        java,
        "#!/bin/sh\necho \"$*\" >> '"
            + sharedJavaLog
            + "'\nexec '"
            + Path.of(System.getProperty("java.home"), "bin", "java")
            + "' \"$@\"\n");
    git.exec(
            base,
            null,
            List.of(
                "bash",
                installScript().toString(),
                "--jar",
                TestJar.get().toString(),
                "--prefix",
                base.resolve("prefix").toString(),
                "--java",
                java.toString(),
                "--no-cds",
                "--mirror",
                "--repo",
                template.toString()))
        .expectOk();
    installedHook = template.resolve("hooks/reference-transaction");
  }

  /**
   * An upstream and its {@code clone --mirror} with the hook: install.sh's copy of it (install.sh
   * itself is tested below and in InstallTest; the installed copy names the jar and java by
   * absolute paths).
   */
  private void setUpMirror() throws Exception {
    upstream = bare("upstream.git");
    mirror = root.resolve("mirror.git");
    cli.run(root, "clone", "-q", "--mirror", upstream.toString(), mirror.toString()).expectOk();
    Path hook = mirror.resolve("hooks/reference-transaction");
    Files.copy(installedHook, hook);
    Files.setPosixFilePermissions(
        hook, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    javaLog = sharedJavaLog;
    Files.deleteIfExists(javaLog);
  }

  private ClientRepo client() {
    clients++;
    return ClientRepo.builder(ClientVersion.V0_6_2)
        .threshold(5)
        .seed(clients * 31L)
        .buildOnDisk(root.resolve("c" + clients + ".git"));
  }

  private void publish(ClientRepo c) {
    ClientProtocol.Run r = new ClientProtocol(c, cli, upstream.toString()).prePush();
    assertTrue(r.ok(), r.transcript());
  }

  /** {@code git fetch --prune} in the mirror (its clone --mirror refspec +refs/*:refs/*). */
  private GitCli.Result fetch() {
    observe();
    GitCli.Result r = cli.run(mirror, "fetch", "--prune");
    assertEquals(0, r.exitCode(), r.toString());
    assertEquals(refs(upstream), refs(mirror), "the mirror follows upstream exactly");
    return r;
  }

  private int javaStarts() throws Exception {
    return Files.exists(javaLog) ? Files.readAllLines(javaLog).size() : 0;
  }

  @Test
  void appendsRotationsAndBranchesNeedNoJvmAndKeepNothing() throws Exception {
    setUpMirror();
    ClientRepo c = client();
    c.checkpoints(3);
    publish(c);
    ObjectId head = c.ref(RefNames.MAIN);
    cli.run(
            c.directory(),
            "push",
            "-q",
            upstream.toString(),
            head.name() + ":refs/heads/main",
            head.name() + ":refs/tags/v1")
        .expectOk();
    fetch();
    c.checkpoint();
    publish(c);
    cli.run(c.directory(), "push", "-q", upstream.toString(), ":refs/tags/v1").expectOk();
    fetch();
    assertEquals(0, javaStarts(), "fast-forwards, creates and deletes of other refs start no JVM");
    c.checkpoint(); // the fifth: rotates; the reset of /full/current is covered by the new archive
    publish(c);
    GitCli.Result r = fetch();
    assertEquals(1, javaStarts(), "the reset of /full/current is judged once");
    assertFalse(r.stderr().contains("checkpoint-guard"), r.toString());
    assertEquals(Map.of(), kept());
    assertNothingLost();
  }

  @Test
  void clientVersionsRecoveryMergesMigrationsAndBranchRewritesKeepNothing() throws Exception {
    setUpMirror();
    // v0.6.2 rotation-conflict recovery (§7.3 A): C rotates, D appended to the old current and
    // merges
    ClientRepo c = client();
    ClientRepo d = client();
    c.checkpoints(3);
    publish(c);
    cli.run(d.directory(), "fetch", "-q", upstream.toString(), "+refs/entire/*:refs/entire/*")
        .expectOk();
    fetch();
    c.checkpoints(2); // the fifth in /full/current: rotates
    publish(c);
    fetch();
    d.checkpoint();
    publish(d);
    fetch();
    // v0.5.4 (three pushes, merge after any failure) and v0.6.1 (one push) appending concurrently:
    // §7.3 B
    ClientRepo old =
        ClientRepo.builder(ClientVersion.V0_5_4)
            .threshold(5)
            .seed(101)
            .buildOnDisk(root.resolve("old.git"));
    ClientRepo mid =
        ClientRepo.builder(ClientVersion.V0_6_1)
            .threshold(5)
            .seed(102)
            .buildOnDisk(root.resolve("mid.git"));
    cli.run(old.directory(), "fetch", "-q", upstream.toString(), "+refs/entire/*:refs/entire/*")
        .expectOk();
    cli.run(mid.directory(), "fetch", "-q", upstream.toString(), "+refs/entire/*:refs/entire/*")
        .expectOk();
    old.checkpoint();
    publish(old);
    fetch();
    mid.checkpoint(); // rejected as non-fast-forward, merged, pushed again
    publish(mid);
    fetch();
    // v0.6.0's migration: an archive below the threshold lands upstream; nothing is lost by it
    ClientRepo bug =
        ClientRepo.builder(ClientVersion.V0_6_0)
            .threshold(5)
            .seed(103)
            .buildOnDisk(root.resolve("bug.git"));
    bug.migrate(3);
    cli.run(
            bug.directory(),
            "push",
            "-q",
            upstream.toString(),
            bug.latestArchive() + ":" + RefNames.archive(7))
        .expectOk();
    // branches rewritten and deleted
    ObjectId one = old.insertCommit(new FlatTree(), "one");
    ObjectId two = old.insertCommit(new FlatTree(), "two");
    cli.run(
            old.directory(),
            "push",
            "-q",
            upstream.toString(),
            one.name() + ":refs/heads/b",
            one.name() + ":refs/heads/gone")
        .expectOk();
    fetch();
    cli.run(
            old.directory(),
            "push",
            "-q",
            upstream.toString(),
            "+" + two.name() + ":refs/heads/b",
            ":refs/heads/gone")
        .expectOk();
    fetch();
    assertEquals(Map.of(), kept(), "nothing was lost, nothing is kept");
    assertNothingLost();
  }

  @Test
  void aStaleResetUpstreamIsFollowedAndTheDroppedTipKept() throws Exception {
    setUpMirror();
    ClientRepo a = client();
    a.checkpoints(2);
    publish(a);
    ClientRepo b = client();
    cli.run(b.directory(), "fetch", "-q", upstream.toString(), "+refs/entire/*:refs/entire/*")
        .expectOk();
    a.checkpoints(2);
    publish(a);
    fetch();
    ObjectId dropped = a.ref(RefNames.CURRENT);
    b.checkpoint();
    cli.run(b.directory(), "push", "-q", upstream.toString(), "+" + CURRENT + ":" + CURRENT)
        .expectOk();
    GitCli.Result r = fetch();
    Map<String, ObjectId> kept = kept();
    assertEquals(1, kept.size(), kept.toString());
    String name = kept.keySet().iterator().next();
    assertTrue(name.matches("refs/kept/\\d{8}T\\d{6}Z/" + CURRENT), name);
    assertEquals(dropped, kept.get(name));
    Path keep = mirror.resolve("checkpoint-guard/kept.git");
    assertTrue(
        r.stderr()
            .contains(
                "checkpoint-guard: kept "
                    + CURRENT
                    + " at "
                    + dropped.name()
                    + " (2 checkpoints, 4 files no other v2 ref holds) in "
                    + keep.toRealPath()
                    + " as "
                    + name),
        r.stderr());
    assertNothingLost();
    // check lists the kept tip (information: the mirror itself is healthy)
    GitCli.Result check =
        cli.exec(
            root,
            null,
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp",
                TestJar.get().toString(),
                "dev.checkpointguard.cli.Main",
                "check",
                "--repo",
                mirror.toString()));
    assertEquals(0, check.exitCode(), check.toString());
    assertTrue(
        check
            .stdout()
            .contains(
                "  info mirror-kept: checkpoint-guard/kept.git "
                    + name
                    + " keeps "
                    + CURRENT
                    + " at "
                    + dropped.abbreviate(10).name()
                    + " (4 checkpoints) that a fetch dropped; bring them back as"
                    + " docs/mirror.md says"),
        check.stdout());

    // gc, pack-refs --all, update-ref and a second fetch --prune: all work, nothing more is kept
    cli.run(mirror, "gc", "-q").expectOk();
    cli.run(mirror, "pack-refs", "--all").expectOk();
    cli.run(
            a.directory(),
            "push",
            "-q",
            upstream.toString(),
            a.ref(MAIN).name() + ":refs/heads/more")
        .expectOk();
    fetch();
    fetch();
    assertEquals(kept, kept());
    assertNothingLost();
    // a deletion by hand is kept too; its fetch back needs nothing
    ObjectId main = refs(mirror).get(MAIN);
    cli.run(mirror, "update-ref", "-d", MAIN).expectOk();
    assertTrue(kept().containsValue(main), kept().toString());
    fetch();

    // docs/mirror.md's recipe, run as printed: the kept checkpoints go back upstream, the mirror
    // follows
    String recipe = docsBlock("<!-- restore-current");
    recipe =
        recipe
            .replaceFirst("(?m)^UPSTREAM=.*$", "UPSTREAM='" + upstream + "'")
            .replaceFirst("(?m)^KEEP=.*$", "KEEP='" + keep + "'")
            .replaceFirst("(?m)^KEPT=.*$", "KEPT=" + name);
    cli.exec(root, null, List.of("sh", "-ec", recipe)).expectOk();
    fetch();
    Set<String> back = ids(refs(mirror).get(CURRENT));
    assertTrue(back.containsAll(ids(dropped)), back + " " + ids(dropped));
    assertNothingLost();
  }

  /** The fenced code block after {@code marker} in docs/mirror.md. */
  private static String docsBlock(String marker) throws Exception {
    String doc = Files.readString(TestJar.sourceRoot().resolve("docs/mirror.md"));
    int at = doc.indexOf(marker);
    int open = doc.indexOf("```sh\n", at);
    int close = doc.indexOf("\n```", open + 6);
    assertTrue(at >= 0 && open > at && close > open, "no block after " + marker);
    return doc.substring(open + 6, close + 1);
  }

  private Set<String> ids(ObjectId tip) {
    Set<String> out = new HashSet<>();
    try (Repository r =
            new FileRepositoryBuilder().setGitDir(mirror.toFile()).setMustExist(true).build();
        ObjectReader reader = r.newObjectReader();
        RevWalk w = new RevWalk(reader)) {
      var tree = w.parseCommit(tip).getTree();
      new CheckpointTrees(reader, null)
          .directories(tree)
          .keySet()
          .forEach(id -> out.add(CheckpointIds.format(id)));
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return out;
  }

  @Test
  void aRetentionDeleteIsPrunedAndTheArchiveKept() throws Exception {
    setUpMirror();
    ClientRepo c = client();
    c.checkpoints(6);
    publish(c);
    fetch();
    String archive = RefNames.archive(1);
    ObjectId tip = c.ref(archive);
    assertTrue(new ClientProtocol(c, cli, upstream.toString()).deleteArchive(archive).ok());
    GitCli.Result r = fetch();
    assertTrue(kept().containsValue(tip), kept() + " " + r);
    assertTrue(r.stderr().contains("(5 checkpoints, 10 files no other v2 ref holds)"), r.stderr());
    assertNothingLost();
  }

  @Test
  void receivePackAndCloneMirrorWorkAndItsOwnWritesDoNotRecurse() throws Exception {
    setUpMirror();
    ClientRepo c = client();
    c.checkpoints(2);
    publish(c);
    fetch();
    // a push into the mirror (receive-pack) that rewrites /full/current: accepted (the hook never
    // refuses), kept
    ClientRepo d = client();
    d.checkpoint();
    GitCli.Result push =
        cli.run(
            d.directory(), "push", "--porcelain", mirror.toString(), "+" + CURRENT + ":" + CURRENT);
    assertEquals(0, push.exitCode(), push.toString());
    assertTrue(kept().containsValue(c.ref(RefNames.CURRENT)), kept().toString());
    // the keep repository has no hook of ours, and copying into it started exactly one JVM
    assertFalse(
        Files.exists(mirror.resolve("checkpoint-guard/kept.git/hooks/reference-transaction")));
    assertEquals(1, javaStarts());
    Path copy = root.resolve("copy.git");
    cli.run(root, "clone", "-q", "--mirror", mirror.toString(), copy.toString()).expectOk();
    assertEquals(refs(mirror), refs(copy));
  }

  @Test
  void aHookThatWasThereRunsFirstAndUninstallRestoresItByteForByte() throws Exception {
    upstream = bare("upstream.git");
    mirror = root.resolve("mirror.git");
    cli.run(root, "clone", "-q", "--mirror", upstream.toString(), mirror.toString()).expectOk();
    Path log = root.resolve("old hook.txt");
    writeExecutable(
        mirror.resolve("hooks/reference-transaction"),
        "#!/bin/sh\necho \"$1\" >> '" + log + "'\ncat >/dev/null\n");
    Map<String, String> before = snapshot(mirror.resolve("hooks"));
    install("--mirror", "--repo", mirror.toString()).expectOk();
    install("--mirror", "--repo", mirror.toString()).expectOk(); // twice: the same
    ClientRepo c = client();
    c.checkpoints(2);
    publish(c);
    observe();
    cli.run(mirror, "fetch", "--prune").expectOk();
    assertTrue(Files.readString(log).contains("prepared\ncommitted\n"), Files.readString(log));
    Files.createDirectories(mirror.resolve("checkpoint-guard/kept.git"));
    install("--uninstall", "--repo", mirror.toString()).expectOk();
    assertEquals(before, snapshot(mirror.resolve("hooks")));
    assertTrue(
        Files.isDirectory(mirror.resolve("checkpoint-guard/kept.git")),
        "the keep repository stays");
    // and refused where it cannot work
    GitCli.Result r = install("--mirror", "--gitea-repo", mirror.toString());
    assertEquals(2, r.exitCode(), r.toString());
    assertTrue(
        r.stderr().startsWith("install.sh: --mirror works with --repo/--repos only"), r.stderr());
  }

  @Test
  void theGuardAndTheMirrorHooksInstallSideBySideWhateverTheOrder() throws Exception {
    Path repo = bare("both.git");
    Path hook = repo.resolve("hooks/reference-transaction");
    install("--repo", repo.toString()).expectOk();
    assertFalse(Files.exists(hook), "the guard alone installs no reference-transaction hook");
    install("--mirror", "--repo", repo.toString()).expectOk();
    String mirrorHook = Files.readString(hook);
    assertTrue(Files.exists(repo.resolve("hooks/pre-receive")), "the guard's pre-receive stays");
    install("--repo", repo.toString())
        .expectOk(); // reinstalling the guard leaves the mirror hook alone
    assertEquals(mirrorHook, Files.readString(hook));
    install("--uninstall", "--repo", repo.toString()).expectOk();
    assertFalse(Files.exists(hook));
    assertFalse(Files.exists(repo.resolve("hooks/pre-receive")));
    // Gitea's layout: <root>/<owner>/<repo>.git, every repository below
    Path gitea = Files.createDirectories(root.resolve("gitea repos/alice"));
    cli.run(gitea, "init", "-q", "--bare", "one.git").expectOk();
    cli.run(gitea, "init", "-q", "--bare", "two.git").expectOk();
    install("--mirror", "--repos", gitea.getParent().toString()).expectOk();
    for (String n : List.of("one.git", "two.git")) {
      assertTrue(
          Files.readString(gitea.resolve(n + "/hooks/reference-transaction"))
              .contains("# checkpoint-guard-hook:"));
    }
  }

  @Test
  void gitBehavesAsTheIssueSaysWhenAReferenceTransactionHookRefuses() throws Exception {
    upstream = bare("upstream.git");
    ClientRepo c = client();
    c.checkpoints(2);
    publish(c);
    ObjectId head = c.ref(RefNames.MAIN);
    cli.run(
            c.directory(),
            "push",
            "-q",
            upstream.toString(),
            head.name() + ":refs/heads/a",
            head.name() + ":refs/heads/z")
        .expectOk();
    mirror = root.resolve("mirror.git");
    cli.run(root, "clone", "-q", "--mirror", upstream.toString(), mirror.toString()).expectOk();
    cli.run(mirror, "update-ref", "refs/checkpoint-guard/mine", head.name()).expectOk();
    Path log = root.resolve("tx.txt");
    // a hook that logs each prepared transaction and refuses the one touching v2 (what a vetoing
    // guard would do)
    writeExecutable(
        mirror.resolve("hooks/reference-transaction"),
        "#!/bin/sh\n[ \"$1\" = prepared ] || exit 0\n"
            + "in=$(cat)\nprintf '%s\\n--\\n' \"$in\" >> '"
            + log
            + "'\n"
            + "case \"$in\" in *refs/entire/checkpoints/v2/full/current*) exit 1 ;; esac\nexit 0\n");
    c.checkpoint();
    publish(c);
    ObjectId other = c.insertCommit(new FlatTree(), "other");
    cli.run(
            c.directory(),
            "push",
            "-q",
            upstream.toString(),
            "+" + other.name() + ":refs/heads/a",
            "+" + other.name() + ":refs/heads/z")
        .expectOk();
    GitCli.Result r = cli.run(mirror, "fetch", "--prune");
    assertEquals(128, r.exitCode(), r.toString());
    assertTrue(r.stderr().contains("fatal: ref updates aborted by hook"), r.stderr());
    Map<String, ObjectId> after = refs(mirror);
    assertEquals(
        head, after.get("refs/heads/a"), "the branch after the refused v2 ref is not updated");
    assertEquals(head, after.get("refs/heads/z"));
    assertFalse(
        after.containsKey("refs/checkpoint-guard/mine"), "--prune deleted the mirror's own ref");
    // one transaction per ref, in ref-name order (the prune first)
    List<String> tx = new ArrayList<>();
    for (String block : Files.readString(log).split("\n--\n")) {
      tx.add(block.substring(block.lastIndexOf(' ') + 1).trim());
    }
    assertEquals(
        List.of("refs/checkpoint-guard/mine", "refs/checkpoint-guard/mine", CURRENT),
        tx.subList(0, 3));
  }

  // --------------------------------------------------------------------------------------------
  // helpers

  private static Map<String, ObjectId> refs(Path dir) {
    Map<String, ObjectId> out = new TreeMap<>();
    try (Repository r =
        new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build()) {
      for (Ref ref : r.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
        out.put(ref.getName(), ref.getObjectId());
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return out;
  }

  private Map<String, ObjectId> kept() {
    Path k = mirror.resolve("checkpoint-guard/kept.git");
    return Files.isDirectory(k) ? refs(k) : Map.of();
  }

  /**
   * Every checkpoint file (ID/path blob) of every v2 tip of upstream and the mirror, as seen so
   * far.
   */
  private void observe() {
    seen.addAll(files(upstream, null));
    seen.addAll(files(mirror, null));
  }

  /** Nothing the mirror saw is gone: counting the keep repository, every file is in some tip. */
  private void assertNothingLost() {
    observe();
    Set<String> now = new HashSet<>(files(mirror, null));
    Path k = mirror.resolve("checkpoint-guard/kept.git");
    if (Files.isDirectory(k)) {
      now.addAll(files(k, "refs/kept/"));
    }
    Set<String> missing = new HashSet<>(seen);
    missing.removeAll(now);
    assertEquals(Set.of(), missing, "checkpoint files lost (of " + seen.size() + ")");
  }

  private static Set<String> files(Path dir, String prefix) {
    Set<String> out = new HashSet<>();
    try (Repository r =
            new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build();
        ObjectReader reader = r.newObjectReader();
        RevWalk w = new RevWalk(reader)) {
      for (Ref ref :
          r.getRefDatabase().getRefsByPrefix(prefix == null ? RefNames.V2_PREFIX : prefix)) {
        var tree = w.parseCommit(ref.getObjectId()).getTree();
        for (var d : new CheckpointTrees(reader, null).directories(tree).entrySet()) {
          try (TreeWalk tw = new TreeWalk(reader)) {
            tw.addTree(d.getValue());
            tw.setRecursive(true);
            while (tw.next()) {
              out.add(
                  CheckpointIds.format(d.getKey())
                      + "/"
                      + tw.getPathString()
                      + " "
                      + tw.getObjectId(0).name());
            }
          }
        }
      }
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return out;
  }
}
