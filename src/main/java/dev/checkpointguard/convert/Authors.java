package dev.checkpointguard.convert;

import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CommitMessages;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.revwalk.RevCommit;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.util.RawParseUtils;

/**
 * Who wrote each checkpoint, as the client records it: the author of the newest {@code Checkpoint:
 * <id>} commit on {@code /main} (spec §13). The client's {@code GetCheckpointAuthor} looks for that
 * subject on the v1 branch, newest first, so a converted checkpoint gets a commit with the same
 * subject and author.
 *
 * <p>Walks {@code /main}'s history from its tip, newest commit first, and stops as soon as every
 * wanted checkpoint is found. Checkpoints written by a migration ({@code Migrate batch: …}, one
 * commit for many) have no such commit; they get none.
 */
final class Authors {
  private Authors() {}

  static Map<Long, PersonIdent> find(
      ObjectReader reader, ObjectId mainTip, Set<Long> wanted, ProgressMonitor pm)
      throws IOException {
    Map<Long, PersonIdent> out = new HashMap<>();
    if (mainTip == null || wanted.isEmpty()) {
      return out;
    }
    pm.beginTask("Reading /main history for authors", ProgressMonitor.UNKNOWN);
    try (RevWalk walk = new RevWalk(reader)) {
      walk.markStart(walk.parseCommit(mainTip));
      for (RevCommit c = walk.next(); c != null; c = walk.next()) {
        pm.update(1);
        long id = checkpointOf(c);
        if (id >= 0 && wanted.contains(id) && !out.containsKey(id)) {
          out.put(id, c.getAuthorIdent());
          if (out.size() == wanted.size()) {
            break;
          }
        }
        c.disposeBody();
      }
    }
    pm.endTask();
    return out;
  }

  /**
   * The checkpoint of a {@code Checkpoint: <id>} subject (one trailing newline allowed), else -1.
   */
  static long checkpointOf(RevCommit c) {
    byte[] raw = c.getRawBuffer();
    int start = RawParseUtils.commitMessage(raw, 0);
    if (start < 0) {
      return -1;
    }
    int end = RawParseUtils.nextLF(raw, start);
    String subject = new String(raw, start, end - start, StandardCharsets.UTF_8);
    subject = CommitMessages.subject(subject);
    if (!subject.startsWith(CommitMessages.CHECKPOINT)) {
      return -1;
    }
    String id = subject.substring(CommitMessages.CHECKPOINT.length());
    return CheckpointIds.isValid(id) ? CheckpointIds.parse(id) : -1;
  }
}
