package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientRepo.SessionData;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.TestJson;
import dev.checkpointguard.fixtures.V1Client;
import dev.checkpointguard.fixtures.V1Reader;
import dev.checkpointguard.fixtures.V2Reader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevSort;
import org.eclipse.jgit.revwalk.RevWalk;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code convert} on fixture-built v2 repositories of every client version and of every case of
 * spec v2-to-v1 §5, each read back through the independent {@link V1Reader}.
 */
class ConvertScenariosTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  private Path dir;

  private ClientRepo client(ClientVersion v) {
    dir = tmp.resolve("server.git");
    return ClientRepo.builder(v).threshold(3).chunkSize(150).buildOnDisk(dir);
  }

  private ConvertHarness.Run convert(String... extra) {
    String[] args = new String[3 + extra.length];
    args[0] = "convert";
    args[1] = "--repo";
    args[2] = dir.toString();
    System.arraycopy(extra, 0, args, 3, extra.length);
    return ConvertHarness.run(args);
  }

  private static Instant at(int minute) {
    return FixtureClock.DEFAULT_START.minusSeconds(86_400).plusSeconds(60L * minute);
  }

  /**
   * Every client version's own history: checkpoints, a second session, rotations (threshold 3),
   * finalizes (into an archive too), task metadata, a chunked transcript, sessions spanning
   * checkpoints with transcript offsets. Everything reads back; the rerun writes nothing; verify
   * passes.
   */
  @ParameterizedTest(name = "{0}")
  @EnumSource(ClientVersion.class)
  void everyClientVersion(ClientVersion version) throws Exception {
    String archived;
    String spanning;
    try (ClientRepo c = client(version)) {
      List<String> ids = c.checkpoints(4); // rotates once
      archived = ids.get(0);
      c.finalizeCheckpoint(archived, 0); // into the archive that holds it
      String multi = c.checkpoint(2);
      c.addSession(multi);
      c.spliceTaskMetadata(multi, 1, "toolu_01");
      String session = "sess-long";
      String first = ClientRepo.transcriptOf("long", at(10), 8); // chunked at 150 bytes
      c.checkpoint(c.newCheckpointId(), List.of(SessionData.of(session, at(10), first)));
      spanning =
          c.checkpoint(
              c.newCheckpointId(),
              List.of(
                  SessionData.of(
                          session, at(20), first + ClientRepo.transcriptOf("more", at(20), 2))
                      .withOffsets(8, 3)));
    }
    ConvertHarness.Run r = convert();
    assertEquals(0, r.exit(), r.toString());
    Map<String, V1Reader.Checkpoint> v1 = ConvertHarness.v1(dir);
    ConvertHarness.assertReadsBack(ConvertHarness.v2(dir), v1);
    if (version.legacyTranscriptNames()) { // v0.5.2-v0.5.5: full.jsonl names, in archives too
      assertTrue(
          r.out()
              .contains(
                  "transcript taken from full/0000000000001 under its legacy full.jsonl names"),
          r.out());
    }
    // offsets: raw until v0.5.4 (kept), compact from v0.5.5 (dropped: the whole transcript is in
    // scope)
    Map<String, Object> meta = v1.get(spanning).sessions().get(0).metadata();
    if (version.compactTranscriptStart()) {
      assertNull(meta.get("checkpoint_transcript_start"), meta.toString());
    } else {
      assertEquals(8L, meta.get("checkpoint_transcript_start"), meta.toString());
    }
    assertTrue(v1.get(spanning).sessions().get(0).files().contains("full.jsonl.001"), "chunked");
    Map<String, ObjectId> refs = ConvertHarness.allRefs(dir);
    ConvertHarness.Run again = convert();
    assertEquals(0, again.exit(), again.toString());
    assertEquals(refs, ConvertHarness.allRefs(dir), "a rerun writes nothing");
    ConvertHarness.Run verify = convert("--verify");
    assertEquals(0, verify.exit(), verify.toString());
  }

  /** Blobs are reused, names renamed exactly; tasks kept; the summary lists v1 paths. */
  @Test
  void layoutOfAConvertedCheckpoint() throws Exception {
    String id;
    try (ClientRepo c = client(ClientVersion.V0_6_2)) {
      id =
          c.checkpoint(
              c.newCheckpointId(),
              List.of(
                  SessionData.of("s-a", at(1), ClientRepo.transcriptOf("a", at(1), 6)),
                  SessionData.of("s-b", at(2), ClientRepo.transcriptOf("b", at(2), 1))));
      c.spliceTaskMetadata(id, 0, "toolu_9");
    }
    assertEquals(0, convert().exit());
    try (Repository repo = ConvertHarness.open(dir);
        RevWalk w = new RevWalk(repo)) {
      String cp = CheckpointIds.path(CheckpointIds.parse(id));
      FlatTree v1 =
          FlatTree.read(repo.newObjectReader(), w.parseCommit(repo.resolve(RefNames.V1)).getTree());
      FlatTree full =
          FlatTree.read(
              repo.newObjectReader(), w.parseCommit(repo.resolve(RefNames.CURRENT)).getTree());
      FlatTree main =
          FlatTree.read(
              repo.newObjectReader(), w.parseCommit(repo.resolve(RefNames.MAIN)).getTree());
      assertEquals(
          List.of(
              cp + "/0/content_hash.txt",
              cp + "/0/full.jsonl",
              cp + "/0/full.jsonl.001",
              cp + "/0/full.jsonl.002",
              cp + "/0/metadata.json",
              cp + "/0/prompt.txt",
              cp + "/0/tasks/toolu_9/agent-a1.jsonl",
              cp + "/0/tasks/toolu_9/checkpoint.json",
              cp + "/0/tasks/toolu_9/checkpoints/001-toolu_9.json",
              cp + "/0/transcript.jsonl",
              cp + "/1/content_hash.txt",
              cp + "/1/full.jsonl",
              cp + "/1/metadata.json",
              cp + "/1/prompt.txt",
              cp + "/1/transcript.jsonl",
              cp + "/metadata.json"),
          v1.pathsUnder(cp));
      assertEquals(full.get(cp + "/0/raw_transcript").id(), v1.get(cp + "/0/full.jsonl").id());
      assertEquals(
          full.get(cp + "/0/raw_transcript.002").id(), v1.get(cp + "/0/full.jsonl.002").id());
      assertEquals(
          full.get(cp + "/0/raw_transcript_hash.txt").id(),
          v1.get(cp + "/0/content_hash.txt").id());
      assertEquals(
          main.get(cp + "/1/metadata.json").id(),
          v1.get(cp + "/1/metadata.json").id(),
          "unchanged session metadata is the same blob");
      assertEquals(main.get(cp + "/0/prompt.txt").id(), v1.get(cp + "/0/prompt.txt").id());
      assertEquals(
          full.get(cp + "/0/tasks/toolu_9/checkpoint.json").id(),
          v1.get(cp + "/0/tasks/toolu_9/checkpoint.json").id());
      @SuppressWarnings("unchecked")
      Map<String, Object> summary =
          (Map<String, Object>)
              TestJson.parse(
                  new String(
                      repo.open(v1.get(cp + "/metadata.json").id()).getBytes(),
                      java.nio.charset.StandardCharsets.UTF_8));
      assertEquals(
          List.of(
              Map.of(
                  "metadata",
                  "/" + cp + "/0/metadata.json",
                  "transcript",
                  "/" + cp + "/0/full.jsonl",
                  "compact_transcript",
                  "/" + cp + "/0/transcript.jsonl",
                  "content_hash",
                  "/" + cp + "/0/content_hash.txt",
                  "prompt",
                  "/" + cp + "/0/prompt.txt"),
              Map.of(
                  "metadata",
                  "/" + cp + "/1/metadata.json",
                  "transcript",
                  "/" + cp + "/1/full.jsonl",
                  "compact_transcript",
                  "/" + cp + "/1/transcript.jsonl",
                  "content_hash",
                  "/" + cp + "/1/content_hash.txt",
                  "prompt",
                  "/" + cp + "/1/prompt.txt")),
          summary.get("sessions"));
      assertEquals(2L, summary.get("checkpoints_count"));
      assertEquals(List.of("src/s-a.go", "src/s-b.go"), summary.get("files_touched"));
      assertEquals(
          Map.of(
              "input_tokens",
              20L,
              "cache_creation_tokens",
              0L,
              "cache_read_tokens",
              10L,
              "output_tokens",
              40L,
              "api_call_count",
              2L),
          summary.get("token_usage"));
    }
  }

  /**
   * Checkpoints in both (dual write) stay byte-identical; v1 entries v2 does not have (sessions 0
   * and 2 only, a root {@code vercel.json}) stay too; the gaps get filled.
   */
  @Test
  void inBothAndAV1BranchWithGaps() throws Exception {
    String dual;
    String odd;
    ObjectId dualTree;
    ObjectId oddTree;
    ObjectId vercel;
    try (ClientRepo c = client(ClientVersion.V0_6_1)) {
      V1Client v1 = V1Client.of(c);
      dual =
          v1.dualWrite(
              c,
              c.newCheckpointId(),
              List.of(SessionData.of("d1", at(1), ClientRepo.transcriptOf("d", at(1), 2))));
      c.checkpoints(4); // v2 only
      odd = c.newCheckpointId();
      v1.write(
          odd, List.of(SessionData.of("o0", at(3), "x\n"), SessionData.of("o1", at(4), "y\n")));
      // a v1 checkpoint with non-contiguous sessions {0, 2} and a vercel.json, as in real data
      FlatTree t = c.flatTree(V1Client.BRANCH);
      String cp = CheckpointIds.path(CheckpointIds.parse(odd));
      for (String p : t.pathsUnder(cp + "/1")) {
        t.put(p.replace(cp + "/1/", cp + "/2/"), t.get(p).mode(), t.get(p).id());
        t.remove(p);
      }
      vercel = c.insertBlob("{\"git\":{\"deploymentEnabled\":false}}\n");
      t.put("vercel.json", FileMode.REGULAR_FILE, vercel);
      c.commitTree(V1Client.BRANCH, t, "Checkpoint: " + odd + "\n");
      dualTree = dirTree(c, dual);
      oddTree = dirTree(c, odd);
    }
    ConvertHarness.Run r = convert();
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("already in v1: 1 (" + dual + ")"), r.out());
    assertTrue(r.out().contains("converted: 4"), r.out());
    try (Repository repo = ConvertHarness.open(dir);
        RevWalk w = new RevWalk(repo)) {
      FlatTree t =
          FlatTree.read(repo.newObjectReader(), w.parseCommit(repo.resolve(RefNames.V1)).getTree());
      assertEquals(vercel, t.get("vercel.json").id(), "root files kept");
      assertEquals(dualTree, treeOf(repo, dual), "a checkpoint already in v1 is never modified");
      assertEquals(oddTree, treeOf(repo, odd));
    }
    ConvertHarness.assertReadsBack(ConvertHarness.v2(dir), ConvertHarness.v1(dir));
    assertEquals(0, convert("--verify").exit());
  }

  private static ObjectId dirTree(ClientRepo c, String id) throws Exception {
    return treeOf(c.repository(), id);
  }

  private static ObjectId treeOf(Repository repo, String id) throws Exception {
    try (RevWalk w = new RevWalk(repo);
        var tw =
            org.eclipse.jgit.treewalk.TreeWalk.forPath(
                repo,
                CheckpointIds.path(CheckpointIds.parse(id)),
                w.parseCommit(repo.resolve(RefNames.V1)).getTree())) {
      return tw.getObjectId(0);
    }
  }

  /**
   * Spec §11.2: migration kept only sessions with transcripts and renumbered them. With v1 on the
   * server the checkpoint is left alone and verify maps sessions by ID; without v1 the converted
   * checkpoint has the migrated sessions, in order, under their IDs.
   */
  @Test
  void renumberedSessions() throws Exception {
    String id;
    Map<String, List<SessionData>> v1Sessions = new LinkedHashMap<>();
    try (ClientRepo c = client(ClientVersion.V0_6_1)) {
      id = c.newCheckpointId();
      List<SessionData> sessions =
          List.of(
              new SessionData("empty", at(1), null, "only a prompt", 0, 0),
              SessionData.of("second", at(2), ClientRepo.transcriptOf("2nd", at(2), 3))
                  .withOffsets(2, 1),
              SessionData.of("third", at(3), ClientRepo.transcriptOf("3rd", at(3), 4)));
      V1Client.of(c).write(id, sessions);
      v1Sessions.put(id, sessions);
      c.migrateV1(v1Sessions);
    }
    Map<String, V2Reader.Checkpoint> v2 = ConvertHarness.v2(dir);
    assertEquals(
        List.of("second", "third"),
        v2.get(id).sessions().values().stream().map(V2Reader.Session::sessionId).toList(),
        "v2 renumbered");
    ConvertHarness.Run keep = convert();
    assertTrue(keep.out().contains("already in v1: 1"), keep.out());
    ConvertHarness.Run verify = convert("--verify");
    assertEquals(0, verify.exit(), verify.toString());
    // the same repository without its v1 branch: convert writes the migrated sessions
    try (Repository repo = ConvertHarness.open(dir)) {
      var u = repo.updateRef(RefNames.V1);
      u.setForceUpdate(true);
      u.delete();
    }
    ConvertHarness.Run r = convert();
    assertEquals(0, r.exit(), r.toString());
    V1Reader.Checkpoint got = ConvertHarness.v1(dir).get(id);
    assertEquals(
        List.of("second", "third"),
        got.sessions().stream().map(V1Reader.Session::sessionId).toList());
    assertNull(
        got.sessions().get(0).metadata().get("checkpoint_transcript_start"),
        "compact offset dropped");
    ConvertHarness.assertReadsBack(v2, ConvertHarness.v1(dir));
  }

  /**
   * A missing, zero or offset {@code created_at}: set to Go's UTC form (from the transcript's
   * latest event, else the author time of the checkpoint's commit), sessions ordered by it, noted
   * in the report.
   */
  @Test
  void missingAndNonUtcCreatedAt() throws Exception {
    String zero;
    String offset;
    String absent;
    try (ClientRepo c = client(ClientVersion.V0_6_2)) {
      zero =
          c.checkpoint(
              c.newCheckpointId(),
              List.of(
                  SessionData.of("later", at(30), ClientRepo.transcriptOf("later", at(30), 2)),
                  new SessionData(
                      "zero", null, ClientRepo.transcriptOf("zero", at(5), 2), null, 0, 0)));
      offset = c.checkpoint(1);
      absent =
          c.checkpoint(
              c.newCheckpointId(),
              List.of(
                  new SessionData("none", null, null, "p", 0, 0),
                  SessionData.of("has", at(40), "{}\n")));
      FlatTree main = c.flatTree(RefNames.MAIN);
      String p = CheckpointIds.path(CheckpointIds.parse(offset)) + "/0/metadata.json";
      String text = new String(c.repository().open(main.get(p).id()).getBytes());
      text =
          text.replaceAll(
              "\"created_at\": \"([^\"]+)Z\"", "\"created_at\": \"2026-05-01T12:00:00+02:00\"");
      main.put(p, FileMode.REGULAR_FILE, c.insertBlob(text));
      String q = CheckpointIds.path(CheckpointIds.parse(absent)) + "/0/metadata.json";
      String t2 = new String(c.repository().open(main.get(q).id()).getBytes());
      main.put(
          q,
          FileMode.REGULAR_FILE,
          c.insertBlob(t2.replaceAll("  \"created_at\": \"[^\"]+\",\n", "")));
      c.commitTree(RefNames.MAIN, main, "Checkpoint: " + absent + "\n");
    }
    ConvertHarness.Run r = convert();
    assertEquals(0, r.exit(), r.toString());
    Map<String, V1Reader.Checkpoint> v1 = ConvertHarness.v1(dir);
    List<V1Reader.Session> z = v1.get(zero).sessions();
    assertEquals(
        List.of("zero", "later"),
        z.stream().map(V1Reader.Session::sessionId).toList(),
        "ordered by created_at, the latest last");
    assertEquals(
        ClientRepo.goTime(at(5).minusSeconds(1)), z.get(0).createdAt(), "from the transcript");
    assertEquals("2026-05-01T10:00:00Z", v1.get(offset).sessions().get(0).createdAt());
    V1Reader.Session none =
        v1.get(absent).sessions().stream()
            .filter(s -> s.sessionId().equals("none"))
            .findFirst()
            .orElseThrow();
    assertNotNull(none.createdAt());
    assertNull(
        none.transcript(), "a session without a raw transcript keeps metadata and prompt only");
    assertEquals("p", none.prompt());
    assertTrue(
        r.out()
            .contains(
                "session 0 (zero), v2 session 1: created_at '0001-01-01T00:00:00Z' unusable;"
                    + " set to "
                    + ClientRepo.goTime(at(5).minusSeconds(1))
                    + ", its transcript's latest event"),
        r.out());
    assertTrue(r.out().contains("(none), v2 session 0: created_at missing; set to"), r.out());
    assertTrue(
        r.out()
            .contains(
                "no raw transcript in any /full ref: metadata, prompt and compact transcript only"),
        r.out());
  }

  /**
   * The same session in several generations: identical copies are one; an older copy (a prefix)
   * loses to the longer one; a corrupt copy loses to a valid one; a real divergence picks the
   * latest event and names the loser, and verify then refuses to let v2 go; no valid copy at all:
   * not convertible.
   */
  @Test
  void duplicatesAcrossGenerations() throws Exception {
    String same;
    String grown;
    String corrupt;
    String diverged;
    String broken;
    String base = ClientRepo.transcriptOf("base", at(50), 3);
    try (ClientRepo c = client(ClientVersion.V0_6_2)) {
      same = c.checkpoint(c.newCheckpointId(), List.of(SessionData.of("same", at(50), base)));
      grown = c.checkpoint(c.newCheckpointId(), List.of(SessionData.of("grown", at(51), base)));
      corrupt = c.checkpoint(c.newCheckpointId(), List.of(SessionData.of("corrupt", at(52), base)));
      // rotated into full/0000000000001; now copies in /full/current
      diverged =
          c.checkpoint(c.newCheckpointId(), List.of(SessionData.of("diverged", at(53), base)));
      broken = c.checkpoint(c.newCheckpointId(), List.of(SessionData.of("broken", at(54), base)));
      FlatTree archive = c.flatTree(RefNames.archive(1));
      FlatTree cur = c.flatTree(RefNames.CURRENT);
      copy(archive, cur, same);
      copy(archive, cur, grown);
      put(c, cur, grown, base + ClientRepo.transcriptOf("later", at(60), 1), true);
      copy(archive, cur, corrupt);
      FlatTree a2 =
          c.flatTree(RefNames.CURRENT); // an archive with the original copies, broken's left out
      a2.removeDirectory(CheckpointIds.path(CheckpointIds.parse(broken)));
      put(c, cur, diverged, ClientRepo.transcriptOf("other", at(70), 2), true);
      put(c, cur, broken, base + "{}\n", false);
      c.commitTree(RefNames.CURRENT, cur, "Checkpoint: " + grown + "\n");
      c.updateRef(RefNames.archive(7), null, c.insertCommit(a2, "Archive generation"));
      FlatTree arch = c.flatTree(RefNames.archive(1));
      put(c, arch, corrupt, base + "{\"tampered\":true}\n", false);
      c.commitTree(RefNames.archive(1), arch, "Finalize checkpoint: " + corrupt + "\n");
    }
    ConvertHarness.Run r = convert();
    assertEquals(1, r.exit(), r.toString()); // broken is not convertible
    Map<String, V1Reader.Checkpoint> v1 = ConvertHarness.v1(dir);
    assertEquals(base, v1.get(same).sessions().get(0).transcriptText());
    assertEquals(
        base + ClientRepo.transcriptOf("later", at(60), 1),
        v1.get(grown).sessions().get(0).transcriptText());
    assertEquals(base, v1.get(corrupt).sessions().get(0).transcriptText());
    assertEquals(
        ClientRepo.transcriptOf("other", at(70), 2),
        v1.get(diverged).sessions().get(0).transcriptText());
    assertFalse(v1.containsKey(broken));
    assertTrue(
        r.out().matches("(?s).*" + same + " \\(1 session\\)\\n(  \\w|already).*"),
        "identical copies: no note\n" + r.out());
    assertTrue(r.out().contains("session 0 (grown): full/0000000000001 (sha256:"), r.out());
    assertTrue(r.out().contains("not used: an older version (a prefix) of full/current"), r.out());
    assertTrue(r.out().contains("session 0 (corrupt): full/0000000000001 (sha256:"), r.out());
    assertTrue(
        r.out().contains("not used: SHA-256 of the transcript differs from its hash file"),
        r.out());
    assertTrue(r.out().contains("session 0 (diverged): full/0000000000007 (sha256:"), r.out());
    assertTrue(r.out().contains("not used: it differs from full/current"), r.out());
    assertTrue(r.out().contains(broken + ": session 0: full/current (sha256:"), r.out());
    ConvertHarness.Run verify = convert("--verify");
    assertEquals(1, verify.exit(), verify.toString());
    assertTrue(
        verify
            .out()
            .contains(
                diverged
                    + " session diverged: v2 holds a different transcript v1 does not"
                    + " have"),
        verify.out());
    assertTrue(
        verify.out().contains(broken + ": not in v1 (not convertible: session 0:"), verify.out());
    ConvertHarness.Run retire = convert("--retire");
    assertEquals(1, retire.exit(), retire.toString());
    assertTrue(ConvertHarness.allRefs(dir).containsKey(RefNames.MAIN), "nothing retired");
  }

  private static void copy(FlatTree from, FlatTree to, String id) {
    String cp = CheckpointIds.path(CheckpointIds.parse(id));
    for (String p : from.pathsUnder(cp)) {
      to.put(p, from.get(p).mode(), from.get(p).id());
    }
  }

  /**
   * Writes a one-chunk raw transcript of {@code id}'s session 0 into {@code t}, with or without its
   * hash.
   */
  private static void put(
      ClientRepo c, FlatTree t, String id, String transcript, boolean withHash) {
    String d = CheckpointIds.path(CheckpointIds.parse(id)) + "/0/";
    for (String p : t.pathsUnder(d)) {
      if (p.substring(d.length()).startsWith("raw_transcript") && !p.endsWith("_hash.txt")) {
        t.remove(p);
      }
    }
    t.put(d + "raw_transcript", FileMode.REGULAR_FILE, c.insertBlob(transcript));
    if (withHash) {
      t.put(
          d + "raw_transcript_hash.txt",
          FileMode.REGULAR_FILE,
          c.insertBlob(ClientRepo.sha256(transcript)));
    }
  }

  /**
   * Not convertible: nothing raw at all (only /main), raw transcripts without /main metadata, an
   * unreadable summary. Named with reasons, exit 1, nothing of them written; a rerun says the same.
   */
  @Test
  void notConvertibleCheckpointsAreNamed() throws Exception {
    String mainOnly;
    String fullOnly;
    String badSummary;
    try (ClientRepo c = client(ClientVersion.V0_6_2)) {
      c.checkpoints(2);
      mainOnly =
          c.checkpoint(c.newCheckpointId(), List.of(new SessionData("m", at(1), null, "p", 0, 0)));
      fullOnly = c.checkpoint(1);
      badSummary = c.checkpoint(1);
      FlatTree main = c.flatTree(RefNames.MAIN);
      main.removeDirectory(CheckpointIds.path(CheckpointIds.parse(fullOnly)));
      main.put(
          CheckpointIds.path(CheckpointIds.parse(badSummary)) + "/metadata.json",
          FileMode.REGULAR_FILE,
          c.insertBlob("{\"sessions\": [}"));
      c.commitTree(RefNames.MAIN, main, "hand edit");
    }
    ConvertHarness.Run r = convert("--json");
    assertEquals(1, r.exit(), r.toString());
    @SuppressWarnings("unchecked")
    Map<String, Object> report = (Map<String, Object>) TestJson.parse(r.out());
    assertEquals("checkpoint-guard.convert/1", report.get("schema"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> refused = (List<Map<String, Object>>) report.get("not_convertible");
    Map<Object, Object> reasons = new java.util.TreeMap<>();
    refused.forEach(m -> reasons.put(m.get("id"), m.get("reason")));
    assertEquals(3, reasons.size(), reasons.toString());
    assertEquals("no raw transcript in any /full ref", reasons.get(mainOnly));
    assertEquals(
        "not on /main: raw transcripts without the checkpoint's metadata", reasons.get(fullOnly));
    assertTrue(
        ((String) reasons.get(badSummary))
            .startsWith("metadata.json (summary) on /main: invalid JSON at" + " offset "),
        reasons.toString());
    Map<String, ObjectId> refs = ConvertHarness.allRefs(dir);
    ConvertHarness.Run again = convert();
    assertEquals(1, again.exit());
    assertEquals(refs, ConvertHarness.allRefs(dir));
    Map<String, V1Reader.Checkpoint> v1 = ConvertHarness.v1(dir);
    assertEquals(2, v1.size());
  }

  /**
   * The client's GetCheckpointAuthor (newest commit whose subject is Checkpoint: <id>) finds the
   * author.
   */
  @Test
  void authorCommitsNameTheV2Author() throws Exception {
    List<String> ids;
    try (ClientRepo c =
        ClientRepo.builder(ClientVersion.V0_6_2)
            .user("Bob Builder", "bob@example.com")
            .buildOnDisk(dir = tmp.resolve("server.git"))) {
      ids = c.checkpoints(3);
      c.migrate(2); // Migrate batch: no Checkpoint commit, no author commit
    }
    ConvertHarness.Run r = convert();
    assertEquals(0, r.exit(), r.toString());
    try (Repository repo = ConvertHarness.open(dir);
        RevWalk w = new RevWalk(repo)) {
      w.sort(RevSort.COMMIT_TIME_DESC);
      w.markStart(w.parseCommit(repo.resolve(RefNames.V1)));
      Map<String, RevCommit> bySubject = new LinkedHashMap<>();
      for (RevCommit x : w) {
        bySubject.putIfAbsent(x.getShortMessage(), x);
        assertEquals(x.getParentCount() == 0 ? 0 : 1, x.getParentCount());
      }
      for (String id : ids) {
        RevCommit x = bySubject.get("Checkpoint: " + id);
        assertNotNull(x, id);
        assertEquals("Bob Builder", x.getAuthorIdent().getName());
        assertEquals("bob@example.com", x.getAuthorIdent().getEmailAddress());
        assertEquals("checkpoint-guard convert", x.getCommitterIdent().getName());
      }
      assertEquals(3 + 2 /* init, content */, bySubject.size());
    }
  }

  @Test
  void dryRunWritesNothingAndExits1WithWork() throws Exception {
    try (ClientRepo c = client(ClientVersion.V0_6_2)) {
      c.checkpoints(2);
    }
    Map<String, ObjectId> refs = ConvertHarness.allRefs(dir);
    ConvertHarness.Run r = convert("--dry-run");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().contains("to convert: 2"), r.out());
    assertEquals(refs, ConvertHarness.allRefs(dir));
    assertFalse(java.nio.file.Files.exists(dir.resolve("checkpoint-guard.lock")), "no lock file");
  }

  @Test
  void refusesToRunInsideAPushQuarantine() throws Exception {
    try (ClientRepo c = client(ClientVersion.V0_6_2)) {
      c.checkpoints(1);
    }
    Map<String, ObjectId> refs = ConvertHarness.allRefs(dir);
    ConvertHarness.Run r =
        ConvertHarness.run(
            Map.of("GIT_QUARANTINE_PATH", dir.resolve("objects/tmp").toString()),
            Converter.Hooks.NONE,
            Converter.Listener.NONE,
            "convert",
            "--repo",
            dir.toString());
    assertEquals(2, r.exit(), r.toString());
    assertTrue(r.err().contains("refusing to run inside a push quarantine"), r.err());
    assertEquals(refs, ConvertHarness.allRefs(dir));
  }

  /**
   * Several threads (each its own reader and pack) over several chunks write exactly what one
   * thread writes in one chunk; verify over several chunks agrees.
   */
  @Test
  void parallelSlicesWriteWhatOneThreadWrites() throws Exception {
    try (ClientRepo c = client(ClientVersion.V0_6_2)) {
      c.checkpoints(12);
      String multi = c.checkpoint(2);
      c.spliceTaskMetadata(multi, 1, "toolu_p");
    }
    Path single = dir;
    Path copy = tmp.resolve("copy.git");
    org.eclipse.jgit.util.FileUtils.mkdirs(copy.toFile());
    try (var s = java.nio.file.Files.walk(single)) {
      for (Path p : s.toList()) {
        Path to = copy.resolve(single.relativize(p).toString());
        if (java.nio.file.Files.isDirectory(p)) {
          java.nio.file.Files.createDirectories(to);
        } else {
          java.nio.file.Files.copy(p, to);
        }
      }
    }
    assertEquals(0, convert().exit());
    int before = Parallel.minPerThread;
    int chunk = Converter.chunk;
    Parallel.minPerThread = 2;
    Converter.chunk = 5;
    try {
      dir = copy;
      assertTrue(Parallel.slices(13) > 1 || Parallel.threads() == 1, "sliced");
      ConvertHarness.Run r = convert();
      assertEquals(0, r.exit(), r.toString());
      assertEquals(0, convert("--verify").exit());
    } finally {
      Parallel.minPerThread = before;
      Converter.chunk = chunk;
    }
    assertEquals(
        ConvertHarness.allRefs(single).get(RefNames.V1),
        ConvertHarness.allRefs(copy).get(RefNames.V1),
        "the same commits, trees and blobs");
    ConvertHarness.assertReadsBack(ConvertHarness.v2(copy), ConvertHarness.v1(copy));
  }
}
