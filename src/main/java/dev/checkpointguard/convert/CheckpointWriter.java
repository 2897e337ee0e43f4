package dev.checkpointguard.convert;

import dev.checkpointguard.core.GenerationJson;
import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;

/**
 * Writes one checkpoint's v1 directory (spec v2-to-v1 §2, §6.4–§6.8) from its verified v2 sources:
 *
 * <pre>
 * &lt;cp&gt;/metadata.json          summary rebuilt ({@link Summary})
 * &lt;cp&gt;/&lt;i&gt;/metadata.json      /main session metadata: the same blob, or rewritten ({@link SessionMetadata})
 * &lt;cp&gt;/&lt;i&gt;/full.jsonl[.NNN]   the winning copy's chunks, same blobs, renamed
 * &lt;cp&gt;/&lt;i&gt;/content_hash.txt   the winning copy's hash file, same blob
 * &lt;cp&gt;/&lt;i&gt;/prompt.txt         /main, same blob
 * &lt;cp&gt;/&lt;i&gt;/transcript.jsonl   /main compact transcript, same blob (never transcript_hash.txt)
 * &lt;cp&gt;/&lt;i&gt;/tasks/             the /full tasks tree (merged when several refs hold one)
 * </pre>
 *
 * Sessions are renumbered {@code 0..k-1} in ascending {@code created_at} (then v2 index), so the
 * last one is the latest, as the client's listing assumes. A session without any raw transcript
 * (empty, or its archive deleted) keeps its metadata, prompt and compact transcript and gets no
 * {@code full.jsonl}, as the client writes a session with an empty transcript.
 */
final class CheckpointWriter {
  private final ObjectReader reader;
  private final ObjectInserter ins;
  private final ConvertReport report;

  CheckpointWriter(ObjectReader reader, ObjectInserter ins, ConvertReport report) {
    this.reader = reader;
    this.ins = ins;
    this.report = report;
  }

  private record Prepared(
      CheckpointSource.Session s,
      SessionMetadata meta,
      String text,
      Instant created,
      String createdFrom) {}

  /**
   * Writes the directory; null (and {@code cp.problem} set) when a {@code metadata.json} cannot be
   * used.
   *
   * @param fallback the time for a session without {@code created_at} and without transcript events
   * @param fallbackWhat where {@code fallback} comes from, for the report
   */
  ObjectId write(CheckpointSource cp, Instant fallback, String fallbackWhat) throws IOException {
    List<Prepared> sessions = new ArrayList<>();
    for (CheckpointSource.Session s : cp.sessions.values()) {
      if (s.metadata == null) {
        continue;
      }
      String text = Converter.text(reader, s.metadata);
      if (text == null) {
        cp.fail("session " + s.index + ": metadata.json is missing or larger than 16 MiB");
        return null;
      }
      SessionMetadata m;
      try {
        m = SessionMetadata.parse(text);
      } catch (IllegalArgumentException e) {
        cp.fail("session " + s.index + ": metadata.json: " + e.getMessage());
        return null;
      }
      Instant created = m.createdAt;
      String from = null;
      if (created == null) {
        Instant t = s.winner == null ? null : s.winner.latestEvent(reader);
        if (t != null) {
          created = t;
          from = "its transcript's latest event";
        } else {
          created = fallback;
          from = fallbackWhat;
        }
      }
      sessions.add(new Prepared(s, m, text, created, from));
    }
    sessions.sort(Comparator.comparing(Prepared::created).thenComparingInt(p -> p.s().index));
    String summaryText = Converter.text(reader, cp.summary);
    if (summaryText == null) {
      cp.fail("metadata.json (summary) on /main is missing or larger than 16 MiB");
      return null;
    }
    List<Trees.Entry> dir = new ArrayList<>();
    List<Summary.Entry> entries = new ArrayList<>();
    List<SessionMetadata> metas = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    int rewritten = 0;
    int createdSet = 0;
    int dropped = 0;
    for (int i = 0; i < sessions.size(); i++) {
      Prepared p = sessions.get(i);
      CheckpointSource.Session s = p.s();
      String label =
          "session "
              + i
              + (p.meta().sessionId != null ? " (" + p.meta().sessionId + ")" : "")
              + (i != s.index ? ", v2 session " + s.index : "");
      ObjectId metadata = s.metadata;
      boolean drop = p.meta().dropsOffsets();
      boolean setCreated = p.meta().needsCreatedAt();
      if (drop || setCreated) {
        metadata =
            ins.insert(
                Constants.OBJ_BLOB,
                SessionMetadata.rewrite(p.text(), p.created(), drop)
                    .getBytes(StandardCharsets.UTF_8));
        rewritten++;
        dropped += drop ? 1 : 0;
        createdSet += setCreated ? 1 : 0;
      }
      if (p.createdFrom() != null) {
        notes.add(
            label
                + ": created_at "
                + (p.meta().createdAtText == null
                    ? "missing"
                    : "'" + p.meta().createdAtText + "' unusable")
                + "; set to "
                + GenerationJson.formatTime(p.created())
                + ", "
                + p.createdFrom());
      }
      List<Trees.Entry> files = new ArrayList<>();
      files.add(Trees.Entry.of("metadata.json", FileMode.REGULAR_FILE, metadata));
      Candidate w = s.winner;
      if (w != null) {
        files.addAll(w.v1Files());
        files.add(Trees.Entry.of("content_hash.txt", FileMode.REGULAR_FILE, w.hashBlob));
        if (w.legacy) {
          notes.add(
              label
                  + ": transcript taken from "
                  + RefNames.shortName(w.ref)
                  + " under its legacy full.jsonl names");
        }
      } else {
        notes.add(
            label
                + ": no raw transcript in any /full ref: metadata, prompt and compact transcript only");
      }
      for (String l : s.losers) {
        notes.add(label + ": " + l);
      }
      if (s.prompt != null) {
        files.add(Trees.Entry.of("prompt.txt", FileMode.REGULAR_FILE, s.prompt));
      }
      if (s.compact != null) {
        files.add(Trees.Entry.of("transcript.jsonl", FileMode.REGULAR_FILE, s.compact));
      }
      ObjectId tasks = tasks(s, w, notes, label);
      if (tasks != null) {
        files.add(Trees.Entry.of("tasks", FileMode.TREE, tasks));
      }
      dir.add(Trees.Entry.of(Integer.toString(i), FileMode.TREE, Trees.write(ins, files)));
      entries.add(new Summary.Entry(w != null, s.compact != null, s.prompt != null));
      metas.add(p.meta());
    }
    String summary;
    try {
      summary = Summary.rebuild(summaryText, cp.path(), entries, metas);
    } catch (IllegalArgumentException e) {
      cp.fail("metadata.json (summary) on /main: " + e.getMessage());
      return null;
    }
    dir.add(
        Trees.Entry.of(
            "metadata.json",
            FileMode.REGULAR_FILE,
            ins.insert(Constants.OBJ_BLOB, summary.getBytes(StandardCharsets.UTF_8))));
    cp.notes.addAll(notes);
    cp.v1Sessions = sessions.size();
    synchronized (report) {
      report.metadataRewritten += rewritten;
      report.createdAtSet += createdSet;
      report.offsetsDropped += dropped;
    }
    return Trees.write(ins, dir);
  }

