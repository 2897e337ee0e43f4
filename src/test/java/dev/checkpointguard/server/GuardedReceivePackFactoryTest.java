package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.jgit.CheckpointGuardHook;
import jakarta.servlet.http.HttpServletRequest;
import java.lang.reflect.Proxy;
import java.nio.file.Path;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PreReceiveHook;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.resolver.ServiceNotAuthorizedException;
import org.eclipse.jgit.transport.resolver.ServiceNotEnabledException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GuardedReceivePackFactoryTest {
  @TempDir Path tmp;

  /** A request that only answers who pushes and from where. */
  private static HttpServletRequest request(String user) {
    return (HttpServletRequest)
        Proxy.newProxyInstance(
            HttpServletRequest.class.getClassLoader(),
            new Class<?>[] {HttpServletRequest.class},
            (proxy, method, args) ->
                switch (method.getName()) {
                  case "getRemoteUser" -> user;
                  case "getRemoteAddr" -> "192.0.2.1";
                  case "setAttribute" -> null;
                  default -> throw new UnsupportedOperationException(method.getName());
                });
  }

  @Test
  void everyReceivePackIsGuardedChecksReachabilityAndNamesThePusher() throws Exception {
    GuardedReceivePackFactory f = new GuardedReceivePackFactory(1000, 100, CheckpointSetCache.NONE);
    try (Repository repo =
        ServerTestSupport.open(ServerTestSupport.bareRepo(tmp.resolve("r.git")))) {
      ReceivePack rp = f.create(request("alice"), repo);
      assertTrue(rp.isCheckReferencedObjectsAreReachable());
      assertTrue(
          rp.getPreReceiveHook() instanceof CheckpointGuardHook,
          "the default hook is NULL, so the chain collapses to the guard itself");
      assertTrue(rp.getPreReceiveHook() != PreReceiveHook.NULL);
      assertEquals("alice", rp.getRefLogIdent().getName());
      assertEquals("alice@192.0.2.1", rp.getRefLogIdent().getEmailAddress());

      assertThrows(ServiceNotAuthorizedException.class, () -> f.create(request(null), repo));
      assertThrows(ServiceNotAuthorizedException.class, () -> f.create(request(""), repo));
      repo.getConfig().setBoolean("http", null, "receivepack", false);
      assertThrows(ServiceNotEnabledException.class, () -> f.create(request("alice"), repo));
    }
  }
}
