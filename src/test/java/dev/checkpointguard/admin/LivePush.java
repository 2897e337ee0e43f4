package dev.checkpointguard.admin;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.TestJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;

/**
 * A client push that lands while a repair runs: one new checkpoint appended to {@code
 * /full/current} as a {@code Checkpoint: <id>} fast-forward, written straight into the repository
 * (as receive-pack would).
 */
final class LivePush {
  private static int counter;

  private LivePush() {}

  static ObjectId appendToCurrent(Path dir) throws IOException {
    return appendTo(dir, RefNames.CURRENT);
  }

  /** Appends one new checkpoint to {@code ref} as a fast-forward; returns the new tip. */
  static synchronized ObjectId appendTo(Path dir, String ref) throws IOException {
    String id = String.format("ffffff%06x", ++counter);
    try (Repository r =
            new org.eclipse.jgit.storage.file.FileRepositoryBuilder()
                .setGitDir(dir.toFile())
                .build();
        ObjectInserter ins = r.newObjectInserter();
        ObjectReader reader = r.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      ObjectId old = r.exactRef(ref).getObjectId();
      RevCommit tip = walk.parseCommit(old);
      FlatTree t = FlatTree.read(reader, tip.getTree());
      String dirPath = id.substring(0, 2) + "/" + id.substring(2) + "/0/";
      t.put(
          dirPath + "raw_transcript",
          FileMode.REGULAR_FILE,
          ins.insert(
              Constants.OBJ_BLOB,
              TestJson.compact(
                      g -> {
                        g.writeStartObject();
                        g.writeStringField("timestamp", "2026-06-01T11:00:00Z");
                        g.writeEndObject();
                      })
                  .getBytes(StandardCharsets.UTF_8)));
      CommitBuilder c = new CommitBuilder();
      c.setTreeId(t.write(ins));
      c.setParentId(old);
      PersonIdent who = new PersonIdent("Bob", "bob@example.com");
      c.setAuthor(who);
      c.setCommitter(who);
      c.setMessage("Checkpoint: " + id + "\n");
      ObjectId commit = ins.insert(c);
      ins.flush();
      RefUpdate u = r.updateRef(ref);
      u.setExpectedOldObjectId(old);
      u.setNewObjectId(commit);
      RefUpdate.Result res = u.update();
      if (res != RefUpdate.Result.FAST_FORWARD) {
        throw new IllegalStateException("live push: " + res);
      }
      return commit;
    }
  }
}
