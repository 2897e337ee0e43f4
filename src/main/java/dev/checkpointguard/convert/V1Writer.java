package dev.checkpointguard.convert;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CommitMessages;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.ProgressMonitor;

/**
 * Puts converted checkpoint directories into the v1 tree and commits them on the v1 tip (spec
 * v2-to-v1 §6.9).
 *
 * <p>The tree is the v1 tip's tree with the new directories added: every other entry (other
 * checkpoints, {@code vercel.json}, anything) is kept as it is, and only the shard trees that gain
 * a checkpoint and the root are new. A name that is already taken in v1 by anything is not
 * overwritten: that checkpoint is reported instead.
 *
 * <p>History, all single-parent and on top of the tip read:
 *
 * <ol>
 *   <li>when v1 does not exist yet, a root commit {@code Initialize sessions branch} with the empty
 *       tree, as the client's {@code ensureSessionsBranch} writes it (a client whose own v1 is an
 *       unpushed {@code Initialize sessions branch} then adopts the server's, and one with local
 *       checkpoints replays them onto it: spec v2-to-v1 §3.1);
 *   <li>one commit {@code Convert v2 checkpoints to v1: <n>} with all new directories;
 *   <li>one empty commit {@code Checkpoint: <id>} per converted checkpoint that has a {@code
 *       Checkpoint: <id>} commit on {@code /main}, with that commit's author and author time, so
 *       that the client's {@code GetCheckpointAuthor} (newest commit with that subject) names the
 *       author. Empty commits carry no tree of their own: at 100,000 checkpoints a real commit per
 *       checkpoint would write 100,000 root and shard trees (about 1.5 GB before compression),
 *       these cost about 250 bytes each.
 * </ol>
 */
final class V1Writer {
  /** What was written; {@code commit} is null when nothing was. */
  record Result(ObjectId commit, int commits, List<Long> written, Map<Long, String> conflicts) {}

  private V1Writer() {}

  static Result write(
      ObjectReader reader,
      ObjectInserter ins,
      ObjectId tip,
      ObjectId tree,
      SortedMap<Long, ObjectId> dirs,
      Map<Long, PersonIdent> authors,
      PersonIdent who,
      ProgressMonitor pm)
      throws IOException {
    Map<Long, String> conflicts = new LinkedHashMap<>();
    List<Trees.Entry> root = Trees.read(reader, tree);
    Map<String, Integer> rootIndex = new LinkedHashMap<>();
    for (int i = 0; i < root.size(); i++) {
      rootIndex.put(root.get(i).nameString(), i);
    }
    SortedMap<String, List<Long>> byShard = new TreeMap<>();
    for (long id : dirs.keySet()) {
      byShard
          .computeIfAbsent(
              CheckpointIds.format(id).substring(0, CheckpointIds.SHARD_LENGTH),
              k -> new ArrayList<>())
          .add(id);
    }
    List<Long> written = new ArrayList<>();
    for (Map.Entry<String, List<Long>> e : byShard.entrySet()) {
      String shard = e.getKey();
      Integer at = rootIndex.get(shard);
      List<Trees.Entry> entries = new ArrayList<>();
      if (at != null) {
        Trees.Entry existing = root.get(at);
        if (!existing.isTree()) {
          for (long id : e.getValue()) {
            conflicts.put(
                id,
                "v1 has a file named "
                    + shard
                    + " where this checkpoint's shard directory belongs;"
                    + " nothing was changed there");
          }
          continue;
        }
        entries.addAll(Trees.read(reader, existing.id()));
      }
      java.util.Set<String> taken = new java.util.HashSet<>();
      for (Trees.Entry x : entries) {
        taken.add(x.nameString());
      }
      boolean added = false;
      for (long id : e.getValue()) {
        String name = CheckpointIds.format(id).substring(CheckpointIds.SHARD_LENGTH);
        if (taken.contains(name)) {
          conflicts.put(
              id,
              "v1 has an entry "
                  + shard
                  + "/"
                  + name
                  + " that is not a checkpoint directory;"
                  + " it is left as it is");
          continue;
        }
        entries.add(Trees.Entry.of(name, FileMode.TREE, dirs.get(id)));
        written.add(id);
        added = true;
      }
      if (!added) {
        continue;
      }
      Trees.Entry shardEntry = Trees.Entry.of(shard, FileMode.TREE, Trees.write(ins, entries));
      if (at != null) {
        root.set(at, shardEntry);
      } else {
        rootIndex.put(shard, root.size());
        root.add(shardEntry);
      }
    }
    if (written.isEmpty()) {
      return new Result(null, 0, written, conflicts);
    }
    ObjectId newRoot = Trees.write(ins, root);
    int commits = 0;
    ObjectId parent = tip;
    if (parent == null) {
      parent =
          Converter.commit(
              ins, Converter.emptyTree(ins), null, who, who, CommitMessages.INITIALIZE_V1);
      commits++;
    }
    ObjectId content =
        Converter.commit(
            ins,
            newRoot,
            parent,
            who,
            who,
            CommitMessages.CONVERT_V2
                + written.size()
                + " checkpoint(s)\n\nWritten by checkpoint-guard convert from "
                + RefNames.MAIN
                + " and "
                + RefNames.FULL_PREFIX
                + "*: each checkpoint that "
                + RefNames.shortName(RefNames.V1)
                + " lacked, in the v1 layout.\n");
    commits++;
    List<Long> authored = new ArrayList<>();
    for (long id : written) {
      if (authors.containsKey(id)) {
        authored.add(id);
      }
    }
    authored.sort(
        Comparator.comparing((Long id) -> authors.get(id).getWhenAsInstant())
            .thenComparing(id -> id));
    pm.beginTask("Writing author commits", authored.size());
    ObjectId head = content;
    String body =
        "\nConverted from v2 by checkpoint-guard convert; the checkpoint's files are in commit "
            + content.name()
            + ".\n";
    for (long id : authored) {
      head =
          Converter.commit(
              ins,
              newRoot,
              head,
              authors.get(id),
              who,
              CommitMessages.CHECKPOINT + CheckpointIds.format(id) + "\n" + body);
      commits++;
      pm.update(1);
    }
    pm.endTask();
    return new Result(head, commits, written, conflicts);
  }
}
