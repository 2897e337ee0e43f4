package dev.checkpointguard.stock;

import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.LeavingV2;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * {@code checkpointGuard.v2} frozen and retired through the installed stock {@code pre-receive}
 * hook (see {@link LeavingV2}): the same client-visible behaviour as the JGit server, the whole
 * push refused.
 */
class LeavingV2StockTest extends StockHookFixture {
  @Test
  void freezeConvertVerifyRetireThroughTheStockHook() throws Exception {
    Path server = bare("server.git");
    install("--repo", server.toString()).expectOk();
    LeavingV2.run(
        new GitCli(root.resolve("client home")),
        root.resolve("client.git"),
        server.toString(),
        server,
        (key, value) -> cli.run(server, "config", key, value).expectOk(),
        ref -> "pre-receive hook declined");
  }
}
