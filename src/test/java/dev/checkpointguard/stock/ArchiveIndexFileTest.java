package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.ArchiveIndex;
import dev.checkpointguard.core.CheckpointSet;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.core.Verdict;
import dev.checkpointguard.fixtures.SyntheticGenerations;
import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.RefUpdate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stock hook's on-disk archive index ({@link ArchiveIndexFile}): a push that had to read the
 * server's archives leaves the file behind, later pushes look there first, and no state of the
 * file, however wrong, changes a verdict: a loss stays rejected, a covered reset stays accepted.
 *
 * <p>The server: 12 archives of 3 checkpoints; archive 1 (the oldest, so never one of the newest 8
 * tried first) also holds the generation on {@code /full/current} by content.
 */
class ArchiveIndexFileTest {
  private static final long[] GEN = {0x0a0000000001L, 0x0b0000000002L, 0x0c0000000003L};
  private static final long[] STRAY = {0x0d0000000004L, 0x0e0000000005L};

  @TempDir Path tmp;
  private FileRepository repo;
  private ObjectInserter ins;
  private File gitDir;
  private SyntheticGenerations gens;
  private ObjectId current;
  private ObjectId stray;
  private ObjectId reset;
  private final Map<String, ObjectId> archives = new TreeMap<>();

  @BeforeEach
  void server() throws IOException {
    gitDir = tmp.resolve("server.git").toFile();
    repo = new FileRepository(gitDir);
    repo.create(true);
    ins = repo.newObjectInserter();
    gens = new SyntheticGenerations(ins);
    archives.put(RefNames.archive(1), commit(tree(union(GEN, new long[] {0x77L})), "Merge local"));
    for (int n = 2; n <= 12; n++) {
      archives.put(RefNames.archive(n), commit(tree(n * 16L, n * 16L + 1, n * 16L + 2), "a" + n));
    }
    current = commit(tree(GEN), "Checkpoint: 0c0000000003");
    stray = commit(tree(STRAY), "Checkpoint: 0e0000000005");
    reset = commit(tree(), "Start generation");
    ins.flush();
    archives.forEach(this::setRef);
    setRef(RefNames.CURRENT, current);
  }

  @AfterEach
  void close() {
    ins.close();
    repo.close();
  }

  private Path indexFile() {
    return ArchiveIndexFile.path(gitDir, "");
  }

  /** The reset of {@code from} to an empty generation, judged by the stock hook in-process. */
  private Verdict.Outcome judgeReset(ObjectId from) throws IOException {
    if (!from.equals(repo.exactRef(RefNames.CURRENT).getObjectId())) {
      setRef(RefNames.CURRENT, from);
    }
    List<StockGuard.Judgement> j =
        StockGuard.judge(
            List.of(HookInput.parse(1, from.name() + " " + reset.name() + " " + RefNames.CURRENT)),
            Map.of("GIT_DIR", gitDir.getPath()));
    assertEquals(1, j.size());
    return j.get(0).outcome();
  }

  @Test
  void aPushThatReadsTheArchivesLeavesTheIndexAndTheNextFindsTheCoverThere() throws IOException {
    assertFalse(Files.exists(indexFile()));
    assertEquals(Verdict.Outcome.ACCEPT, judgeReset(current));
    ArchiveIndexFile file = ArchiveIndexFile.open(indexFile());
    assertNotNull(file, "the push read every archive down to archive 1: it keeps what it read");
    assertEquals(12, file.archives());
    for (ArchiveIndex.Holder h : file.holders(CheckpointSet.of(GEN))) {
      assertEquals(RefNames.archive(1), h.ref());
      assertEquals(archives.get(RefNames.archive(1)), h.tip());
    }
    assertEquals(GEN.length, file.holders(CheckpointSet.of(GEN)).size());
    long written = Files.getLastModifiedTime(indexFile()).toMillis();
    byte[] before = Files.readAllBytes(indexFile());

    assertEquals(Verdict.Outcome.ACCEPT, judgeReset(current));
    // found through the file: nothing new was read, so nothing is rewritten
    assertTrue(Arrays.equals(before, Files.readAllBytes(indexFile())));
    assertEquals(written, Files.getLastModifiedTime(indexFile()).toMillis());
    assertEquals(Verdict.Outcome.REJECT, judgeReset(stray));
  }

  /** Every way the file can be wrong: the verdicts stay those of a server without it. */
  @Test
  void noStateOfTheFileChangesAVerdict() throws IOException {
    assertEquals(Verdict.Outcome.ACCEPT, judgeReset(current)); // writes the file
    byte[] good = Files.readAllBytes(indexFile());
    List<String> cases = new ArrayList<>();
    cases.add("truncated");
    cases.add("empty");
    cases.add("header bit flipped");
    cases.add("tip bit flipped");
    cases.add("entry bits flipped");
    cases.add("missing");
    for (String c : cases) {
      byte[] bad = good.clone();
      switch (c) {
        case "truncated" -> bad = Arrays.copyOf(good, good.length - 5);
        case "empty" -> bad = new byte[0];
        case "header bit flipped" -> bad[9] ^= 0x04;
        case "tip bit flipped" -> bad[16 + 8 + 3] ^= 0x10;
        case "entry bits flipped" -> {
          for (int i = good.length - 100; i < good.length; i += 7) {
            bad[i] ^= 0x5a;
          }
        }
        case "missing" -> bad = null;
        default -> throw new IllegalStateException(c);
      }
      if (bad == null) {
        Files.deleteIfExists(indexFile());
      } else {
        Files.write(indexFile(), bad);
      }
      assertEquals(Verdict.Outcome.ACCEPT, judgeReset(current), c);
      assertEquals(Verdict.Outcome.REJECT, judgeReset(stray), c);
    }
  }

