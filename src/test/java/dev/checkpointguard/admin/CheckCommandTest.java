package dev.checkpointguard.admin;

import static dev.checkpointguard.admin.AdminHarness.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.DamageScenarios;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.TestJson;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void healthyRepositoryFromFixedMigrationExitsZero() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.build(dir, ClientVersion.V0_6_1, 100, 3, c -> c.migrate(250));
    AdminHarness.Run r = run("check", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString());
    assertTrue(r.out().contains("full/0000000000001   100  migration"), r.out());
    assertTrue(r.out().contains("full/current          50  migrated-partial"), r.out());
    assertTrue(r.out().contains("generation.json: valid, matches"), r.out());
    assertTrue(r.out().endsWith("result: healthy (0 errors, 0 warnings)\n"), r.out());
  }

  @Test
  void underThresholdArchiveOfV060IsAnErrorInTextAndJson() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    AdminHarness.Run r = run("check", "--repo", dir.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(
        r.out()
            .contains(
                "  error under-threshold-archive: full/0000000000003 holds 50 checkpoints,"
                    + " fewer than the threshold of 100 (tip: migration)"),
        r.out());

    AdminHarness.Run j = run("check", "--repo", dir.toString(), "--json");
    assertEquals(1, j.exit());
    Map<?, ?> doc = (Map<?, ?>) TestJson.parse(j.out());
    assertEquals(JsonReport.SCHEMA, doc.get("schema"));
    assertEquals(Boolean.FALSE, doc.get("healthy"));
    List<?> findings = (List<?>) doc.get("findings");
    Map<?, ?> f = (Map<?, ?>) findings.get(0);
    assertEquals("under-threshold-archive", f.get("code"));
    assertEquals("error", f.get("severity"));
    assertEquals(List.of("refs/entire/checkpoints/v2/full/0000000000003"), f.get("refs"));
    assertEquals(50, ((Number) f.get("count")).intValue());
    assertEquals(JsonReport.SAMPLE, ((List<?>) f.get("checkpoints")).size());
    List<?> gens = (List<?>) doc.get("generations");
    assertEquals(4, gens.size()); // three archives and current
    Map<?, ?> g3 = (Map<?, ?>) gens.get(2);
    assertEquals("migration", g3.get("kind"));
    assertEquals(3, ((Number) g3.get("number")).intValue());
    assertEquals("valid", ((Map<?, ?>) g3.get("generation_json")).get("state"));
  }

  @Test
  void rehydratedCurrentIsAnErrorAndSplitSessionsAreOnlyInfo() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.rehydratedCurrent(dir, 10);
    AdminHarness.Run r = run("check", "--repo", dir.toString(), "--threshold", "10");
    assertEquals(1, r.exit(), r.toString());
    assertTrue(
        r.out()
            .contains(
                "error current-archived-duplicates: full/current holds copies of 10"
                    + " checkpoints archived in full/0000000000001 (rehydration)"),
        r.out());
    assertTrue(
        r.out().contains("error current-at-threshold: full/current holds 12 checkpoints"), r.out());

    Path split = tmp.resolve("split.git");
    DamageScenarios.build(
        split,
        ClientVersion.V0_6_2,
        5,
        4,
        c -> {
          List<String> ids = c.checkpoints(5); // rotated into archive 1
          c.addSession(ids.get(0)); // its second session lands in /full/current (§10.4.6)
        });
    AdminHarness.Run s = run("check", "--repo", split.toString(), "--threshold", "5");
    assertEquals(0, s.exit(), s.toString());
    assertTrue(
        s.out()
            .contains(
                "info split-checkpoints: 1 checkpoint with sessions split between"
                    + " full/0000000000001 and full/current (legitimate, spec §10.4.6)"),
        s.out());
  }

  @Test
  void invalidAndMissingGenerationJsonAreErrors() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.build(
        dir,
        ClientVersion.V0_6_1,
        100,
        5,
        c -> {
          c.migrate(200);
          var t = c.flatTree(RefNames.archive(1));
          t.put(
              "generation.json",
              org.eclipse.jgit.lib.FileMode.REGULAR_FILE,
              c.insertBlob("{\"oldest_checkpoint_at\": 5}\n"));
          c.commitTree(RefNames.archive(1), t, "Finalize checkpoint: x\n");
          var t2 = c.flatTree(RefNames.archive(2));
          t2.remove("generation.json");
          c.commitTree(RefNames.archive(2), t2, "Finalize checkpoint: y\n");
        });
    AdminHarness.Run r = run("check", "--repo", dir.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(
        r.out()
            .contains(
                "error invalid-generation-json: full/0000000000001 has an invalid"
                    + " generation.json: oldest_checkpoint_at is not a string"),
        r.out());
    assertTrue(
        r.out()
            .contains("error missing-generation-json: full/0000000000002 has no generation.json"),
        r.out());
  }

  @Test
  void thresholdDefaultsToTheRepositorysGuardSetting() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 250);
    try (var repo = AdminHarness.open(dir)) {
      repo.getConfig().setInt("checkpointGuard", null, "threshold", 50);
      repo.getConfig().save();
    }
    AdminHarness.Run r = run("check", "--repo", dir.toString());
    assertEquals(0, r.exit(), r.toString()); // 50 checkpoints meet a threshold of 50
    assertTrue(r.out().startsWith("checkpoint-guard check: " + dir + " (threshold 50)\n"), r.out());
    try (var repo = AdminHarness.open(dir)) {
      repo.getConfig().setString("checkpointGuard", null, "threshold", "lots");
      repo.getConfig().save();
    }
    AdminHarness.Run bad = run("check", "--repo", dir.toString());
    assertEquals(2, bad.exit());
    assertEquals(
        "checkpoint-guard check: invalid git config checkpointGuard.threshold = 'lots': expected a"
            + " whole number from 1 to 100 (clients archive a generation at 100 checkpoints)\n",
        bad.err());
  }

  @Test
  void emptyRepositoryIsHealthyAndUnknownNamesAreErrorsRepairLeavesAlone() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.build(dir, ClientVersion.V0_6_1, 100, 6, c -> {});
    AdminHarness.Run empty = run("check", "--repo", dir.toString());
    assertEquals(0, empty.exit(), empty.toString());
    assertTrue(
        empty.out().contains("main: missing\ngenerations:\n  (none)\nfindings:\n  (none)\n"),
        empty.out());

    Path odd = tmp.resolve("odd.git");
    DamageScenarios.build(
        odd,
        ClientVersion.V0_6_1,
        100,
        7,
        c -> {
          c.checkpoints(3);
          c.updateRef("refs/entire/checkpoints/v2/full/abc", null, c.ref(ClientRepo.CURRENT));
        });
    AdminHarness.Run r = run("check", "--repo", odd.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(
        r.out()
            .contains(
                "  error unknown-ref: refs/entire/checkpoints/v2/full/abc: a name no client"
                    + " produces; repair leaves it alone, remove it by hand once understood\n"),
        r.out());
    AdminHarness.Run repair = run("repair", "--repo", odd.toString());
    assertEquals(1, repair.exit(), repair.toString());
    assertTrue(
        repair
            .out()
            .startsWith(
                "nothing to repair (mode minimal, threshold 100)\ncheck: problems remain"
                    + " (1 error, 0 warnings; details: "
                    + Invocation.of(Map.of())
                        .command("check", "--repo", odd.toAbsolutePath().toString())
                    + ")\n"),
        repair.out());
  }

  @Test
  void jsonReportOfAnEmptyRepositoryIsExactlyTheDocumentedLayout() throws Exception {
    Path dir = tmp.resolve("q\"uote\\é.git"); // escaped in JSON, never HTML- or non-ASCII-escaped
    DamageScenarios.build(dir, ClientVersion.V0_6_1, 100, 6, c -> {});
    AdminHarness.Run j = run("check", "--repo", dir.toString(), "--json");
    assertEquals(0, j.exit(), j.toString());
    assertEquals(
        "{\n"
            + "  \"schema\": \"checkpoint-guard.check/1\",\n"
            + "  \"repository\": \""
            + dir.toString().replace("\\", "\\\\").replace("\"", "\\\"")
            + "\",\n"
            + "  \"threshold\": 100,\n"
            + "  \"healthy\": true,\n"
            + "  \"summary\": {\"generations\": 0, \"archives\": 0, \"checkpoints\": 0, \"errors\": 0, \"warnings\": 0,"
            + " \"infos\": 0},\n"
            + "  \"main\": null,\n"
            + "  \"generations\": [],\n"
            + "  \"findings\": [],\n"
            + "  \"backups\": []\n"
            + "}\n",
        j.out());
    assertEquals(dir.toString(), ((Map<?, ?>) TestJson.parse(j.out())).get("repository"));
  }

  /** docs/admin.md: root members one per line, one line per generation, finding and backup. */
  @Test
  void jsonReportPutsEachGenerationFindingAndBackupOnOneLine() throws Exception {
    Path dir = tmp.resolve("r.git");
    DamageScenarios.severalV060Runs(dir);
    assertEquals(0, run("repair", "--repo", dir.toString(), "--threshold", "50").exit());
    AdminHarness.Run j = run("check", "--repo", dir.toString(), "--json");
    assertEquals(
        1, j.exit(), j.toString()); // archives of 50 are under the threshold of 100: findings
    String[] lines = j.out().split("\n", -1);
    Map<?, ?> doc = (Map<?, ?>) TestJson.parse(j.out());
    int gens = ((List<?>) doc.get("generations")).size();
    int findings = ((List<?>) doc.get("findings")).size();
    int backups = ((List<?>) doc.get("backups")).size();
    assertTrue(gens > 1 && findings > 1 && backups == 1, j.out());
    // "{", 9 root members, the elements, 3 array closers, "}" and the empty rest after the final
    // newline
    assertEquals(1 + 9 + gens + findings + backups + 3 + 2, lines.length, j.out());
    assertEquals("{", lines[0]);
    assertEquals("}", lines[lines.length - 2]);
    assertEquals("", lines[lines.length - 1]);
    int elements = 0;
    for (int i = 1; i < lines.length - 2; i++) {
      String l = lines[i];
      if (l.startsWith("    ")) {
        elements++;
        assertTrue(l.matches("    \\{\"(ref|code|timestamp)\": .*\\},?"), l);
      } else {
        assertTrue(l.matches("  (\"[a-z]+\": .*[^\\[],?|\"[a-z]+\": \\[|\\],?)"), l);
      }
    }
    assertEquals(gens + findings + backups, elements);
    assertTrue(j.out().contains("\"refs\": [\"refs/entire/checkpoints/v2/full/"), j.out());
    assertTrue(
        j.out().contains("\"generation_json\": {\"state\": \"valid\", \"oldest\": \"20"), j.out());
  }

  @Test
  void usageErrorsExitTwoWithOneLine() throws Exception {
    AdminHarness.Run noRepo = run("check");
    assertEquals(2, noRepo.exit());
    assertTrue(
        noRepo
            .err()
            .startsWith(
                "checkpoint-guard check: give either --repo DIR (one repository) or --repos DIR"),
        noRepo.err());
    AdminHarness.Run notDir = run("check", "--repo", tmp.resolve("nope").toString());
    assertEquals(2, notDir.exit());
    assertEquals(
        "checkpoint-guard check: --repo " + tmp.resolve("nope") + ": not a directory\n",
        notDir.err());
    AdminHarness.Run notRepo = run("check", "--repo", tmp.toString());
    assertEquals(
        "checkpoint-guard check: --repo " + tmp + ": not a git repository\n", notRepo.err());
    Path dir = tmp.resolve("r.git");
    DamageScenarios.oneV060Run(dir, 10);
    AdminHarness.Run bad = run("check", "--repo", dir.toString(), "--threshold", "0");
    assertEquals(2, bad.exit());
    assertEquals(
        "checkpoint-guard check: --threshold 0: expected a whole number from 1 to 100 (clients archive a generation at 100 checkpoints)\n",
        bad.err());
    assertFalse(bad.err().contains("Exception"));
  }
}
