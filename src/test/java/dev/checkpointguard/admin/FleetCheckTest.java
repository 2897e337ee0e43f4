package dev.checkpointguard.admin;

import static dev.checkpointguard.admin.AdminHarness.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.DamageScenarios;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.TestJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code check --repos DIR} on a folder laid out like GitLab's hashed storage and Gitea's
 * owner/name.
 */
class FleetCheckTest {
  static final String DAMAGED =
      "gitlab/@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.git";
  static final String WIKI =
      "gitlab/@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.wiki.git";
  static final String HEALTHY = "gitea/alice/notes.git";
  static final String BROKEN = "gitea/bob/broken.git";
  static final String WORK_TREE = "plain/work";

  @TempDir(factory = FastTempDir.class)
  static Path tmp;

  static Path root;

  /** Built once: the tests only read it (the one that changes it works on a copy). */
  @BeforeAll
  static void fleet() throws Exception {
    root = Files.createDirectories(tmp.resolve("srv repos"));
    DamageScenarios.severalV060Runs(root.resolve(DAMAGED));
    bare(root.resolve(WIKI));
    // Gitaly's temporary copies are not the server's repositories
    DamageScenarios.oneV060Run(root.resolve("gitlab/+gitaly/tmp/repo123.git"), 130);
    DamageScenarios.build(root.resolve(HEALTHY), ClientVersion.V0_6_1, 100, 3, c -> c.migrate(250));
    // a v2 ref whose commit is missing: the audit of this repository fails, the others go on
    bare(root.resolve(BROKEN));
    Files.createDirectories(root.resolve(BROKEN).resolve("refs/entire/checkpoints/v2"));
    Files.writeString(
        root.resolve(BROKEN).resolve("refs/entire/checkpoints/v2/main"),
        "1234567890123456789012345678901234567890\n");
    try (Repository r =
        new FileRepositoryBuilder().setWorkTree(root.resolve(WORK_TREE).toFile()).build()) {
      r.create();
    }
    Files.createDirectories(root.resolve("not a repository/objects"));
    Files.writeString(root.resolve("README.txt"), "not a repository either\n");
  }

  static void bare(Path dir) throws Exception {
    try (Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build()) {
      r.create(true);
    }
  }

  @Test
  void discoversHashedOwnerNameAndWorkTreeRepositoriesOnly() throws Exception {
    Fleet.Discovery d = Fleet.discover(root);
    assertEquals(
        List.of(HEALTHY, BROKEN, DAMAGED, WIKI, WORK_TREE),
        d.repositories().stream().map(Fleet.Repo::name).toList());
    assertEquals(
        root.toRealPath().resolve(WORK_TREE).resolve(".git"), d.repositories().get(4).gitDir());
    assertEquals(List.of(), d.unlisted());
  }

  @Test
  void oneLinePerRepositoryASummaryAndExitOneWhenAnyHasErrors() throws Exception {
    Path root = tmp.resolve("copy");
    DamageScenarios.copyRepository(FleetCheckTest.root, root);
    AdminHarness.Run r =
        run(
            Map.of(Invocation.LAUNCHER_ENV, "checkpoint-guard"),
            Repair.Listener.NONE,
            "check",
            "--repos",
            root.toString(),
            "--jobs",
            "2");
    assertEquals(1, r.exit(), r.toString());
    // the hint runs as printed: the first repository that needs a look, by its real path, quoted
    Path broken = Fleet.discover(root).repositories().get(1).gitDir();
    assertTrue(broken.endsWith(BROKEN), broken.toString());
    int w = WIKI.length();
    List<String> expected =
        List.of(
            "checkpoint-guard check: " + root + " (each repository's threshold)",
            String.format(
                "  %-" + w + "s  %-10s %11s %12s  %s",
                "repository",
                "health",
                "generations",
                "checkpoints",
                "damage"),
            String.format("  %-" + w + "s  %-10s %11d %12d", HEALTHY, "healthy", 3, 250),
            String.format(
                "  %-" + w + "s  %-10s %s",
                BROKEN,
                "unreadable",
                "object 1234567890123456789012345678901234567890 is missing (the repository is damaged or incomplete)"),
            String.format(
                "  %-" + w + "s  %-10s %11d %12d  %s",
                DAMAGED,
                "problems",
                6,
                373,
                "under-threshold-archive x2 archive-order"),
            String.format("  %-" + w + "s  %-10s %11d %12d", WIKI, "no-v2", 0, 0),
            String.format("  %-" + w + "s  %-10s %11d %12d", WORK_TREE, "no-v2", 0, 0),
            "summary: 5 repositories: 1 healthy, 1 with problems, 2 without v2 checkpoints, 1 unreadable",
            "result: problems found; details of one repository: checkpoint-guard check --repo "
                + Invocation.quote(broken.toString()));
    assertEquals(expected, r.out().lines().toList(), r.toString());
    // progress on standard error, one line per repository as it finishes
    List<String> progress = r.err().lines().toList();
    assertEquals(
        "checkpoint-guard check: 5 repositories under " + root + ", 2 jobs", progress.get(0));
    assertEquals(6, progress.size(), r.err());
    assertTrue(progress.contains("[5/5] " + progress.get(5).substring(6)), r.err());
    assertTrue(
        progress.stream()
            .anyMatch(
                l ->
                    l.matches(
                        "\\[[1-5]/5\\] "
                            + java.util.regex.Pattern.quote(BROKEN)
                            + ": object 1234567890123456789012345678901234567890 is missing .*")),
        r.err());

    Files.delete(root.resolve(BROKEN).resolve("refs/entire/checkpoints/v2/main"));
    Files.walk(root.resolve("gitlab/@hashed"))
        .sorted(Collections.reverseOrder())
        .forEach(p -> p.toFile().delete());
    AdminHarness.Run clean = run("check", "--repos", root.toString());
    assertEquals(0, clean.exit(), clean.toString());
    assertTrue(
        clean
            .out()
            .endsWith(
                "summary: 3 repositories: 1 healthy, 0 with problems, 2 without v2 checkpoints, 0 unreadable\nresult: healthy\n"),
        clean.out());
  }

