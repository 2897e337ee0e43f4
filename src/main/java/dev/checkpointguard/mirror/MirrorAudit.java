package dev.checkpointguard.mirror;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import dev.checkpointguard.core.CheckpointIds;
import dev.checkpointguard.core.CheckpointTrees;
import dev.checkpointguard.core.JsonFiles;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * What {@code check} says about a mirror (docs/mirror.md, "What admins see"): the refs the last
 * sync held back ({@code mirror-held-back}, a warning: upstream dropped checkpoints the mirror
 * kept, see "Resolving a held-back ref"), and every kept tip ({@code mirror-kept}, information), of
 * the mirror's own kept refs and of the stock hook's keep repository. A repository that is no
 * mirror gives nothing. Read-only.
 */
public final class MirrorAudit {
  /**
   * One finding for {@code check}.
   *
   * @param code {@code mirror-held-back} or {@code mirror-kept}
   * @param warning true for a warning, false for information
   * @param refs the refs concerned
   * @param checkpoints the checkpoint IDs concerned (all of them)
   * @param message one line
   */
  public record Note(
      String code, boolean warning, List<String> refs, List<String> checkpoints, String message) {}

  private MirrorAudit() {}

  /** The mirror findings of {@code repo}, held-back refs first. */
  public static List<Note> notes(Repository repo) throws IOException {
    List<Note> out = new ArrayList<>();
    Path gitDir = repo.getDirectory().toPath();
    try (ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      CheckpointTrees trees = new CheckpointTrees(reader, null);
      Map<String, ObjectId> refs = new TreeMap<>();
      for (Ref r : repo.getRefDatabase().getRefsByPrefix(MirrorRefs.PREFIX)) {
        if (r.getObjectId() != null) {
          refs.put(r.getName(), r.getObjectId());
        }
      }
      Status status = Status.read(gitDir.resolve(MirrorStatus.FILE));
      for (Status.Held h : status.held) {
        List<String> names = new ArrayList<>(List.of(h.ref));
        String record = MirrorRefs.upstreamRef(h.ref);
        if (refs.containsKey(record)) {
          names.add(record);
        }
        Ref now = repo.exactRef(h.ref);
        String changed =
            now != null
                    && now.getObjectId() != null
                    && h.mirror != null
                    && !now.getObjectId().name().equals(h.mirror)
                ? "; the ref has moved since"
                : "";
        out.add(
            new Note(
                "mirror-held-back",
                true,
                names,
                List.of(),
                h.ref
                    + " held back by the sync of "
                    + status.time
                    + " from "
                    + status.upstream
                    + ": "
                    + what(h)
                    + changed
                    + "; resolve as docs/mirror.md says (\"Resolving a held-back ref\")"));
      }
      for (Map.Entry<String, ObjectId> e : refs.entrySet()) {
        if (e.getKey().startsWith(MirrorRefs.KEPT_PREFIX)) {
          List<String> ids = ids(trees, walk, e.getValue());
          out.add(
              new Note(
                  "mirror-kept",
                  false,
                  List.of(e.getKey()),
                  ids,
                  e.getKey()
                      + " keeps "
                      + MirrorRefs.original(e.getKey())
                      + " at "
                      + MirrorReport.abbrev(e.getValue())
                      + " ("
                      + ids.size()
                      + " checkpoints) that the mirror let go of; bring them back as"
                      + " docs/mirror.md says, or delete the ref once they are not wanted"));
        }
      }
    }
    File keep = gitDir.resolve(MirrorRefs.KEPT_REPOSITORY).toFile();
    if (new File(keep, "HEAD").isFile()) {
      try (Repository k = new FileRepositoryBuilder().setGitDir(keep).setMustExist(true).build();
          ObjectReader reader = k.newObjectReader();
          RevWalk walk = new RevWalk(reader)) {
        CheckpointTrees trees = new CheckpointTrees(reader, null);
        for (Ref r : k.getRefDatabase().getRefsByPrefix(MirrorRefs.HOOK_KEPT_PREFIX)) {
          if (r.getObjectId() == null) {
            continue;
          }
          String rest = r.getName().substring(MirrorRefs.HOOK_KEPT_PREFIX.length());
          String of = rest.indexOf('/') < 0 ? rest : rest.substring(rest.indexOf('/') + 1);
          List<String> ids = ids(trees, walk, r.getObjectId());
          out.add(
              new Note(
                  "mirror-kept",
                  false,
                  List.of(r.getName()),
                  ids,
                  MirrorRefs.KEPT_REPOSITORY
                      + " "
                      + r.getName()
                      + " keeps "
                      + of
                      + " at "
                      + MirrorReport.abbrev(r.getObjectId())
                      + " ("
                      + ids.size()
                      + " checkpoints) that a fetch dropped;"
                      + " bring them back as docs/mirror.md says"));
        }
      }
    }
    return out;
  }

