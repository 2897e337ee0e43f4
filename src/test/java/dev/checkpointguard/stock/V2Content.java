package dev.checkpointguard.stock;

import dev.checkpointguard.fixtures.TestJson;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.eclipse.jgit.dircache.DirCache;
import org.eclipse.jgit.dircache.DirCacheBuilder;
import org.eclipse.jgit.dircache.DirCacheEntry;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * Writes v2 checkpoint commits (spec §3: {@code <xx>/<10 hex>/0/raw_transcript}) into a client repository
 * with JGit, and points its local refs at them; the tests then push them with the real git CLI.
 */
final class V2Content implements AutoCloseable {
  private static final PersonIdent WHO =
      new PersonIdent("Test Pusher", "pusher@example.com", 1_780_000_000_000L, 0);

  private final Repository repo;

  V2Content(File gitDir) throws IOException {
    this.repo = new FileRepositoryBuilder().setGitDir(gitDir).setMustExist(true).build();
  }

  /** Checkpoint ids {@code from .. from+count-1} as 12 lowercase hex digits. */
  static List<String> ids(long from, int count) {
    List<String> out = new ArrayList<>(count);
    for (long i = from; i < from + count; i++) {
      out.add(String.format(Locale.ROOT, "%012x", 0x0a0000000000L + i));
    }
    return out;
  }

  /** A commit whose tree holds {@code ids} (plus {@code generation.json} when asked). */
  ObjectId commit(String message, List<String> ids, boolean generationJson, ObjectId... parents)
      throws IOException {
    try (ObjectInserter ins = repo.newObjectInserter()) {
      DirCache dc = DirCache.newInCore();
      DirCacheBuilder b = dc.builder();
      List<String> sorted = new ArrayList<>(ids);
      sorted.sort(null);
      for (String id : sorted) {
        String dir = id.substring(0, 2) + "/" + id.substring(2) + "/0/";
        b.add(file(ins, dir + "raw_transcript", TestJson.compact(g -> {
          g.writeStartObject();
          g.writeStringField("id", id);
          g.writeEndObject();
        })));
        b.add(file(ins, dir + "raw_transcript_hash.txt", "sha256:" + "0".repeat(64)));
      }
      if (generationJson) {
        b.add(file(ins, "generation.json", TestJson.compact(g -> {
          g.writeStartObject();
          g.writeNumberField("checkpoints", ids.size());
          g.writeEndObject();
        })));
      }
      b.finish();
      ObjectId tree = dc.writeTree(ins);
      CommitBuilder c = new CommitBuilder();
      c.setTreeId(tree);
      c.setParentIds(parents);
      c.setAuthor(WHO);
      c.setCommitter(WHO);
      c.setMessage(message);
      ObjectId id = ins.insert(c);
      ins.flush();
      return id;
    }
  }

  private static DirCacheEntry file(ObjectInserter ins, String path, String content) throws IOException {
    DirCacheEntry e = new DirCacheEntry(path);
    e.setFileMode(FileMode.REGULAR_FILE);
    e.setObjectId(ins.insert(Constants.OBJ_BLOB, content.getBytes(StandardCharsets.UTF_8)));
    return e;
  }

  /** Points local {@code ref} at {@code id}, whatever it was. */
  void setRef(String ref, ObjectId id) throws IOException {
    RefUpdate u = repo.updateRef(ref);
    u.setNewObjectId(id);
    u.setForceUpdate(true);
    RefUpdate.Result r = u.update();
    if (r != RefUpdate.Result.NEW && r != RefUpdate.Result.FORCED && r != RefUpdate.Result.NO_CHANGE
        && r != RefUpdate.Result.FAST_FORWARD) {
      throw new IOException("cannot set " + ref + ": " + r);
    }
  }

  @Override
  public void close() {
    repo.close();
  }
}
