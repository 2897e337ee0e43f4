package dev.checkpointguard.server;

import java.io.IOException;
import java.nio.file.Path;
import org.eclipse.jgit.lib.ObjectId;

/** The server test helpers, for tests in other packages (the CLI's). */
public final class ServerTestAccess {
  private ServerTestAccess() {}

  public static Path bareRepo(Path dir) throws IOException {
    return ServerTestSupport.bareRepo(dir);
  }

  public static ObjectId ref(Path gitDir, String name) throws IOException {
    return ServerTestSupport.ref(gitDir, name);
  }
}
