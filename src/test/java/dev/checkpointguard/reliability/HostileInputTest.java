package dev.checkpointguard.reliability;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.cli.Main;
import dev.checkpointguard.command.Errors;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.DamageScenarios;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.server.GuardedServer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Hostile input against {@code serve} (real server on 127.0.0.1, the real git CLI where it will
 * send the input, else a hand-written smart-HTTP push), against {@code check}, and against the
 * stock {@code pre-receive} command. Each case ends in a clear {@code checkpoint-guard:} rejection,
 * a refusal by git or JGit's receive-pack before the guard is asked (recorded as such), or a
 * documented acceptance; in every case the pusher sees no stack trace, refused updates leave the
 * server's refs as they were, and the server still answers afterwards.
 *
 * <p>Every case starts from its own server repository (threshold 5) holding what a {@code v0.6.2}
 * client pushed after 7 checkpoints: {@code /main} (7), archive {@code full/0000000000001} (5) and
 * {@code /full/current} (2).
 */
class HostileInputTest {
  static final String MAIN = RefNames.MAIN;
  static final String CURRENT = RefNames.CURRENT;
  static final String ARCHIVE1 = RefNames.archive(1);
  static final String NEW_ARCHIVE = RefNames.archive(2);

  /**
   * JGit's receive-pack stops with an internal error before it reports anything: the pusher gets an
   * empty answer (git says the remote end hung up), nothing is updated, the server keeps serving.
   */
  static final String NO_REPORT = "";

  /**
   * JGit cannot read a SHA-256 repository (it would write SHA-1 objects into it): serve fails
   * closed and answers as for a missing repository, so nobody can push to it or fetch from it.
   */
  static final String SHA256_SERVE = "not found";

  /**
   * receive-pack could not store the pack: one fixed sentence, never JGit's text with server paths.
   */
  static final String STORE_FAILED = "the server could not store the pushed objects; try again";

  @TempDir static Path tmp;
  static GuardedServer server;
  static GitCli git;
  static final AtomicInteger counter = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    Files.createDirectories(tmp.resolve("repos"));
    server =
        GuardedServer.start(
            GuardedServer.Config.builder(tmp.resolve("repos")).port(0).anonymousPush(true).build());
    git = new GitCli(tmp.resolve("home"));
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** How a case must end. */
  enum Kind {
    GUARD,
    GIT_REFUSES,
    RECEIVE_PACK,
    ACCEPTED
  }

  record Expect(Kind kind, String text) {
    static Expect guard(String rule) {
      return new Expect(Kind.GUARD, "(rule " + rule);
    }

    static Expect git(String text) {
      return new Expect(Kind.GIT_REFUSES, text);
    }

    static Expect receivePack(String text) {
      return new Expect(Kind.RECEIVE_PACK, text);
    }

    static Expect accepted(String why) {
      return new Expect(Kind.ACCEPTED, why);
    }
  }

  /** What the pusher saw for the ref of interest. */
  record Seen(boolean sent, boolean accepted, String reason, String everything) {}

  /** One case's setting: its server repository, its client, helpers to push. */
  static final class Ctx {
    final Path serverDir;
    final URI url;
    final ClientRepo client;
    final Path clientDir;

    Ctx(int n) throws Exception {
      serverDir = tmp.resolve("repos").resolve("case-" + n + ".git");
      // the client is deterministic: the same seed writes the same objects, so every case's server
      // starts
      // as a copy of one repository that received them once
      DamageScenarios.copyRepository(template(), serverDir);
      url = server.url().resolve("case-" + n + ".git");
      clientDir = tmp.resolve("client-" + n + ".git");
      client = newClient(clientDir);
      assertEquals(refs(template()), refs(serverDir));
    }

    static ClientRepo newClient(Path dir) {
      ClientRepo c =
          ClientRepo.builder(ClientVersion.V0_6_2).threshold(5).seed(11).buildOnDisk(dir);
      c.checkpoints(7);
      return c;
    }

    private static Path template;

    /** A server repository (threshold 5) holding what the client of {@link #newClient} pushed. */
    static synchronized Path template() throws Exception {
      if (template == null) {
        Path dir = tmp.resolve("template.git");
        try (Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build()) {
          r.create(true);
          r.getConfig().setInt("checkpointGuard", null, "threshold", 5);
          r.getConfig().save();
        }
        try (ClientRepo c = newClient(tmp.resolve("template-client.git"))) {
          GitCli.Result r =
              git.run(
                  c.directory(),
                  "push",
                  "--porcelain",
                  dir.toString(),
                  MAIN + ":" + MAIN,
                  CURRENT + ":" + CURRENT,
                  ARCHIVE1 + ":" + ARCHIVE1);
          assertTrue(r.ok(), r.toString());
        }
        template = dir;
      }
      return template;
    }

    /** {@code git push --porcelain [--force] url <src>:<ref>}, judged for {@code ref}. */
    Seen push(boolean force, String src, String ref) {
      List<String> args = new ArrayList<>(List.of("push", "--porcelain"));
      if (force) {
        args.add("--force");
      }
      args.add(url.toString());
      args.add(src + ":" + ref);
      return seen(git.run(clientDir, args), ref);
    }

