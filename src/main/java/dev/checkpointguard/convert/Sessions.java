package dev.checkpointguard.convert;

import dev.checkpointguard.core.RefNames;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.eclipse.jgit.lib.ObjectReader;

/**
 * Decides, per checkpoint, whether it can be converted and which copy of each session's raw
 * transcript becomes the v1 transcript (spec v2-to-v1 §6.3: one source generation per session).
 *
 * <p><b>Precedence when generations disagree.</b> Archive numbers say nothing about age (they are
 * client-local and reused, spec §10.4), so the rule looks at content only:
 *
 * <ol>
 *   <li>only copies whose SHA-256 matches their hash file count; identical copies are one copy;
 *   <li>a copy whose bytes are a proper prefix of another's is older: transcripts only grow, and a
 *       finalize rewrites the whole, longer transcript (spec §3.1);
 *   <li>among copies that are not prefixes of each other (a real divergence), the one with the
 *       latest transcript event {@code timestamp} (spec §5.3) wins, then the longer one, then the
 *       smaller hash (so that every run picks the same).
 * </ol>
 *
 * Every losing copy is named in the report; a divergent loser is content v1 will not have, which
 * {@code convert --verify} reports until v2 is retired by hand.
 */
final class Sessions {
  private Sessions() {}

  static void check(CheckpointSource cp, ObjectReader reader) throws IOException {
    if (cp.problem != null) {
      return;
    }
    if (cp.mainDir == null) {
      cp.fail("not on /main: raw transcripts without the checkpoint's metadata");
      return;
    }
    if (cp.summary == null) {
      cp.fail("no metadata.json (summary) on /main");
      return;
    }
    boolean anyMetadata = false;
    boolean anyTranscript = false;
    for (CheckpointSource.Session s : cp.sessions.values()) {
      if (s.metadata == null) {
        if (s.inFull && (!s.candidates.isEmpty() || !s.tasks.isEmpty())) {
          cp.fail(
              "session "
                  + s.index
                  + ": "
                  + (s.candidates.isEmpty() ? "tasks" : "a raw transcript")
                  + " in "
                  + refs(s)
                  + " but no metadata.json on /main");
          return;
        }
        continue;
      }
      anyMetadata = true;
      choose(s, reader);
      if (s.problem != null) {
        cp.fail("session " + s.index + ": " + s.problem);
        return;
      }
      anyTranscript |= s.winner != null;
    }
    if (!anyMetadata) {
      cp.fail("no session metadata.json on /main");
    } else if (!anyTranscript) {
      cp.fail("no raw transcript in any /full ref");
    }
  }

  private static String refs(CheckpointSource.Session s) {
    List<String> out = new ArrayList<>();
    s.candidates.forEach(c -> out.add(RefNames.shortName(c.ref)));
    s.tasks.forEach(t -> out.add(RefNames.shortName((String) t[0])));
    return String.join(", ", out.stream().distinct().toList());
  }

  /** Picks the winner of one session; sets its problem when copies exist but none can be used. */
  static void choose(CheckpointSource.Session s, ObjectReader reader) throws IOException {
    if (s.candidates.isEmpty()) {
      return;
    }
    Map<String, Candidate> byHash = new LinkedHashMap<>();
    List<Candidate> invalid = new ArrayList<>();
    List<Candidate> sorted = new ArrayList<>(s.candidates);
    sorted.sort(Comparator.comparing((Candidate c) -> c.ref).thenComparing(c -> c.legacy));
    for (Candidate c : sorted) {
      if (c.isValid()) {
        byHash.putIfAbsent(c.claimed, c);
      } else {
        invalid.add(c);
      }
    }
    if (byHash.isEmpty()) {
      Candidate c = invalid.get(0);
      s.problem = c.describe() + ": " + c.status.text;
      return;
    }
    for (Candidate c : invalid) {
      s.losers.add(c.describe() + " not used: " + c.status.text);
    }
    List<Candidate> distinct = new ArrayList<>(byHash.values());
    if (distinct.size() == 1) {
      s.winner = distinct.get(0);
      return;
    }
    // copies that are a prefix of another copy are older versions of it
    List<Candidate> maximal = new ArrayList<>();
    Map<Candidate, Candidate> prefixOf = new LinkedHashMap<>();
    for (Candidate a : distinct) {
      Candidate longer = null;
      for (Candidate b : distinct) {
        if (a != b && a.isPrefixOf(b, reader)) {
          longer = b;
          break;
        }
      }
      if (longer == null) {
        maximal.add(a);
      } else {
        prefixOf.put(a, longer);
      }
    }
    Candidate winner;
    if (maximal.size() == 1) {
      winner = maximal.get(0);
    } else {
      Map<Candidate, Instant> latest = new LinkedHashMap<>();
      for (Candidate c : maximal) {
        latest.put(c, c.latestEvent(reader));
      }
      maximal.sort(
          Comparator.comparing(
                  (Candidate c) -> latest.get(c),
                  Comparator.nullsFirst(Comparator.<Instant>naturalOrder()))
              .reversed()
              .thenComparing(Comparator.comparingLong((Candidate c) -> c.size).reversed())
              .thenComparing(c -> c.claimed));
      winner = maximal.get(0);
      for (Candidate c : maximal.subList(1, maximal.size())) {
        s.diverged = true;
        s.losers.add(
            c.describe()
                + " not used: it differs from "
                + winner.describe()
                + " (not a prefix of it; the winner's latest event is "
                + (latest.get(winner) == null ? "unknown" : latest.get(winner))
                + ", this one's "
                + (latest.get(c) == null ? "unknown" : latest.get(c))
                + ")");
      }
    }
    for (Map.Entry<Candidate, Candidate> e : prefixOf.entrySet()) {
      s.losers.add(
          e.getKey().describe()
              + " not used: an older version (a prefix) of "
              + e.getValue().describe());
    }
    s.winner = winner;
  }
}
