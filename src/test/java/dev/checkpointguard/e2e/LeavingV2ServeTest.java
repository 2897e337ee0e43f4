package dev.checkpointguard.e2e;

import dev.checkpointguard.fixtures.FastTempDir;
import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.LeavingV2;
import dev.checkpointguard.server.GuardedServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.StoredConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code checkpointGuard.v2} frozen and retired through the JGit hook of {@code serve} (see {@link
 * LeavingV2}).
 */
class LeavingV2ServeTest {
  @TempDir(factory = FastTempDir.class)
  Path tmp;

  @Test
  void freezeConvertVerifyRetireThroughServe() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    Path server = repos.resolve("p.git");
    try (Repository r = new FileRepository(server.toFile())) {
      r.create(true);
    }
    try (GuardedServer s =
        GuardedServer.start(
            GuardedServer.Config.builder(repos).port(0).anonymousPush(true).build())) {
      LeavingV2.run(
          new GitCli(tmp.resolve("home")),
          tmp.resolve("client.git"),
          s.url().resolve("p.git").toString(),
          server,
          (key, value) -> {
            try (Repository r = new FileRepository(server.toFile())) {
              StoredConfig c = r.getConfig();
              int dot = key.indexOf('.');
              c.setString(key.substring(0, dot), null, key.substring(dot + 1), value);
              c.save();
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          },
          LeavingV2::retiredMessage);
    }
  }
}
