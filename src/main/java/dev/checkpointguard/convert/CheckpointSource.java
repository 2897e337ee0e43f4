package dev.checkpointguard.convert;

import dev.checkpointguard.core.CheckpointIds;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;

/**
 * Everything v2 holds about one checkpoint, as a conversion needs it: the {@code /main} summary and
 * session directories, and the copies of each session's raw transcript and tasks in the {@code
 * /full/*} refs. Filled by {@link SourceReader}; a {@link #problem} makes the checkpoint not
 * convertible.
 */
final class CheckpointSource {
  /**
   * One session index ({@code <cp>/<n>/}), the same numbering on {@code /main} and {@code /full/*}.
   */
  static final class Session {
    final int index;

    /** From {@code /main}; null when absent. */
    ObjectId metadata;

    ObjectId prompt;
    ObjectId compact;

    /** True when some {@code /full/*} ref holds this session directory. */
    boolean inFull;

    final List<Candidate> candidates = new ArrayList<>();

    /** {@code tasks/} subtrees: (ref, tree). */
    final List<Object[]> tasks = new ArrayList<>();

    /** Chosen by {@link Sessions#choose}. */
    Candidate winner;

    /** Copies that lost, with why; shown in the report. */
    final List<String> losers = new ArrayList<>();

    /** True when some loser's content is not contained in the winner's (a real divergence). */
    boolean diverged;

    /** Why no copy can be used although copies exist; null when fine. */
    String problem;

    Session(int index) {
      this.index = index;
    }
  }

  final long id;
  ObjectId mainDir;
  ObjectId summary;
  final TreeMap<Integer, Session> sessions = new TreeMap<>();

  /** Why the checkpoint cannot be converted; null when it can. */
  String problem;

  final List<String> notes = new ArrayList<>();

  /** Sessions in the v1 directory written. */
  int v1Sessions;

  CheckpointSource(long id) {
    this.id = id;
  }

  String idString() {
    return CheckpointIds.format(id);
  }

  String path() {
    return CheckpointIds.path(id);
  }

  Session session(int index) {
    return sessions.computeIfAbsent(index, Session::new);
  }

  void fail(String why) {
    if (problem == null) {
      problem = why;
    }
  }
}
