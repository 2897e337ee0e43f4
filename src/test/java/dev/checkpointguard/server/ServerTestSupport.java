package dev.checkpointguard.server;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.GitCli;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/** Small helpers shared by the server tests. */
final class ServerTestSupport {
  private ServerTestSupport() {}

  /** Creates an empty bare repository {@code dir}. */
  static Path bareRepo(Path dir) throws IOException {
    try (Repository r = new FileRepositoryBuilder().setGitDir(dir.toFile()).setBare().build()) {
      r.create(true);
    }
    return dir;
  }

  static Repository open(Path gitDir) throws IOException {
    return new FileRepositoryBuilder().setGitDir(gitDir.toFile()).setMustExist(true).build();
  }

  /** The value of a ref in a repository, or null. */
  static ObjectId ref(Path gitDir, String name) throws IOException {
    try (Repository r = open(gitDir)) {
      return r.exactRef(name) == null ? null : r.exactRef(name).getObjectId();
    }
  }

  /** Asserts that a git command succeeded and returns it. */
  static GitCli.Result ok(GitCli.Result r) {
    if (!r.ok()) {
      throw new AssertionError("git failed: " + r);
    }
    return r;
  }

  /**
   * A v0.6.2 client on disk (bare repository {@code gitDir}) whose rotation threshold is {@code
   * clientThreshold}, after writing {@code checkpoints} checkpoints: with {@code checkpoints >=
   * clientThreshold} it has rotated once, so it holds {@code /main}, {@code /full/current} and the
   * archive {@code full/0000000000001} with {@code clientThreshold} checkpoints.
   */
  static ClientRepo client(Path gitDir, int clientThreshold, int checkpoints) {
    ClientRepo c =
        ClientRepo.builder(ClientVersion.V0_6_2).threshold(clientThreshold).buildOnDisk(gitDir);
    c.checkpoints(checkpoints);
    return c;
  }

  /** A raw HTTP exchange: the request target is sent byte for byte, as curl --path-as-is does. */
  record Raw(int status, String head) {}

  static Raw raw(int port, String method, String target, String... headers) throws IOException {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(20_000);
      StringBuilder req = new StringBuilder();
      req.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
      req.append("Host: 127.0.0.1:").append(port).append("\r\n");
      for (String h : headers) {
        req.append(h).append("\r\n");
      }
      req.append("Connection: close\r\n\r\n");
      OutputStream out = s.getOutputStream();
      out.write(req.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String response = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      int end = response.indexOf("\r\n\r\n");
      String head = end < 0 ? response : response.substring(0, end);
      String[] statusLine = head.split(" ", 3);
      return new Raw(Integer.parseInt(statusLine[1]), head);
    }
  }

  static String header(Raw r, String name) {
    for (String line : r.head().split("\r\n")) {
      int colon = line.indexOf(':');
      if (colon > 0 && line.substring(0, colon).equalsIgnoreCase(name)) {
        return line.substring(colon + 1).strip();
      }
    }
    return null;
  }

  static Path writeUsers(Path file, String... userPasswordPairs) throws IOException {
    StringBuilder b = new StringBuilder("# test users\n");
    for (int i = 0; i < userPasswordPairs.length; i += 2) {
      b.append(userPasswordPairs[i])
          .append(':')
          .append(
              PasswordHash.hash(
                  userPasswordPairs[i + 1].toCharArray(), PasswordHash.MIN_ITERATIONS))
          .append('\n');
    }
    Files.writeString(file, b.toString());
    return file;
  }
}
