package dev.checkpointguard.convert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.TestJson;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Repository;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code convert --repos DIR}: every repository below a folder in the layouts servers use, one
 * after the other; one repository's failure is reported and the others are converted.
 */
class ConvertReposTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void convertsEveryRepositoryBelowAFolder() throws Exception {
    Path root = tmp.resolve("srv");
    String hashed =
        "@hashed/6b/86/6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b.git";
    for (String name :
        List.of("plain.git", hashed, "alice/project.git", "wt/.git", "+gitaly/tmp/copy.git")) {
      Files.createDirectories(root.resolve(name).getParent());
      try (ClientRepo c =
          ClientRepo.builder(ClientVersion.V0_6_2).threshold(3).buildOnDisk(root.resolve(name))) {
        if (!name.startsWith("alice")) {
          c.checkpoints(4);
        }
      }
    }
    Path broken = root.resolve("broken.git");
    try (Repository r = new FileRepository(broken.toFile())) {
      r.create(true);
      try (var ins = r.newObjectInserter()) {
        var blob = ins.insert(org.eclipse.jgit.lib.Constants.OBJ_BLOB, new byte[] {'x'});
        ins.flush();
        var u = r.updateRef(RefNames.V1);
        u.setNewObjectId(blob);
        u.update();
      }
    }
    ConvertHarness.Run r = ConvertHarness.run("convert", "--repos", root.toString());
    assertEquals(1, r.exit(), r.toString());
    assertTrue(r.out().startsWith("convert --repos " + root + ": 5 repositories\n"), r.out());
    assertTrue(
        r.out()
            .contains("  " + hashed + ": converted 4, already in v1 0, not convertible 0; backup "),
        r.out());
    assertTrue(r.out().contains("  plain.git: converted 4"), r.out());
    assertTrue(r.out().contains("  wt: converted 4"), r.out());
    assertTrue(
        r.out().contains("  alice/project.git: converted 0, already in v1 0, not convertible 0\n"),
        r.out());
    assertTrue(
        r.out()
            .contains(
                "  broken.git: failed: refs/heads/entire/checkpoints/v1 points at a blob, not a"
                    + " commit; nothing can be converted onto it\n"),
        r.out());
    assertTrue(r.out().contains("4 of 5 fully converted"), r.out());
    assertTrue(r.err().contains("[5/5] wt"), r.err());
    assertTrue(
        !Files.exists(root.resolve("+gitaly/tmp/copy.git/refs/heads/entire")),
        "Gitaly's state is not touched");
    ConvertHarness.assertReadsBack(
        ConvertHarness.v2(root.resolve(hashed)), ConvertHarness.v1(root.resolve(hashed)));

    ConvertHarness.Run verify =
        ConvertHarness.run("convert", "--repos", root.toString(), "--verify", "--json");
    assertEquals(1, verify.exit(), verify.toString());
    @SuppressWarnings("unchecked")
    Map<String, Object> json = (Map<String, Object>) TestJson.parse(verify.out());
    assertEquals("checkpoint-guard.convert-fleet/1", json.get("schema"));
    @SuppressWarnings("unchecked")
    List<Map<String, Object>> repos = (List<Map<String, Object>>) json.get("repositories");
    assertEquals(5, repos.size());
    for (Map<String, Object> x : repos) {
      if (x.get("name").equals("broken.git")) {
        assertTrue(((String) x.get("problem")).contains("points at a blob"), x.toString());
      } else {
        assertEquals(Boolean.TRUE, ((Map<?, ?>) x.get("report")).get("ok"), x.toString());
      }
    }
    ConvertHarness.Run retire =
        ConvertHarness.run("convert", "--repos", root.toString(), "--retire");
    assertEquals(2, retire.exit(), retire.toString());
  }
}