    /** Points local ref {@code refs/heads/x} at {@code id} and pushes it to {@code ref}. */
    Seen pushObject(boolean force, ObjectId id, String ref) {
      client.updateRef("refs/heads/x", null, id);
      return push(force, "refs/heads/x", ref);
    }

    ObjectId commit(FlatTree tree, String message, ObjectId... parents) {
      return client.insertCommit(tree, message, parents);
    }

    Seen raw(List<String> commands, byte[] pack, String ref) throws Exception {
      RawReceivePack.Answer a = RawReceivePack.push(url, commands, pack);
      String r = a.result(ref);
      String all = a.status() + "\n" + a.raw();
      if (r == null) {
        return new Seen(true, false, String.join("\n", a.lines()), all);
      }
      return new Seen(true, r.equals("ok"), r, all);
    }
  }

  static Seen seen(GitCli.Result r, String ref) {
    String all = r.stdout() + r.stderr();
    return r.refResult(ref)
        .map(rr -> new Seen(true, rr.accepted(), rr.summary(), all))
        .orElse(new Seen(false, false, r.stderr().strip(), all));
  }

  @FunctionalInterface
  interface Action {
    Seen run(Ctx c) throws Exception;
  }

  record Case(String name, Expect expect, Action action) {}

  /** A checkpoint directory's content: one session with a transcript. */
  static ObjectId sessionTree(Ctx c) throws Exception {
    try (ObjectInserter ins = c.client.repository().newObjectInserter()) {
      FlatTree t = new FlatTree();
      t.putFile(ins, "0/raw_transcript", "{}\n");
      ObjectId id = t.write(ins);
      ins.flush();
      return id;
    }
  }

  /**
   * A tree with {@code n} entries {@code <shard>/<rest>} in tree mode, all the same session tree.
   */
  static FlatTree checkpoints(Ctx c, int n, String shardPrefix) throws Exception {
    ObjectId s = sessionTree(c);
    FlatTree t = new FlatTree();
    for (int i = 0; i < n; i++) {
      String id = String.format("%012x", 0xab0000000000L + i);
      t.put(shardPrefix + id.substring(0, 2) + "/" + id.substring(2), FileMode.TREE, s);
    }
    return t;
  }

  static ObjectId blob(Ctx c, String content) {
    return c.client.insertBlob(content);
  }

  static FlatTree withGenerationJson(Ctx c, FlatTree t, String content) throws Exception {
    t.put("generation.json", FileMode.REGULAR_FILE, blob(c, content));
    return t;
  }

  static Case ok(String name, String why, Action a) {
    return new Case(name, Expect.accepted(why), a);
  }