  /**
   * The session's {@code tasks/} tree: the one copy, or the union of several (a task file held
   * twice with different content keeps the copy of the ref that holds the winning transcript, else
   * of the first ref by name; noted).
   */
  private ObjectId tasks(
      CheckpointSource.Session s, Candidate winner, List<String> notes, String label)
      throws IOException {
    if (s.tasks.isEmpty()) {
      return null;
    }
    List<Object[]> copies = new ArrayList<>(s.tasks);
    copies.sort(
        Comparator.comparing((Object[] t) -> winner != null && t[0].equals(winner.ref) ? 0 : 1)
            .thenComparing(t -> (String) t[0]));
    Map<ObjectId, String> distinct = new LinkedHashMap<>();
    for (Object[] t : copies) {
      distinct.putIfAbsent((ObjectId) t[1], (String) t[0]);
    }
    if (distinct.size() == 1) {
      return distinct.keySet().iterator().next();
    }
    List<ObjectId> trees = new ArrayList<>(distinct.keySet());
    List<String> refs = new ArrayList<>(distinct.values());
    return merge(trees, refs, "tasks", notes, label);
  }

  private ObjectId merge(
      List<ObjectId> trees, List<String> refs, String path, List<String> notes, String label)
      throws IOException {
    Map<String, List<Object[]>> byName = new LinkedHashMap<>();
    for (int i = 0; i < trees.size(); i++) {
      for (Trees.Entry e : Trees.read(reader, trees.get(i))) {
        byName
            .computeIfAbsent(e.nameString(), k -> new ArrayList<>())
            .add(new Object[] {e, refs.get(i)});
      }
    }
    List<Trees.Entry> out = new ArrayList<>();
    for (Map.Entry<String, List<Object[]>> n : byName.entrySet()) {
      List<Object[]> copies = n.getValue();
      Trees.Entry first = (Trees.Entry) copies.get(0)[0];
      boolean same =
          copies.stream()
              .allMatch(
                  c ->
                      ((Trees.Entry) c[0]).id().equals(first.id())
                          && ((Trees.Entry) c[0]).mode().equals(first.mode()));
      boolean allTrees = copies.stream().allMatch(c -> ((Trees.Entry) c[0]).isTree());
      if (same || copies.size() == 1) {
        out.add(first);
      } else if (allTrees) {
        List<ObjectId> sub = new ArrayList<>();
        List<String> subRefs = new ArrayList<>();
        for (Object[] c : copies) {
          sub.add(((Trees.Entry) c[0]).id());
          subRefs.add((String) c[1]);
        }
        out.add(
            new Trees.Entry(
                first.name(),
                FileMode.TREE,
                merge(sub, subRefs, path + "/" + n.getKey(), notes, label)));
      } else {
        out.add(first);
        notes.add(
            label
                + ": "
                + path
                + "/"
                + n.getKey()
                + " differs between "
                + String.join(
                    " and ",
                    copies.stream().map(c -> RefNames.shortName((String) c[1])).distinct().toList())
                + "; kept "
                + RefNames.shortName((String) copies.get(0)[1])
                + "'s");
      }
    }
    return Trees.write(ins, out);
  }
}
