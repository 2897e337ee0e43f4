package dev.checkpointguard.convert;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonToken;
import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.JsonFiles;
import dev.checkpointguard.core.PackOrder;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.NullProgressMonitor;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.ProgressMonitor;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * {@code convert --verify}: whether v1 holds everything v2 holds (spec v2-to-v1 §6.10), so that v2
 * can be retired without losing a transcript.
 *
 * <p>For every checkpoint of the v2 scope and every session of it ({@code /main} session
 * directories with {@code metadata.json}, identified by {@code session_id}), v1 must have that
 * checkpoint with a session of the same {@code session_id} (at any index: migration renumbered
 * sessions, spec §11.2), and when v2 holds a raw transcript for it, the v1 transcript must be the
 * same bytes as the copy {@link Sessions} picks (by blob identity, else by SHA-256 of the
 * reassembled v1 chunks; the v2 copy's hash file is verified against its bytes). A v2 copy that
 * diverges from the picked one, a v2 transcript that does not verify, and raw transcripts without
 * {@code /main} metadata are failures too: retiring would lose them.
 */
final class Verifier {
  /** One failure: checkpoint, session ID (null for the whole checkpoint), why. */
  record Failure(long id, String session, String reason) {}

  static final String SCHEMA = "checkpoint-guard.convert-verify/1";

  final List<Failure> failures = new ArrayList<>();
  int checkpoints;
  int sessions;
  int transcripts;
  Sources sources;

  boolean ok() {
    return failures.isEmpty();
  }

  /** Reads v2 and v1 of {@code repo} and compares them. */
  static Verifier run(Repository repo, ProgressMonitor pm) throws IOException {
    Verifier v = new Verifier();
    try (ObjectReader reader = repo.newObjectReader()) {
      PackOrder order = PackOrder.of(repo.getObjectDatabase());
      Sources s = Sources.read(repo, reader);
      v.sources = s;
      long[] scope = s.scope();
      v.checkpoints = scope.length;
      List<Long> ids = new ArrayList<>();
      for (long id : scope) {
        ids.add(id);
      }
      List<Long> ordered = order.sort(ids, id -> s.mainDirs.getOrDefault(id, ObjectId.zeroId()));
      pm.beginTask("Comparing v2 with v1", ordered.size());
      for (int from = 0; from < ordered.size(); from += Converter.chunk) {
        List<Long> part = ordered.subList(from, Math.min(ordered.size(), from + Converter.chunk));
        List<CheckpointSource> sources =
            new SourceReader(reader, order)
                .read(
                    s,
                    part.stream().mapToLong(Long::longValue).toArray(),
                    NullProgressMonitor.INSTANCE);
        for (CheckpointSource cp :
            order.sort(
                sources,
                c ->
                    c.summary != null
                        ? c.summary
                        : c.mainDir != null ? c.mainDir : ObjectId.zeroId())) {
          v.compare(reader, s, cp);
          pm.update(1);
        }
      }
      pm.endTask();
    }
    v.failures.sort((a, b) -> Long.compare(a.id(), b.id()));
    return v;
  }

  private void compare(ObjectReader reader, Sources s, CheckpointSource cp) throws IOException {
    ObjectId v1Dir = s.v1Dirs.get(cp.id);
    // sessions with raw data but no /main metadata: their transcripts exist only in v2
    for (CheckpointSource.Session x : cp.sessions.values()) {
      if (x.metadata == null && x.inFull && !x.candidates.isEmpty()) {
        fail(
            cp,
            null,
            "session directory "
                + x.index
                + " holds a raw transcript in v2 but has no metadata.json on"
                + " /main; it cannot be converted");
      }
    }
    if (cp.mainDir == null) {
      fail(cp, null, "in " + refs(cp) + " but not on /main; it cannot be converted");
      return;
    }
    Map<String, Candidate> v1 = v1Dir == null ? null : v1Sessions(reader, v1Dir);
    if (v1 == null) {
      fail(
          cp,
          null,
          "not in v1"
              + (cp.problem != null ? " (not convertible: " + cp.problem + ")" : "; run convert"));
      return;
    }
    for (CheckpointSource.Session x : cp.sessions.values()) {
      if (x.metadata == null) {
        continue;
      }
      String text = Converter.text(reader, x.metadata);
      String sid = null;
      if (text != null) {
        try {
          sid = SessionMetadata.parse(text).sessionId;
        } catch (IllegalArgumentException e) {
          sid = null;
        }
      }
      if (sid == null) {
        fail(cp, null, "v2 session " + x.index + ": metadata.json has no readable session_id");
        continue;
      }
      sessions++;
      Candidate got = v1.get(sid);
      if (got == null) {
        fail(cp, sid, "session missing from v1");
        continue;
      }
      if (x.winner == null) {
        if (x.problem != null) {
          fail(cp, sid, "v2 transcript unusable: " + x.problem);
        } else if (!x.candidates.isEmpty()) {
          fail(cp, sid, "v2 transcript not checked");
        }
        continue; // no raw transcript in v2: nothing more to keep
      }
      transcripts++;
      if (!got.hasChunks()) {
        fail(cp, sid, "v1 has no transcript; v2 has " + x.winner.describe());
      } else if (!got.chunkIds().equals(x.winner.chunkIds())) {
        got.claimed = x.winner.claimed; // compare the v1 bytes with the verified v2 hash
        got.status = Candidate.Status.UNCHECKED;
        got.verify(reader);
        if (!got.isValid()) {
          fail(
              cp,
              sid,
              "v1 transcript differs from v2's "
                  + x.winner.describe()
                  + (got.status == Candidate.Status.MISMATCH ? "" : " (" + got.status.text + ")"));
        }
      }
      if (x.diverged) {
        for (String l : x.losers) {
          if (l.contains("differs from")) {
            fail(cp, sid, "v2 holds a different transcript v1 does not have: " + l);
          }
        }
      }
    }
  }

  private static String refs(CheckpointSource cp) {
    List<String> out = new ArrayList<>();
    for (CheckpointSource.Session x : cp.sessions.values()) {
      for (Candidate c : x.candidates) {
        String n = RefNames.shortName(c.ref);
        if (!out.contains(n)) {
          out.add(n);
        }
      }
    }
    return out.isEmpty() ? "/full" : String.join(", ", out);
  }

  private void fail(CheckpointSource cp, String session, String reason) {
    failures.add(new Failure(cp.id, session, reason));
  }

  /**
   * The sessions of a v1 checkpoint as the client reads them (by position {@code
   * 0..len(sessions)-1}), by {@code session_id}; null when the directory has no readable summary.
   */
  private static Map<String, Candidate> v1Sessions(ObjectReader reader, ObjectId dir)
      throws IOException {
    ObjectId summary = null;
    Map<Integer, ObjectId> sessionTrees = new HashMap<>();
    for (Trees.Entry e : Trees.read(reader, dir)) {
      String name = e.nameString();
      if (name.equals("metadata.json") && e.isFile()) {
        summary = e.id();
      } else if (e.isTree() && SourceReader.sessionIndex(name) >= 0) {
        sessionTrees.put(SourceReader.sessionIndex(name), e.id());
      }
    }
    String text = summary == null ? null : Converter.text(reader, summary);
    if (text == null) {
      return null;
    }
    int[] count = {0};
    try {
      JsonFiles.readObject(
          text,
          (name, v) -> {
            if (name.equals("sessions")) {
              count[0] = 0;
              if (v.currentToken() == JsonToken.START_ARRAY) {
                while (v.nextToken() != JsonToken.END_ARRAY) {
                  v.skipChildren();
                  count[0]++;
                }
              }
            }
          });
    } catch (IllegalArgumentException e) {
      return null;
    }
    Map<String, Candidate> out = new HashMap<>();
    for (int i = 0; i < count[0]; i++) {
      ObjectId tree = sessionTrees.get(i);
      if (tree == null) {
        continue;
      }
      Candidate c = new Candidate(RefNames.V1, true);
      ObjectId meta = null;
      CanonicalTreeParser p = new CanonicalTreeParser();
      p.reset(reader, tree);
      for (; !p.eof(); p.next()) {
        if (!SourceReader.isFile(p)) {
          continue;
        }
        String name = p.getEntryPathString();
        if (name.equals("metadata.json")) {
          meta = p.getEntryObjectId();
        } else {
          c.offer(name, p.getEntryObjectId());
        }
      }
      String mt = meta == null ? null : Converter.text(reader, meta);
      if (mt == null) {
        continue;
      }
      try {
        String sid = SessionMetadata.parse(mt).sessionId;
        if (sid != null) {
          out.putIfAbsent(sid, c);
        }
      } catch (IllegalArgumentException e) {
        // unreadable session metadata: that session is not there for the client either
      }
    }
    return out;
  }

  String text(String repository) {
    StringBuilder b = new StringBuilder();
    b.append("verify ").append(repository).append('\n');
    b.append("v2: ")
        .append(checkpoints)
        .append(" checkpoint(s), ")
        .append(sessions)
        .append(" session(s), ")
        .append(transcripts)
        .append(" raw transcript(s)\n");
    if (ok()) {
      b.append("ok: v1 holds every v2 checkpoint and session with the same transcript\n");
    } else {
      b.append("not ok: ")
          .append(failures.size())
          .append(" problem(s); v2 must not be retired yet\n");
      for (Failure f : failures) {
        b.append("  ").append(CheckpointIds.format(f.id()));
        if (f.session() != null) {
          b.append(" session ").append(f.session());
        }
        b.append(": ").append(f.reason()).append('\n');
      }
    }
    return b.toString();
  }

  String json(String repository) {
    return JsonFiles.document(g -> write(g, repository));
  }

  /** The {@code checkpoint-guard.convert-verify/1} object. */
  void write(JsonGenerator g, String repository) throws IOException {
    g.writeStartObject();
    g.writeStringField("schema", SCHEMA);
    g.writeStringField("repository", repository);
    g.writeBooleanField("ok", ok());
    g.writeObjectFieldStart("summary");
    g.writeNumberField("checkpoints", checkpoints);
    g.writeNumberField("sessions", sessions);
    g.writeNumberField("transcripts", transcripts);
    g.writeNumberField("problems", failures.size());
    g.writeEndObject();
    g.writeArrayFieldStart("problems");
    for (Failure f : failures) {
      g.writeStartObject();
      g.writeStringField("id", CheckpointIds.format(f.id()));
      if (f.session() == null) {
        g.writeNullField("session_id");
      } else {
        g.writeStringField("session_id", f.session());
      }
      g.writeStringField("reason", f.reason());
      g.writeEndObject();
    }
    g.writeEndArray();
    g.writeEndObject();
  }
}