  /**
   * A well-formed file that lies (valid checksum): it names archive 2 as the holder of the stray
   * generation and says archive 1 holds nothing of the current one. The stray reset stays rejected
   * (the claim is checked by reading archive 2), the covered reset stays accepted (archive 1 is
   * read anyway).
   */
  @Test
  void aFileThatLiesCostsReadsNeverAVerdict() throws IOException {
    Map<String, ObjectId> listing = new TreeMap<>(archives);
    long[] ids = union(STRAY, new long[] {0x20L});
    ArchiveIndex.Snapshot lie =
        new ArchiveIndex.Snapshot(
            List.of(RefNames.archive(2), RefNames.archive(1)),
            List.of(archives.get(RefNames.archive(2)), archives.get(RefNames.archive(1))),
            ids,
            new int[ids.length]); // every claimed id in archive 2; archive 1 named, holding nothing
    ArchiveIndexFile.write(indexFile(), listing, lie, null);
    ArchiveIndexFile file = ArchiveIndexFile.open(indexFile());
    assertNotNull(file);
    assertEquals(STRAY.length, file.holders(CheckpointSet.of(STRAY)).size());
    assertTrue(file.holders(CheckpointSet.of(GEN)).isEmpty());

    assertEquals(Verdict.Outcome.REJECT, judgeReset(stray));
    assertEquals(Verdict.Outcome.ACCEPT, judgeReset(current));
  }

  /** Archive 1 moved after the file was written: its old entry does not cover the loss any more. */
  @Test
  void aStaleTipIsNotBelieved() throws IOException {
    assertEquals(
        Verdict.Outcome.ACCEPT, judgeReset(current)); // the file names archive 1 at its tip
    ObjectId moved = commit(tree(0x77L), "pruned");
    ins.flush();
    setRef(RefNames.archive(1), moved);
    assertEquals(Verdict.Outcome.REJECT, judgeReset(current));
    ArchiveIndexFile file = ArchiveIndexFile.open(indexFile());
    assertNotNull(file);
    assertEquals(moved, file.tips().get(RefNames.archive(1)), "rebuilt at the new tip");
    assertTrue(file.holders(CheckpointSet.of(GEN)).isEmpty());
  }

  /**
   * The push's own archive (objects still in quarantine during pre-receive) is never written to the
   * file: only archives at the tip they had before the push are.
   */
  @Test
  void thePushsOwnArchivesAreNotKept() throws IOException {
    ObjectId mine =
        commit(tree(union(GEN, new long[] {0x0f0000000006L})), "Archive migrated generation");
    ins.flush();
    String ref = RefNames.archive(13);
    List<StockGuard.Judgement> j =
        StockGuard.judge(
            List.of(
                HookInput.parse(1, ObjectId.zeroId().name() + " " + mine.name() + " " + ref),
                HookInput.parse(2, current.name() + " " + reset.name() + " " + RefNames.CURRENT)),
            Map.of("GIT_DIR", gitDir.getPath()));
    assertEquals(Verdict.Outcome.ACCEPT, j.get(1).outcome()); // archive 1 covers it
    ArchiveIndexFile file = ArchiveIndexFile.open(indexFile());
    assertNotNull(file);
    assertNull(file.tips().get(ref));
    assertEquals(12, file.archives());
  }

  @Test
  void anUnwritableFolderOnlyCostsReads() throws IOException {
    Path dir = indexFile().getParent();
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("r-xr-xr-x"));
    try {
      assertEquals(Verdict.Outcome.ACCEPT, judgeReset(current));
      assertEquals(Verdict.Outcome.REJECT, judgeReset(stray));
      if (!dir.toFile().canWrite()) { // root can write anyway
        assertFalse(Files.exists(indexFile()));
      }
    } finally {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
  }

  @Test
  void eachNamespaceHasItsOwnFile() {
    Path root = ArchiveIndexFile.path(gitDir, "");
    Path a = ArchiveIndexFile.path(gitDir, "refs/namespaces/a/");
    Path b = ArchiveIndexFile.path(gitDir, "refs/namespaces/b/");
    assertEquals(3, new java.util.HashSet<>(List.of(root, a, b)).size());
    assertEquals(root.getParent(), a.getParent());
  }

  private void setRef(String name, ObjectId id) {
    try {
      RefUpdate u = repo.updateRef(name);
      u.setNewObjectId(id);
      u.setForceUpdate(true);
      RefUpdate.Result r = u.update();
      assertTrue(
          r == RefUpdate.Result.NEW
              || r == RefUpdate.Result.FORCED
              || r == RefUpdate.Result.NO_CHANGE,
          r.toString());
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private ObjectId tree(long... ids) throws IOException {
    return gens.tree(ids);
  }

  private ObjectId commit(ObjectId tree, String message, ObjectId... parents) throws IOException {
    return gens.commit(tree, message, parents);
  }

  private static long[] union(long[] a, long[] b) {
    return SyntheticGenerations.union(a, b);
  }
}