  static List<Case> cases() {
    List<Case> l = new ArrayList<>();
    // ---- ref names
    l.add(
        new Case(
            "ref name with a control character, by git",
            Expect.git("invalid refspec"),
            c -> c.push(false, MAIN, RefNames.FULL_PREFIX + "a\u0001b")));
    l.add(
        new Case(
            "ref name with a control character, sent raw",
            Expect.receivePack(NO_REPORT),
            c ->
                c.raw(
                    List.of(
                        RawReceivePack.ZERO
                            + " "
                            + c.client.ref(MAIN).name()
                            + " "
                            + RefNames.FULL_PREFIX
                            + "a\u0001b"),
                    RawReceivePack.emptyPack(),
                    RefNames.FULL_PREFIX + "a\u0001b")));
    l.add(
        new Case(
            "ref name with a terminal escape sequence, sent raw",
            Expect.receivePack(NO_REPORT),
            c ->
                c.raw(
                    List.of(
                        RawReceivePack.ZERO
                            + " "
                            + c.client.ref(MAIN).name()
                            + " "
                            + RefNames.FULL_PREFIX
                            + "\u001b[2J"),
                    RawReceivePack.emptyPack(),
                    RefNames.FULL_PREFIX + "\u001b[2J")));
    l.add(
        new Case(
            "ref name with .., by git",
            Expect.git("invalid refspec"),
            c -> c.push(false, MAIN, RefNames.V2_PREFIX + "full/../main")));
    l.add(
        new Case(
            "ref name with .., sent raw",
            Expect.receivePack(NO_REPORT),
            c ->
                c.raw(
                    List.of(
                        c.client.ref(MAIN).name()
                            + " "
                            + c.client.ref(CURRENT).name()
                            + " "
                            + RefNames.V2_PREFIX
                            + "full/../main"),
                    RawReceivePack.emptyPack(),
                    RefNames.V2_PREFIX + "full/../main")));
    l.add(
        new Case(
            "ref name with @{, by git",
            Expect.git("invalid refspec"),
            c -> c.push(false, MAIN, RefNames.FULL_PREFIX + "x@{1}")));
    l.add(
        new Case(
            "ref name with @{, sent raw",
            Expect.receivePack(NO_REPORT),
            c ->
                c.raw(
                    List.of(
                        RawReceivePack.ZERO
                            + " "
                            + c.client.ref(MAIN).name()
                            + " "
                            + RefNames.FULL_PREFIX
                            + "x@{1}"),
                    RawReceivePack.emptyPack(),
                    RefNames.FULL_PREFIX + "x@{1}")));
    l.add(
        new Case(
            "v2 ref name of 4,000 characters",
            Expect.guard("unknown-ref"),
            c -> c.push(false, MAIN, RefNames.FULL_PREFIX + "a".repeat(4000))));
    l.add(
        new Case(
            "v2 ref name of 60,000 characters, sent raw",
            Expect.guard("unknown-ref"),
            c ->
                c.raw(
                    List.of(
                        RawReceivePack.ZERO
                            + " "
                            + c.client.ref(MAIN).name()
                            + " "
                            + RefNames.FULL_PREFIX
                            + "b".repeat(60_000)),
                    RawReceivePack.emptyPack(),
                    RefNames.FULL_PREFIX + "b".repeat(60_000))));
    l.add(
        new Case(
            "unknown name under v2: full/abc",
            Expect.guard("unknown-ref"),
            c -> c.push(false, MAIN, RefNames.FULL_PREFIX + "abc")));
    l.add(
        new Case(
            "archive name of 14 digits",
            Expect.guard("unknown-ref"),
            c -> c.push(false, ARCHIVE1, RefNames.FULL_PREFIX + "00000000000001")));
    l.add(
        new Case(
            "v2/Main in another case",
            Expect.guard("unknown-ref"),
            c -> c.push(false, MAIN, RefNames.V2_PREFIX + "Main")));
    l.add(
        new Case(
            "non-ASCII name under v2",
            Expect.guard("unknown-ref"),
            c -> c.push(false, MAIN, RefNames.FULL_PREFIX + "\u00fc\u202e")));
    // ---- object types on v2 refs
    l.add(
        new Case(
            "annotated tag on /main",
            Expect.guard("not-a-commit"),
            c ->
                c.pushObject(
                    true,
                    c.client.insertTag(c.client.ref(MAIN), Constants.OBJ_COMMIT, "t1"),
                    MAIN)));
    l.add(
        new Case(
            "tree on /main",
            Expect.guard("not-a-commit"),
            c -> c.push(true, c.client.commit(c.client.ref(MAIN)).getTree().name(), MAIN)));
    l.add(
        new Case(
            "blob on /full/current",
            Expect.guard("not-a-commit"),
            c -> c.push(true, blob(c, "x").name(), CURRENT)));
    l.add(
        new Case(
            "tree on /main, sent raw",
            Expect.guard("not-a-commit"),
            c ->
                c.raw(
                    List.of(c.client.ref(MAIN).name() + " " + emptyTreeOnServer(c) + " " + MAIN),
                    RawReceivePack.pack(List.<Object[]>of(new Object[] {2, new byte[0]})),
                    MAIN)));
    l.add(
        new Case(
            "annotated tag as a new archive",
            Expect.guard("not-a-commit"),
            c ->
                c.pushObject(
                    false,
                    c.client.insertTag(c.client.ref(ARCHIVE1), Constants.OBJ_COMMIT, "t2"),
                    NEW_ARCHIVE)));
    // ---- checkpoint trees
    l.add(
        new Case(
            "archive of gitlinks where checkpoint directories belong",
            Expect.guard("archive-threshold"),
            c ->
                c.pushObject(
                    false,
                    c.commit(withGenerationJson(c, gitlinks(c), "{}"), "Archive generation"),
                    NEW_ARCHIVE)));
    l.add(
        new Case(
            "archive of symlinks where checkpoint directories belong",
            Expect.guard("archive-threshold"),
            c ->
                c.pushObject(
                    false,
                    c.commit(withGenerationJson(c, symlinks(c), "{}"), "Archive generation"),
                    NEW_ARCHIVE)));
    l.add(
        new Case(
            "archive of files where shard directories belong",
            Expect.guard("archive-threshold"),
            c ->
                c.pushObject(
                    false,
                    c.commit(withGenerationJson(c, shardFiles(c), "{}"), "Archive generation"),
                    NEW_ARCHIVE)));
    l.add(
        new Case(
            "archive with 1-character shard names",
            Expect.guard("archive-threshold"),
            c ->
                c.pushObject(false, c.commit(oddShards(c, 1), "Archive generation"), NEW_ARCHIVE)));
    l.add(
        new Case(
            "archive with 3-character shard names",
            Expect.guard("archive-threshold"),
            c ->
                c.pushObject(false, c.commit(oddShards(c, 3), "Archive generation"), NEW_ARCHIVE)));
    l.add(
        new Case(
            "archive with uppercase checkpoint IDs",
            Expect.guard("archive-threshold"),
            c -> c.pushObject(false, c.commit(uppercase(c), "Archive generation"), NEW_ARCHIVE)));
    l.add(
        ok(
            "junk files at the root of /full/current (fast-forward)",
            "the §3.2 walk skips root files and nothing is removed",
            c -> {
              FlatTree t = c.client.flatTree(CURRENT);
              t.put("README", FileMode.REGULAR_FILE, blob(c, "junk"));
              t.put("generation.json", FileMode.REGULAR_FILE, blob(c, "not json"));
              t.put("run.sh", FileMode.EXECUTABLE_FILE, blob(c, "#!/bin/sh\n"));
              return c.pushObject(
                  false, c.commit(t, "Checkpoint: junk\n", c.client.ref(CURRENT)), CURRENT);
            }));
    l.add(
        new Case(
            "/full/current reset to a tree of junk only",
            Expect.guard("current-loss"),
            c -> {
              FlatTree t = new FlatTree();
              t.put("README", FileMode.REGULAR_FILE, blob(c, "junk"));
              return c.pushObject(true, c.commit(t, "Start generation"), CURRENT);
            }));
    l.add(
        ok(
            "archive of 100,000 checkpoints",
            "a large archive above the threshold is a legitimate rotation",
            c ->
                c.pushObject(
                    false,
                    c.commit(
                        withGenerationJson(
                            c,
                            checkpoints(c, 100_000, ""),
                            ClientRepo.generationJson(
                                java.time.Instant.parse("2026-05-01T00:00:00Z"),
                                java.time.Instant.parse("2026-05-02T00:00:00Z"))),
                        "Archive generation"),
                    NEW_ARCHIVE)));
    l.add(
        new Case(
            "/full/current reset to a tree of 100,000 root entries",
            Expect.guard("current-loss"),
            c -> {
              FlatTree t = new FlatTree();
              ObjectId b = blob(c, "x");
              for (int i = 0; i < 100_000; i++) {
                t.put(String.format("junk%06d", i), FileMode.REGULAR_FILE, b);
              }
              return c.pushObject(true, c.commit(t, "Start generation"), CURRENT);
            }));
    // ---- generation.json: accepted on push (the guard counts checkpoints), reported by check
    l.add(
        ok(
            "archive with a malformed generation.json, then check",
            "check reports invalid-generation-json",
            c ->
                checked(
                    c,
                    archiveWithGenerationJson(c, "{\"oldest_checkpoint_at\": "),
                    "has an invalid generation.json")));
    l.add(
        ok(
            "archive with a 2 MiB generation.json, then check",
            "check reports invalid-generation-json",
            c ->
                checked(
                    c,
                    archiveWithGenerationJson(c, "{\"x\": \"" + "a".repeat(2 << 20) + "\"}"),
                    "larger than 1 MiB")));
    l.add(
        ok(
            "archive whose generation.json is a directory, then check",
            "check reports invalid-generation-json",
            c -> {
              FlatTree t = checkpoints(c, 6, "");
              t.put("generation.json/x", FileMode.REGULAR_FILE, blob(c, "{}"));
              return checked(
                  c,
                  c.pushObject(false, c.commit(t, "Archive generation"), NEW_ARCHIVE),
                  "not a regular file");
            }));
    l.add(
        ok(
            "archive whose generation.json is a symlink, then check",
            "check reports invalid-generation-json",
            c -> {
              FlatTree t = checkpoints(c, 6, "");
              t.put("generation.json", FileMode.SYMLINK, blob(c, "/etc/passwd"));
              return checked(
                  c,
                  c.pushObject(false, c.commit(t, "Archive generation"), NEW_ARCHIVE),
                  "not a regular file");
            }));
    // ---- objects missing, corrupt packs, many refs
    l.add(
        new Case(
            "new /main commit missing from the pack, sent raw",
            Expect.receivePack(NO_REPORT),
            c ->
                c.raw(
                    List.of(
                        c.client.ref(MAIN).name()
                            + " "
                            + "1234567890123456789012345678901234567890 "
                            + MAIN),
                    RawReceivePack.emptyPack(),
                    MAIN)));
    l.add(
        new Case(
            "commit in the pack whose tree is missing, sent raw",
            Expect.receivePack("unpack"),
            c -> {
              String commit =
                  "tree 1234567890123456789012345678901234567890\nparent "
                      + c.client.ref(MAIN).name()
                      + "\nauthor A <a@b> 1700000000 +0000\ncommitter A <a@b> 1700000000 +0000\n\nx\n";
              byte[] bytes = commit.getBytes(StandardCharsets.UTF_8);
              String id =
                  ObjectId.fromRaw(
                          java.security.MessageDigest.getInstance("SHA-1")
                              .digest(
                                  concat(
                                      ("commit " + bytes.length + "\0")
                                          .getBytes(StandardCharsets.US_ASCII),
                                      bytes)))
                      .name();
              return c.raw(
                  List.of(c.client.ref(MAIN).name() + " " + id + " " + MAIN),
                  RawReceivePack.pack(List.<Object[]>of(new Object[] {1, bytes})),
                  MAIN);
            }));
    l.add(
        new Case(
            "corrupt pack bytes, sent raw",
            Expect.receivePack("unpack"),
            c ->
                c.raw(
                    List.of(
                        c.client.ref(MAIN).name()
                            + " "
                            + "1234567890123456789012345678901234567890 "
                            + MAIN),
                    "PACK\0\0\0\2\0\0\0\1garbage-garbage-garbage"
                        .getBytes(StandardCharsets.ISO_8859_1),
                    MAIN)));
    l.add(
        new Case(
            "1,000 under-threshold archives in one push",
            Expect.guard("archive-threshold"),
            c -> {
              List<String> args = new ArrayList<>(List.of("push", "--porcelain", c.url.toString()));
              for (int i = 0; i < 1000; i++) {
                args.add(CURRENT + ":" + RefNames.archive(100 + i));
              }
              GitCli.Result r = git.run(c.clientDir, args);
              long rejected =
                  r.porcelain().stream()
                      .filter(
                          x ->
                              x.summary()
                                  .startsWith(
                                      "[remote rejected] (checkpoint-guard: archived generation "))
                      .count();
              assertEquals(1000, rejected, r.stdout());
              return seen(r, RefNames.archive(1099));
            }));
    // ---- history rules and settings
    l.add(
        new Case(
            "force-push rewriting /main",
            Expect.guard("main-history"),
            c -> c.pushObject(true, c.commit(new FlatTree(), "Initialize v2 ref"), MAIN)));
    l.add(new Case("deleting /main", Expect.guard("main-delete"), c -> c.push(false, "", MAIN)));
    l.add(
        new Case(
            "deleting /full/current",
            Expect.guard("current-delete"),
            c -> c.push(false, "", CURRENT)));
    l.add(
        ok(
            "deleting an archive",
            "allowed by default: entire clean deletes expired archives (spec 7.5)",
            c -> c.push(false, "", ARCHIVE1)));
    l.add(
        new Case(
            "deleting an archive with allowArchiveDeletion = false",
            Expect.guard("archive-delete"),
            c -> {
              try (Repository r =
                  new FileRepositoryBuilder().setGitDir(c.serverDir.toFile()).build()) {
                r.getConfig().setBoolean("checkpointGuard", null, "allowArchiveDeletion", false);
                r.getConfig().save();
              }
              return c.push(false, "", ARCHIVE1);
            }));
    l.add(
        new Case(
            "archive shrunk by a fast-forward",
            Expect.guard("archive-loss"),
            c -> {
              FlatTree t = c.client.flatTree(ARCHIVE1);
              String first = t.checkpointIds().first();
              t.removeDirectory(first.substring(0, 2) + "/" + first.substring(2));
              return c.pushObject(
                  false, c.commit(t, "Finalize checkpoint: x\n", c.client.ref(ARCHIVE1)), ARCHIVE1);
            }));
    l.add(
        new Case(
            "invalid checkpointGuard.threshold in the server's config",
            Expect.guard("invalid-settings"),
            c -> {
              try (Repository r =
                  new FileRepositoryBuilder().setGitDir(c.serverDir.toFile()).build()) {
                r.getConfig().setString("checkpointGuard", null, "threshold", "lots\u0007");
                r.getConfig().save();
              }
              c.client.checkpoint();
              return c.push(false, CURRENT, CURRENT);
            }));
    // issue 9, defects 1 and 2: receive-pack cannot store the pack; JGit's text names server paths
    l.add(
        new Case(
            "a pack lock a live receive may hold (same objects pushed again)",
            Expect.receivePack(STORE_FAILED),
            c -> {
              c.client.checkpoint();
              String pack = packOfPush(c, CURRENT);
              Path lock = c.serverDir.resolve("objects/pack/" + pack + ".keep.lock");
              Files.createFile(lock);
              // its time lies ahead: it looks held now, however slow the machine is
              Files.setLastModifiedTime(
                  lock,
                  java.nio.file.attribute.FileTime.from(
                      java.time.Instant.now().plus(java.time.Duration.ofHours(1))));
              Seen s = c.push(false, CURRENT, CURRENT);
              assertTrue(Files.exists(lock), "a lock that may be held was removed");
              return s;
            }));
    l.add(
        new Case(
            "the server's objects/pack is a file",
            Expect.receivePack(STORE_FAILED),
            c -> {
              Path pack = c.serverDir.resolve("objects/pack");
              Path aside =
                  Files.createDirectories(tmp.resolve("aside-" + c.serverDir.getFileName()));
              Files.move(pack, aside.resolve("pack"));
              Files.writeString(pack, "not a folder\n");
              c.client.checkpoint();
              Seen s = c.push(false, CURRENT, CURRENT);
              Files.delete(
                  pack); // put the repository back, so that the server is seen to answer for it
              Files.move(aside.resolve("pack"), pack);
              return s;
            }));
    l.add(
        new Case(
            "SHA-256 repository behind serve, SHA-256 client",
            Expect.receivePack(SHA256_SERVE),
            c -> {
              Path server = tmp.resolve("repos").resolve("sha-" + c.serverDir.getFileName());
              assertTrue(
                  git.run(tmp, "init", "-q", "--bare", "--object-format=sha256", server.toString())
                      .ok());
              Path w = tmp.resolve("sha-client-" + c.serverDir.getFileName());
              assertTrue(git.run(tmp, "init", "-q", "--object-format=sha256", w.toString()).ok());
              String empty =
                  git.run(w, "hash-object", "-t", "tree", "-w", "--stdin").stdout().strip();
              if (empty.isEmpty()) {
                empty = git.run(w, "write-tree").stdout().strip();
              }
              String commit =
                  git.run(w, "commit-tree", empty, "-m", "Initialize v2 ref").stdout().strip();
              assertTrue(git.run(w, "update-ref", MAIN, commit).ok());
              GitCli.Result r =
                  git.run(
                      w,
                      "push",
                      "--porcelain",
                      server.getParent().relativize(server).toString().isEmpty()
                          ? ""
                          : server
                              .toUri()
                              .toString()
                              .replace(
                                  server.toUri().toString(),
                                  c.url.resolve(server.getFileName().toString()).toString()),
                      MAIN + ":" + MAIN);
              return seen(r, MAIN);
            }));
    l.add(
        new Case(
            "SHA-256 repository behind serve, SHA-1 client",
            Expect.receivePack(SHA256_SERVE),
            c -> {
              Path server = tmp.resolve("repos").resolve("sha1-" + c.serverDir.getFileName());
              assertTrue(
                  git.run(tmp, "init", "-q", "--bare", "--object-format=sha256", server.toString())
                      .ok());
              GitCli.Result r =
                  git.run(
                      c.clientDir,
                      "push",
                      "--porcelain",
                      c.url.resolve(server.getFileName().toString()).toString(),
                      MAIN + ":" + MAIN);
              GitCli.Result fsck = git.run(server, "fsck");
              assertEquals(0, fsck.exitCode(), "the SHA-256 repository was damaged: " + fsck);
              return new Seen(
                  true,
                  r.refResult(MAIN).map(GitCli.RefResult::accepted).orElse(false),
                  r.stdout() + r.stderr(),
                  r.stdout() + r.stderr() + "\nfsck: " + fsck.exitCode() + fsck.stderr());
            }));
    return l;
  }

