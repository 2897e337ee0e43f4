package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.DamageScenarios;
import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.server.GuardedServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A repair on a repository that {@code serve} is serving while a client pushes: the push lands
 * between planning and the compare-and-set on {@code /full/current}, the repair plans again,
 * nothing is lost, and the client's next push (now behind the repaired tip) recovers and is
 * accepted by the guard.
 */
class RepairWhileServingTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void aPushThroughServeDuringRepairIsKeptAndPushesKeepWorking() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path dir = repos.resolve("damaged.git");
    DamageScenarios.severalV060Runs(dir);
    var original = AdminHarness.contentMap(dir);
    try (GuardedServer server =
            GuardedServer.start(
                GuardedServer.Config.builder(repos).port(0).anonymousPush(true).build());
        ClientRepo client =
            ClientRepo.builder(ClientVersion.V0_6_1)
                .seed(99)
                .buildOnDisk(tmp.resolve("client.git"))) {
      GitCli git = new GitCli(tmp.resolve("home"));
      String url = server.url().resolve("damaged.git").toString();
      assertTrue(
          git.run(
                  client.directory(),
                  "fetch",
                  "--no-tags",
                  url,
                  "+refs/entire/checkpoints/v2/*:refs/entire/checkpoints/v2/*")
              .ok());
      ClientProtocol protocol = new ClientProtocol(client, git, url);
      List<ClientProtocol.Run> pushes = new ArrayList<>();
      List<String> written = new ArrayList<>();
      Repair.Listener pushDuringRepair =
          new Repair.Listener() {
            @Override
            public void beforeUpdate(RepairPlan.Update u) {
              if (pushes.isEmpty() && u.ref().equals(RefNames.CURRENT)) {
                written.addAll(client.checkpoints(2));
                pushes.add(protocol.prePush());
              }
            }
          };
      AdminHarness.Run r =
          AdminHarness.run(Map.of(), pushDuringRepair, "repair", "--repo", dir.toString());
      assertEquals(0, r.exit(), r.toString());
      assertTrue(pushes.get(0).ok(), pushes.get(0).transcript());
      assertTrue(
          r.err()
              .contains(
                  "refs/entire/checkpoints/v2/full/current moved since it was planned;"
                      + " planning again"),
          r.err());

      // the client is now behind the repaired /full/current: non-fast-forward, fetch, merge, retry
      written.addAll(client.checkpoints(2));
      ClientProtocol.Run after = protocol.prePush();
      assertTrue(after.ok(), after.transcript());

      var content = AdminHarness.contentMap(dir);
      for (String id : written) {
        assertTrue(content.containsKey(id), id + " pushed by the client is on the server");
      }
      content.keySet().retainAll(original.keySet());
      assertEquals(original, content);
      AdminHarness.assertRepaired(dir, 100);
      assertEquals(4, written.size());
    }
  }
}
