package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.checkpointguard.fixtures.SyntheticGenerations;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.internal.storage.dfs.DfsRepositoryDescription;
import org.eclipse.jgit.internal.storage.dfs.InMemoryRepository;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The archive index reuses its last listing of the server's archives while the server says they
 * have not changed ({@link ServerRefs#archivesMark}): a repeated rejection then neither lists nor
 * reads an archive. A server that wrongly says "unchanged" can at most cause a needless rejection:
 * every archive counted as cover is confirmed by its ref, so a deleted or moved archive never
 * covers a loss.
 */
class ListingMemoTest {
  private static final long[] GEN = {0x0a0000000001L, 0x0b0000000002L, 0x0c0000000003L};
  private static final long[] STRAY = {0x0d0000000004L, 0x0e0000000005L};

  private InMemoryRepository repo;
  private ObjectInserter ins;
  private ObjectReader reader;
  private SyntheticGenerations gens;
  private ObjectId current;
  private ObjectId stray;
  private ObjectId reset;
  private Marked server;

  @BeforeEach
  void server() throws IOException {
    repo = new InMemoryRepository(new DfsRepositoryDescription("t"));
    ins = repo.newObjectInserter();
    gens = new SyntheticGenerations(ins);
    reader = repo.newObjectReader();
    Map<String, ObjectId> archives = new TreeMap<>();
    archives.put(RefNames.archive(1), commit(tree(union(GEN, new long[] {0x77L})), "Merge local"));
    for (int n = 2; n <= 12; n++) {
      archives.put(RefNames.archive(n), commit(tree(n * 16L, n * 16L + 1, n * 16L + 2), "a" + n));
    }
    current = commit(tree(GEN), "Checkpoint: 0c0000000003");
    stray = commit(tree(STRAY), "Checkpoint: 0e0000000005");
    reset = commit(tree(), "Start generation");
    ins.flush();
    server = new Marked(archives);
  }

  @AfterEach
  void close() {
    reader.close();
    ins.close();
    repo.close();
  }

  private Verdict.Outcome judge(ObjectId from, ArchiveIndex index) {
    List<Verdict> v =
        new CheckpointPolicy(GuardSettings.defaults())
            .evaluate(
                List.of(RefChange.update(RefNames.CURRENT, from, reset)), server, reader, index);
    return v.get(0).outcome();
  }

  @Test
  void repeatedRejectionsListOnceWhileTheArchivesDoNotChange() throws IOException {
    ArchiveIndex index = new ArchiveIndex(new ArchiveIndex.Budget(1000));
    assertEquals(Verdict.Outcome.REJECT, judge(stray, index));
    assertEquals(1, server.listings.get());
    assertEquals(12, index.archives()); // every archive read once
    int lookups = server.lookups.get();
    for (int i = 0; i < 3; i++) {
      assertEquals(Verdict.Outcome.REJECT, judge(stray, index));
    }
    assertEquals(1, server.listings.get(), "no listing while the server's mark holds");
    assertEquals(lookups, server.lookups.get(), "nothing to confirm: no archive was read");

    // a new archive that holds the stray generation: the server's mark changes, so it lists again
    ObjectId cover = commit(tree(STRAY), "Archive generation");
    ins.flush();
    server.put(RefNames.archive(13), cover);
    assertEquals(Verdict.Outcome.ACCEPT, judge(stray, index));
    assertEquals(2, server.listings.get());
  }

  @Test
  void aServerThatWronglySaysUnchangedCannotTurnALossIntoAnAccept() throws IOException {
    for (ArchiveIndex index :
        List.of(
            new ArchiveIndex(new ArchiveIndex.Budget(1000)),
            new ArchiveIndex(new ArchiveIndex.Budget(0)))) {
      server();
      assertEquals(Verdict.Outcome.ACCEPT, judge(current, index)); // listed; archive 1 covers
      server.lying = true;
      server.archives.remove(RefNames.archive(1)); // deleted, but the server says nothing changed
      assertEquals(Verdict.Outcome.REJECT, judge(current, index), index.toString());
      assertEquals(1, server.listings.get(), "the stale listing was reused");

      index.clear();
      server();
      assertEquals(Verdict.Outcome.ACCEPT, judge(current, index));
      server.lying = true;
      ObjectId pruned = commit(tree(0x77L), "pruned");
      ins.flush();
      server.archives.put(RefNames.archive(1), pruned); // moved, and again "unchanged"
      assertEquals(Verdict.Outcome.REJECT, judge(current, index), index.toString());
      index.clear();
    }
  }

  /** Archive refs with a version that every change bumps; its mark is that version. */
  private static final class Marked implements ServerRefs {
    final Map<String, ObjectId> archives;
    final AtomicInteger listings = new AtomicInteger();
    final AtomicInteger lookups = new AtomicInteger();
    int version;
    boolean lying;

    Marked(Map<String, ObjectId> archives) {
      this.archives = archives;
    }

    void put(String ref, ObjectId id) {
      archives.put(ref, id);
      version++;
    }

    @Override
    public Map<String, ObjectId> archives() {
      listings.incrementAndGet();
      return new TreeMap<>(archives);
    }

    @Override
    public ObjectId exact(String ref) {
      lookups.incrementAndGet();
      return archives.get(ref);
    }

    @Override
    public Object archivesMark() {
      return version;
    }

    @Override
    public boolean archivesUnchanged(Object mark) {
      return lying || Integer.valueOf(version).equals(mark);
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
