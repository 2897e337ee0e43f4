package dev.checkpointguard.jgit;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.ServerRefs;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.CommitBuilder;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.RefUpdate;
import org.eclipse.jgit.lib.TreeFormatter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The mark of a files-backend repository's archive refs changes with every way git or JGit changes
 * an archive ref: a loose create, update and delete, and packing. (The file times are set an hour
 * back first, so that no snapshot is "racily clean", which would make every check say "changed" and
 * prove nothing.)
 */
class RepositoryRefsMarkTest {
  @TempDir Path tmp;

  @Test
  void everyArchiveRefChangeChangesTheMark() throws Exception {
    try (FileRepository repo = new FileRepository(tmp.resolve("r.git").toFile())) {
      repo.create(true);
      ObjectId a;
      ObjectId b;
      try (ObjectInserter ins = repo.newObjectInserter()) {
        ObjectId tree = ins.insert(new TreeFormatter());
        a = commit(ins, tree, "a");
        b = commit(ins, tree, "b");
        ins.flush();
      }
      ServerRefs refs = RepositoryRefs.of(repo);
      set(repo, RefNames.archive(1), a);
      Object mark = settled(repo, refs);
      assertTrue(refs.archivesUnchanged(mark), "nothing changed");
      assertTrue(RepositoryRefs.of(repo).archivesUnchanged(mark), "another view of the same refs");

      set(repo, RefNames.archive(2), a); // loose create
      assertFalse(refs.archivesUnchanged(mark));

      mark = settled(repo, refs);
      set(repo, RefNames.archive(1), b); // loose update
      assertFalse(refs.archivesUnchanged(mark));

      mark = settled(repo, refs);
      RefUpdate d = repo.updateRef(RefNames.archive(2)); // loose delete
      d.setForceUpdate(true);
      d.delete();
      assertFalse(refs.archivesUnchanged(mark));

      mark = settled(repo, refs);
      ((org.eclipse.jgit.internal.storage.file.RefDirectory) repo.getRefDatabase())
          .pack(java.util.List.of(RefNames.archive(1)));
      assertFalse(refs.archivesUnchanged(mark), "packed");

      mark = settled(repo, refs);
      set(repo, RefNames.archive(1), a); // update of a packed ref: a new loose file
      assertFalse(refs.archivesUnchanged(mark));
    }
  }

  /** Moves the ref storage's file times an hour back, then takes a mark. */
  private static Object settled(FileRepository repo, ServerRefs refs) throws IOException {
    FileTime past = FileTime.from(Instant.now().minusSeconds(3600));
    File dir = repo.getDirectory();
    for (Path p :
        new Path[] {
          dir.toPath().resolve("packed-refs"), dir.toPath().resolve(RefNames.FULL_PREFIX)
        }) {
      if (Files.exists(p)) {
        Files.setLastModifiedTime(p, past);
      }
    }
    Object mark = refs.archivesMark();
    assertNotNull(mark);
    return mark;
  }

  private static void set(FileRepository repo, String name, ObjectId id) throws IOException {
    RefUpdate u = repo.updateRef(name);
    u.setNewObjectId(id);
    u.setForceUpdate(true);
    RefUpdate.Result r = u.update();
    assertTrue(r == RefUpdate.Result.NEW || r == RefUpdate.Result.FORCED, r.toString());
  }

  private static ObjectId commit(ObjectInserter ins, ObjectId tree, String message)
      throws IOException {
    PersonIdent who =
        new PersonIdent(
            "t",
            "t@example.invalid",
            Instant.parse("2026-05-01T00:00:00Z"),
            java.time.ZoneOffset.UTC);
    CommitBuilder c = new CommitBuilder();
    c.setTreeId(tree);
    c.setAuthor(who);
    c.setCommitter(who);
    c.setMessage(message);
    return ins.insert(c);
  }
}
