package dev.checkpointguard.bench;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.fixtures.ClientRepo;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.function.LongFunction;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.TreeFormatter;

/**
 * Writes v2 checkpoint trees and commits straight through an {@link ObjectInserter}: no index, no
 * work tree, no ref update per checkpoint. Benchmarks and the scale generator use it to build large
 * repositories in seconds.
 *
 * <p>Checkpoint IDs are the packed {@code long}s of {@link CheckpointIds}. Every tree method takes
 * IDs in ascending order: for fixed-width lowercase hex, numeric order is git's tree-entry order,
 * so shard and checkpoint entries come out sorted without a sort.
 */
final class TreeWriter {
  /** Fixed identity and clock: the same inputs always give the same object ids. */
  static final PersonIdent IDENT =
      new PersonIdent(
          "Bench",
          "bench@checkpoint-guard.invalid",
          Instant.parse("2026-05-01T00:00:00Z"),
          java.time.ZoneOffset.UTC);

  private final ObjectInserter ins;
  private ObjectId emptyTree;

  TreeWriter(ObjectInserter ins) {
    this.ins = ins;
  }

  ObjectInserter inserter() {
    return ins;
  }

  ObjectId blob(String text) throws IOException {
    return ins.insert(Constants.OBJ_BLOB, text.getBytes(StandardCharsets.UTF_8));
  }

  ObjectId emptyTree() throws IOException {
    if (emptyTree == null) {
      emptyTree = ins.insert(new TreeFormatter());
    }
    return emptyTree;
  }

  /** A {@code /full/*} session directory (spec §3.1): {@code raw_transcript} and its hash file. */
  ObjectId fullSession(ObjectId rawTranscript, ObjectId hash) throws IOException {
    TreeFormatter t = new TreeFormatter();
    t.append("raw_transcript", FileMode.REGULAR_FILE, rawTranscript);
    t.append("raw_transcript_hash.txt", FileMode.REGULAR_FILE, hash);
    return ins.insert(t);
  }

  /** A checkpoint directory holding one session directory {@code 0}. */
  ObjectId oneSession(ObjectId session) throws IOException {
    TreeFormatter t = new TreeFormatter();
    t.append("0", FileMode.TREE, session);
    return ins.insert(t);
  }

  /**
   * A sharded root tree of the given checkpoints (ascending), each directory made by {@code dir},
   * plus {@code generation.json} when {@code generationJson} is not null (archived generations,
   * spec §5).
   */
  ObjectId shardedTree(long[] ids, LongFunction<ObjectId> dir, ObjectId generationJson)
      throws IOException {
    TreeFormatter root = new TreeFormatter();
    int i = 0;
    while (i < ids.length) {
      int shard = (int) (ids[i] >>> 40);
      TreeFormatter st = new TreeFormatter();
      int j = i;
      for (; j < ids.length && (int) (ids[j] >>> 40) == shard; j++) {
        if (j > i && ids[j] == ids[j - 1]) {
          continue;
        }
        st.append(CheckpointIds.format(ids[j]).substring(2), FileMode.TREE, dir.apply(ids[j]));
      }
      root.append(CheckpointIds.format(ids[i]).substring(0, 2), FileMode.TREE, ins.insert(st));
      i = j;
    }
    if (generationJson != null) {
      root.append("generation.json", FileMode.REGULAR_FILE, generationJson);
    }
    return ins.insert(root);
  }

  /** A commit; {@code when} in seconds since the epoch for author and committer. */
  ObjectId commit(ObjectId tree, String message, long when, ObjectId... parents)
      throws IOException {
    CommitBuilder c = new CommitBuilder();
    c.setTreeId(tree);
    c.setParentIds(parents);
    PersonIdent who =
        new PersonIdent(
            IDENT.getName(),
            IDENT.getEmailAddress(),
            Instant.ofEpochSecond(when),
            java.time.ZoneOffset.UTC);
    c.setAuthor(who);
    c.setCommitter(who);
    c.setMessage(message);
    return ins.insert(c);
  }

  /** generation.json as spec §5.1 encodes it (two-space indent, trailing newline). */
  static String generationJson(Instant oldest, Instant newest) {
    return ClientRepo.generationJson(oldest, newest);
  }
}