  /**
   * The name JGit gives the pack of pushing {@code ref} from the client: the push goes to a copy of
   * the case's server repository first (a pack is named after the objects in it).
   */
  static String packOfPush(Ctx c, String ref) throws Exception {
    Path probe = tmp.resolve("repos").resolve("probe-" + c.serverDir.getFileName());
    DamageScenarios.copyRepository(c.serverDir, probe);
    java.util.Set<String> before = packNames(probe);
    GitCli.Result r =
        git.run(
            c.clientDir,
            "push",
            "--porcelain",
            c.url.resolve(probe.getFileName().toString()).toString(),
            ref + ":" + ref);
    assertTrue(r.ok(), r.toString());
    java.util.Set<String> after = packNames(probe);
    after.removeAll(before);
    assertEquals(1, after.size(), after.toString());
    return after.iterator().next();
  }

  static java.util.Set<String> packNames(Path repo) throws Exception {
    try (Stream<Path> s = Files.list(repo.resolve("objects/pack"))) {
      return s.map(p -> p.getFileName().toString())
          .filter(n -> n.endsWith(".pack"))
          .map(n -> n.substring(0, n.length() - ".pack".length()))
          .collect(java.util.stream.Collectors.toCollection(java.util.TreeSet::new));
    }
  }

  static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  /** The empty tree id; the raw case sends the object itself. */
  static String emptyTreeOnServer(Ctx c) {
    return Constants.EMPTY_TREE_ID.name();
  }

