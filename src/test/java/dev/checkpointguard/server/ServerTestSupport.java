package dev.checkpointguard.server;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.lib.TreeFormatter;
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

  /**
   * Writes a v2 checkpoint commit into {@code gitDir} and points {@code ref} at it: a root commit whose
   * tree holds one {@code <id[0:2]>/<id[2:]>/0/full.jsonl} per checkpoint id (spec §3.1).
   */
  static ObjectId checkpointCommit(Path gitDir, String ref, String... ids) throws IOException {
    try (Repository r = open(gitDir);
        ObjectInserter ins = r.newObjectInserter()) {
      Map<String, TreeMap<String, ObjectId>> shards = new TreeMap<>();
      for (String id : ids) {
        ObjectId blob =
            ins.insert(Constants.OBJ_BLOB, ("{\"checkpoint\":\"" + id + "\"}\n").getBytes(StandardCharsets.UTF_8));
        TreeFormatter session = new TreeFormatter();
        session.append("full.jsonl", FileMode.REGULAR_FILE, blob);
        TreeFormatter checkpoint = new TreeFormatter();
        checkpoint.append("0", FileMode.TREE, ins.insert(session));
        shards.computeIfAbsent(id.substring(0, 2), k -> new TreeMap<>()).put(id.substring(2), ins.insert(checkpoint));
      }
      TreeFormatter root = new TreeFormatter();
      for (Map.Entry<String, TreeMap<String, ObjectId>> shard : shards.entrySet()) {
        TreeFormatter t = new TreeFormatter();
        shard.getValue().forEach((name, id) -> t.append(name, FileMode.TREE, id));
        root.append(shard.getKey(), FileMode.TREE, ins.insert(t));
      }
      CommitBuilder c = new CommitBuilder();
      c.setTreeId(ins.insert(root));
      PersonIdent who = new PersonIdent("Test", "test@example.com");
      c.setAuthor(who);
      c.setCommitter(who);
      c.setMessage("Checkpoint: " + String.join(", ", ids) + "\n");
      ObjectId commit = ins.insert(c);
      ins.flush();
      RefUpdate u = r.updateRef(ref);
      u.setNewObjectId(commit);
      u.setForceUpdate(true);
      RefUpdate.Result result = u.update();
      if (result != RefUpdate.Result.NEW && result != RefUpdate.Result.FORCED) {
        throw new IOException("cannot set " + ref + ": " + result);
      }
      return commit;
    }
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
      b.append(userPasswordPairs[i]).append(':')
          .append(PasswordHash.hash(userPasswordPairs[i + 1].toCharArray(), PasswordHash.MIN_ITERATIONS))
          .append('\n');
    }
    Files.writeString(file, b.toString());
    return file;
  }
}