  @Test
  void jsonNamesEveryRepositoryWithItsHealthCountsAndFindings() throws Exception {
    AdminHarness.Run r = run("check", "--repos", root.toString(), "--json", "--threshold", "60");
    assertEquals(1, r.exit(), r.toString());
    Map<?, ?> doc = (Map<?, ?>) TestJson.parse(r.out());
    assertEquals(FleetCheck.SCHEMA, doc.get("schema"));
    assertEquals(root.toString(), doc.get("root"));
    assertEquals(60L, doc.get("threshold"));
    assertEquals(Boolean.FALSE, doc.get("healthy"));
    assertEquals(
        Map.of(
            "repositories",
            5L,
            "healthy",
            1L,
            "problems",
            1L,
            "no_v2",
            2L,
            "unreadable",
            1L,
            "unlisted_folders",
            0L),
        doc.get("summary"));
    List<?> repos = (List<?>) doc.get("repositories");
    List<Object> paths = new ArrayList<>();
    repos.forEach(o -> paths.add(((Map<?, ?>) o).get("path")));
    assertEquals(List.of(HEALTHY, BROKEN, DAMAGED, WIKI, WORK_TREE), paths);
    Map<?, ?> damaged = (Map<?, ?>) repos.get(2);
    assertEquals("problems", damaged.get("health"));
    assertEquals(null, damaged.get("problem"));
    assertEquals(60L, damaged.get("threshold"));
    assertEquals(6L, damaged.get("generations"));
    assertEquals(5L, damaged.get("archives"));
    assertEquals(373L, damaged.get("checkpoints"));
    assertEquals(2L, damaged.get("errors"));
    assertEquals(1L, damaged.get("warnings"));
    assertEquals(Map.of("under-threshold-archive", 2L, "archive-order", 1L), damaged.get("damage"));
    Map<?, ?> finding = (Map<?, ?>) ((List<?>) damaged.get("findings")).get(1);
    assertEquals("under-threshold-archive", finding.get("code"));
    assertEquals(List.of(RefNames.archive(4)), finding.get("refs"));
    assertEquals(20L, finding.get("count"));
    assertTrue(
        ((String) finding.get("message")).contains("fewer than the threshold of 60"),
        finding.toString());
    Map<?, ?> broken = (Map<?, ?>) repos.get(1);
    assertEquals("unreadable", broken.get("health"));
    assertTrue(
        ((String) broken.get("problem"))
            .startsWith("object 1234567890123456789012345678901234567890 is missing"),
        broken.toString());
    assertFalse(broken.containsKey("checkpoints"));
  }

  @Test
  void usageErrorsAndABoundedPool() throws Exception {
    AdminHarness.Run both =
        run("check", "--repos", root.toString(), "--repo", root.resolve(HEALTHY).toString());
    assertEquals(2, both.exit(), both.toString());
    assertTrue(
        both.err().contains("give either --repo DIR (one repository) or --repos DIR"), both.err());
    assertEquals(2, run("check").exit());
    AdminHarness.Run jobs = run("check", "--repos", root.toString(), "--jobs", "0");
    assertEquals(2, jobs.exit(), jobs.toString());
    assertTrue(
        jobs.err().contains("--jobs must be a whole number from 1 to 64, not '0'"), jobs.err());
    AdminHarness.Run missing = run("check", "--repos", tmp.resolve("nope").toString());
    assertEquals(2, missing.exit(), missing.toString());
    assertTrue(
        missing.err().contains("--repos " + tmp.resolve("nope") + ": not a directory"),
        missing.err());

    AtomicInteger running = new AtomicInteger();
    AtomicInteger most = new AtomicInteger();
    List<Fleet.Outcome<String>> out =
        Fleet.run(
            Fleet.discover(root).repositories(),
            2,
            (repo, git) -> {
              most.accumulateAndGet(running.incrementAndGet(), Math::max);
              try {
                if (repo.name().equals(HEALTHY)) {
                  throw new IllegalStateException("boom");
                }
                return git.getDirectory().getName();
              } finally {
                running.decrementAndGet();
              }
            },
            null);
    assertTrue(most.get() <= 2, "at most 2 at a time, saw " + most.get());
    assertEquals(5, out.size());
    assertEquals("boom", out.get(0).problem());
    assertEquals(".git", out.get(4).result());
  }
}