  static Seen archiveWithGenerationJson(Ctx c, String content) throws Exception {
    return c.pushObject(
        false,
        c.commit(withGenerationJson(c, checkpoints(c, 6, ""), content), "Archive generation"),
        NEW_ARCHIVE);
  }

  /**
   * After an accepted push, {@code check} must report {@code problem} (exit 1) without a stack
   * trace.
   */
  static Seen checked(Ctx c, Seen pushed, String problem) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new Main(
                new Io(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    new ByteArrayInputStream(new byte[0]),
                    Map.of()))
            .run("check", "--repo", c.serverDir.toString(), "--threshold", "5");
    String text = out.toString(StandardCharsets.UTF_8) + err.toString(StandardCharsets.UTF_8);
    assertEquals(1, code, text);
    assertTrue(
        text.contains("full/0000000000002 has an invalid generation.json")
            && text.contains(problem),
        text);
    assertNoStackTrace(text);
    return pushed;
  }

  static FlatTree gitlinks(Ctx c) {
    FlatTree t = new FlatTree();
    for (int i = 0; i < 6; i++) {
      t.put(String.format("ab/%010x", i), FileMode.GITLINK, c.client.ref(MAIN));
    }
    return t;
  }

  static FlatTree symlinks(Ctx c) {
    FlatTree t = new FlatTree();
    for (int i = 0; i < 6; i++) {
      t.put(String.format("ab/%010x", i), FileMode.SYMLINK, c.client.insertBlob("../../main"));
    }
    return t;
  }

  static FlatTree shardFiles(Ctx c) {
    FlatTree t = new FlatTree();
    for (int i = 0; i < 6; i++) {
      t.put(String.format("a%d", i), FileMode.REGULAR_FILE, c.client.insertBlob("x"));
    }
    return t;
  }

  static FlatTree oddShards(Ctx c, int width) throws Exception {
    ObjectId s = sessionTree(c);
    FlatTree t = new FlatTree();
    for (int i = 0; i < 6; i++) {
      String id = String.format("%012x", 0xcd0000000000L + i);
      t.put(id.substring(0, width) + "/" + id.substring(width), FileMode.TREE, s);
    }
    return t;
  }

  static FlatTree uppercase(Ctx c) throws Exception {
    ObjectId s = sessionTree(c);
    FlatTree t = new FlatTree();
    for (int i = 0; i < 6; i++) {
      String id = String.format("%012X", 0xABCDEF000000L + i);
      t.put(id.substring(0, 2) + "/" + id.substring(2), FileMode.TREE, s);
    }
    return t;
  }

  static Stream<Arguments> all() {
    return cases().stream().map(c -> Arguments.of(c.name(), c));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("all")
  void hostileInput(String name, Case k) throws Exception {
    Ctx c = new Ctx(counter.incrementAndGet());
    Map<String, ObjectId> before = refs(c.serverDir);
    Seen s = k.action().run(c);
    String report = name + ": " + s.reason() + "\n" + s.everything();
    assertNoStackTrace(s.everything());
    assertFalse(
        s.everything().contains(tmp.toString()), "a server path reached the pusher: " + report);
    switch (k.expect().kind()) {
      case GUARD -> {
        assertFalse(s.accepted(), report);
        assertTrue(
            s.reason().startsWith("[remote rejected] (checkpoint-guard: ")
                || s.reason().startsWith("checkpoint-guard: "),
            report);
        assertTrue(s.reason().contains(k.expect().text()), report);
      }
      case GIT_REFUSES -> {
        assertFalse(s.sent(), report);
        assertTrue(s.everything().contains(k.expect().text()), report);
      }
      case RECEIVE_PACK -> {
        assertFalse(s.accepted(), report);
        assertFalse(s.reason().contains("checkpoint-guard"), report);
        assertTrue(s.everything().contains(k.expect().text()), report);
      }
      case ACCEPTED -> assertTrue(s.accepted(), report);
    }
    if (k.expect().kind() != Kind.ACCEPTED) {
      assertEquals(before, refs(c.serverDir), "refs changed: " + report);
    }
    GitCli.Result ls = git.run(tmp, "ls-remote", c.url.toString(), MAIN);
    assertTrue(
        ls.ok() && ls.stdout().contains(MAIN),
        "server no longer answers after " + name + ": " + ls);
    System.out.println(
        "[hostile] "
            + k.expect().kind()
            + " | "
            + name
            + " | "
            + Errors.describe(new RuntimeException(s.reason())).replace('\n', ' '));
  }

  /** A hook input line fed to the stock {@code pre-receive} command, and how it must end. */
  record StockCase(String stdin, boolean sha256, String config, int exit, String message) {}

  static final String Z40 = "0".repeat(40);
  static final String A40 = "a".repeat(40);
  static final String MALFORMED =
      "checkpoint-guard: push refused: line 1 of the hook input is malformed: ";

  static Stream<Arguments> stockCases() {
    return Stream.of(
        Arguments.of(
            "hook stdin with two fields",
            new StockCase(
                Z40 + " " + MAIN + "\n",
                false,
                null,
                1,
                MALFORMED + "expected '<old-id> <new-id> <ref>', got '")),
        Arguments.of(
            "hook stdin with uppercase hex",
            new StockCase(
                Z40 + " " + "A".repeat(40) + " " + MAIN + "\n",
                false,
                null,
                1,
                MALFORMED + "new id '" + "A".repeat(40) + "' is not lowercase hex")),
        Arguments.of(
            "hook stdin with a 39-digit id",
            new StockCase(
                Z40 + " " + "a".repeat(39) + " " + MAIN + "\n",
                false,
                null,
                1,
                MALFORMED + "new id '" + "a".repeat(39) + "' is not 40 or 64 hex digits")),
        Arguments.of(
            "hook stdin with ids of different lengths",
            new StockCase(
                Z40 + " " + "a".repeat(64) + " " + MAIN + "\n",
                false,
                null,
                1,
                MALFORMED + "old and new ids have different lengths")),
        Arguments.of(
            "hook stdin with both ids zero",
            new StockCase(
                Z40 + " " + Z40 + " " + MAIN + "\n",
                false,
                null,
                1,
                MALFORMED + "old and new ids are both zero")),
        Arguments.of(
            "hook stdin with a short ref name",
            new StockCase(
                Z40 + " " + A40 + " main\n",
                false,
                null,
                1,
                MALFORMED + "'main' is not a full ref name")),
        Arguments.of(
            "hook stdin with a terminal escape in a field",
            new StockCase(
                Z40 + " \u001b[2J " + MAIN + "\n", false, null, 1, MALFORMED + "new id '")),
        Arguments.of(
            "hook stdin with a line of 10,000 characters",
            new StockCase(
                Z40 + " " + A40 + " refs/" + "x".repeat(10_000) + "\n",
                false,
                null,
                1,
                MALFORMED + "line is longer than 8192 characters")),
        Arguments.of(
            "hook stdin with a good line then a tab-separated one",
            new StockCase(
                Z40 + " " + A40 + " " + "refs/heads/x\n" + Z40 + "\t" + A40 + "\t" + MAIN + "\n",
                false,
                null,
                1,
                "checkpoint-guard: push refused: line 2 of the hook input is malformed: expected")),
        Arguments.of(
            "SHA-256 repository, stock hook default (fail closed)",
            new StockCase(
                "0".repeat(64) + " " + "b".repeat(64) + " " + MAIN + "\n",
                true,
                null,
                1,
                "checkpoint-guard: "
                    + MAIN
                    + " refused: the server cannot read this repository (it uses SHA-256")),
        Arguments.of(
            "SHA-256 repository, stock hook with unreadableRepository = accept (fail open)",
            new StockCase(
                "0".repeat(64) + " " + "b".repeat(64) + " " + MAIN + "\n",
                true,
                "accept",
                0,
                "checkpoint-guard: warning: "
                    + MAIN
                    + " accepted unchecked: the server cannot read this repository")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stockCases")
  void stockHookInput(String name, StockCase k) throws Exception {
    Path repo = tmp.resolve("stock-" + counter.incrementAndGet() + ".git");
    List<String> init = new ArrayList<>(List.of("init", "-q", "--bare"));
    if (k.sha256()) {
      init.add("--object-format=sha256");
    }
    init.add(repo.toString());
    assertTrue(git.run(tmp, init).ok());
    if (k.config() != null) {
      assertTrue(git.run(repo, "config", "checkpointGuard.unreadableRepository", k.config()).ok());
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        new Main(
                new Io(
                    new PrintStream(out, true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8),
                    new ByteArrayInputStream(k.stdin().getBytes(StandardCharsets.UTF_8)),
                    Map.of("GIT_DIR", repo.toString())))
            .run("pre-receive");
    String text = err.toString(StandardCharsets.UTF_8);
    assertEquals(k.exit(), code, text);
    assertTrue(text.startsWith(k.message()), text);
    assertEquals(1, text.lines().count(), "one line: " + text);
    assertNoStackTrace(text + out.toString(StandardCharsets.UTF_8));
    System.out.println("[hostile] STOCK exit " + code + " | " + name + " | " + text.strip());
  }

  /**
   * Issue 9, defect 2: a repository config JGit cannot parse made the stock hooks print {@code
   * Cannot read file <absolute path>/config} (twice) to the pusher. The pusher reads one line
   * without a server path; the details go to the repository's {@code checkpoint-guard/hook.log}.
   */
  @ParameterizedTest(name = "{0}")
  @MethodSource("unparseableConfigs")
  void stockHooksWithAnUnparseableConfigShowNoServerPath(String name, String config)
      throws Exception {
    Path repo = tmp.resolve("stock-" + counter.incrementAndGet() + ".git");
    assertTrue(git.run(tmp, "init", "-q", "--bare", repo.toString()).ok());
    Files.writeString(repo.resolve("config"), config, StandardCharsets.UTF_8);
    for (String[] args :
        List.of(new String[] {"pre-receive"}, new String[] {"update", MAIN, Z40, A40})) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          new Main(
                  new Io(
                      new PrintStream(out, true, StandardCharsets.UTF_8),
                      new PrintStream(err, true, StandardCharsets.UTF_8),
                      new ByteArrayInputStream(
                          (Z40 + " " + A40 + " " + MAIN + "\n").getBytes(StandardCharsets.UTF_8)),
                      Map.of("GIT_DIR", repo.toString())))
              .run(args);
      String text = err.toString(StandardCharsets.UTF_8) + out.toString(StandardCharsets.UTF_8);
      assertEquals(1, code, args[0] + ": " + text);
      assertEquals(1, text.lines().count(), "one line: " + text);
      assertTrue(
          text.startsWith(
              "checkpoint-guard: "
                  + MAIN
                  + " refused: the server cannot read this"
                  + " repository (its git config file cannot be parsed"),
          text);
      assertTrue(text.contains("(rule unreadable-repository)"), text);
      assertFalse(
          text.contains(tmp.toString()) || text.contains("Cannot read file"),
          "a server path reached the pusher: " + text);
      assertEquals(
          text.indexOf("cannot be parsed"),
          text.lastIndexOf("cannot be parsed"),
          "said once: " + text);
      assertNoStackTrace(text);
      System.out.println(
          "[hostile] STOCK " + args[0] + " exit " + code + " | " + name + " | " + text.strip());
    }
    String log = Files.readString(repo.resolve("checkpoint-guard/hook.log"));
    assertTrue(
        log.contains(repo.resolve("config").toString()), "the details are in hook.log: " + log);
  }

  static Stream<Arguments> unparseableConfigs() {
    return Stream.of(
        Arguments.of("config with an unclosed section", "[core\n\tbare = true\n"),
        Arguments.of("config with a control character", "[core]\n\tbare = true\n\u0001\n"),
        Arguments.of("config with a bad escape", "[core]\n\tbare = \"\\q\"\n"));
  }

  static Map<String, ObjectId> refs(Path dir) throws Exception {
    Map<String, ObjectId> m = new TreeMap<>();
    try (Repository r =
        new FileRepositoryBuilder().setGitDir(dir.toFile()).setMustExist(true).build()) {
      for (Ref ref : r.getRefDatabase().getRefs()) {
        m.put(ref.getName(), ref.getObjectId());
      }
    }
    return m;
  }

  static void assertNoStackTrace(String text) {
    assertFalse(
        text.contains("\tat ") || text.contains("Exception") || text.contains("\n  at "),
        "stack trace shown: " + text);
  }

  static {
    // keeps unused-import warnings away from helpers kept for readability
    new HashMap<String, String>();
    assertNotNull(RefNames.MAIN);
  }
}