  private static String what(Status.Held h) {
    String n = h.checkpoints + (h.checkpoints == 1 ? " checkpoint" : " checkpoints");
    return switch (h.kind) {
      case "merged" ->
          "the mirror's "
              + shortId(h.mirror)
              + " is upstream's "
              + shortId(h.upstream)
              + " plus "
              + n
              + " upstream dropped (rule "
              + h.rule
              + ")";
      case "held" ->
          h.upstream == null
              ? "upstream deleted it; the mirror keeps "
                  + shortId(h.mirror)
                  + " (rule "
                  + h.rule
                  + ")"
              : "upstream's "
                  + shortId(h.upstream)
                  + " was not taken (rule "
                  + h.rule
                  + "); the mirror keeps "
                  + shortId(h.mirror);
      default ->
          "the mirror's "
              + shortId(h.mirror)
              + " already contains upstream's "
              + shortId(h.upstream)
              + (h.checkpoints > 0 ? " and " + n + " more" : "");
    };
  }

  private static String shortId(String id) {
    return id == null ? "(none)" : id.substring(0, Math.min(10, id.length()));
  }

  private static List<String> ids(CheckpointTrees trees, RevWalk walk, ObjectId tip)
      throws IOException {
    SortedMap<Long, ObjectId> dirs = trees.directories(MirrorPlanner.treeOf(walk, tip));
    List<String> out = new ArrayList<>(dirs.size());
    dirs.keySet().forEach(id -> out.add(CheckpointIds.format(id)));
    return out;
  }

  /** The parts of the status file {@code check} shows. */
  private static final class Status {
    record Held(
        String ref, String kind, String rule, String mirror, String upstream, int checkpoints) {}

    String time = "";
    String upstream = "";
    final List<Held> held = new ArrayList<>();

    /** The status file, or an empty status when there is none or it cannot be read. */
    static Status read(Path file) {
      Status s = new Status();
      if (!Files.isRegularFile(file)) {
        return s;
      }
      try {
        String text = Files.readString(file, StandardCharsets.UTF_8);
        JsonFiles.readObject(
            text,
            (name, p) -> {
              switch (name) {
                case "time" -> s.time = String.valueOf(JsonFiles.stringOrNull(p));
                case "upstream" -> s.upstream = String.valueOf(JsonFiles.stringOrNull(p));
                case "refs" -> s.refs(p);
                default -> p.skipChildren();
              }
            });
      } catch (IOException | RuntimeException e) {
        return new Status(); // a damaged status file says nothing; the refs still speak
      }
      return s;
    }

    private void refs(JsonParser p) throws IOException {
      if (p.currentToken() != JsonToken.START_ARRAY) {
        p.skipChildren();
        return;
      }
      while (p.nextToken() == JsonToken.START_OBJECT) {
        Map<String, String> f = new HashMap<>();
        boolean heldBack = false;
        int checkpoints = 0;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
          String n = p.currentName();
          JsonToken t = p.nextToken();
          if (n.equals("held_back")) {
            heldBack = t == JsonToken.VALUE_TRUE;
          } else if (n.equals("checkpoints") && t == JsonToken.VALUE_NUMBER_INT) {
            checkpoints = p.getIntValue();
          } else if (t == JsonToken.VALUE_STRING) {
            f.put(n, p.getText());
          } else {
            p.skipChildren();
          }
        }
        if (heldBack && f.get("ref") != null) {
          held.add(
              new Held(
                  f.get("ref"),
                  f.getOrDefault("kind", ""),
                  f.get("rule"),
                  f.get("mirror_after"),
                  f.get("upstream"),
                  checkpoints));
        }
      }
    }
  }
}
