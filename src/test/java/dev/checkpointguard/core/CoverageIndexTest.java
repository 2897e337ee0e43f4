package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.SyntheticGenerations;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.eclipse.jgit.internal.storage.dfs.DfsRepositoryDescription;
import org.eclipse.jgit.internal.storage.dfs.InMemoryRepository;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.ObjectReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The archive index and the order of the coverage steps change what a reset costs, never its
 * verdict. Random pushes are judged with no index, a warm one, a stale one and a tiny one, and
 * against the rule written plainly (spec §10.2 a: every lost transcript is in the tip tree of a
 * post-push archive; history proves nothing); the verdicts must be identical, messages included.
 */
class CoverageIndexTest {
  private static final int THRESHOLD = 3;

  private InMemoryRepository repo;
  private ObjectInserter ins;
  private ObjectReader reader;
  private SyntheticGenerations gens;

  /**
   * A fresh repository: an in-memory one keeps a pack per flush, and lookups slow down with their
   * count.
   */
  private void fresh() {
    if (repo != null) {
      close();
    }
    repo = new InMemoryRepository(new DfsRepositoryDescription("t"));
    ins = repo.newObjectInserter();
    gens = new SyntheticGenerations(ins);
    reader = repo.newObjectReader();
  }

  @org.junit.jupiter.api.BeforeEach
  void open() {
    fresh();
  }

  @AfterEach
  void close() {
    reader.close();
    ins.close();
    repo.close();
  }

  @Test
  void rotationPushNeitherListsNorAsksForRefs() throws IOException {
    long[] gen = {0x0a0000000001L, 0x0b0000000002L, 0x0c0000000003L};
    ObjectId start = commit(tree(), "Start generation");
    ObjectId current = commit(tree(gen), "Checkpoint: 0c0000000003\n", start);
    ObjectId archive = commit(tree(gen), "Archive generation", current);
    ObjectId reset = commit(tree(), "Start generation");
    Counting server =
        new Counting(Map.of(RefNames.archive(1), commit(tree(0x01L, 0x02L, 0x03L), "x")));
    List<Verdict> v =
        policy()
            .evaluate(
                List.of(
                    RefChange.update(RefNames.CURRENT, current, reset),
                    RefChange.create(RefNames.archive(2), archive)),
                server,
                reader,
                new ArchiveIndex(new ArchiveIndex.Budget(1000)));
    assertEquals(Verdict.Outcome.ACCEPT, v.get(0).outcome());
    assertEquals(Verdict.Outcome.ACCEPT, v.get(1).outcome());
    assertEquals(0, server.listings.get());
    assertEquals(1, server.lookups.get()); // the archive's name is still free when judged
  }

  @Test
  void warmIndexCoversByContentWithoutListing() throws IOException {
    long[] gen = {0x0a0000000001L, 0x0b0000000002L, 0x0c0000000003L};
    ObjectId current = commit(tree(gen), "Checkpoint: 0c0000000003\n");
    ObjectId reset = commit(tree(), "Start generation");
    Map<String, ObjectId> archives = new TreeMap<>();
    // archive 1 holds the generation by content only (a recovery merge); 20 newer ones hold other
    // things
    archives.put(RefNames.archive(1), commit(tree(union(gen, new long[] {0x77L})), "Merge local"));
    for (int n = 2; n <= 21; n++) {
      archives.put(RefNames.archive(n), commit(tree(n * 16L, n * 16L + 1, n * 16L + 2), "a" + n));
    }
    ArchiveIndex index = new ArchiveIndex(new ArchiveIndex.Budget(1000));
    Counting server = new Counting(archives);
    List<RefChange> push = List.of(RefChange.update(RefNames.CURRENT, current, reset));

    assertEquals(
        Verdict.Outcome.ACCEPT, policy().evaluate(push, server, reader, index).get(0).outcome());
    // cold: lists, tries the newest 8 (remembering those that did not cover), reads the rest down
    // to 1
    assertEquals(1, server.listings.get());
    assertEquals(21, index.archives());

    assertEquals(
        Verdict.Outcome.ACCEPT, policy().evaluate(push, server, reader, index).get(0).outcome());
    assertEquals(1, server.listings.get()); // warm: no listing
    assertEquals(1, server.lookups.get()); // one exact lookup confirms archive 1's tip
  }

  @Test
  void indexEntryOfAMovedArchiveIsNotBelieved() throws IOException {
    long[] gen = {0x0a0000000001L, 0x0b0000000002L, 0x0c0000000003L};
    ObjectId current = commit(tree(gen), "Checkpoint: 0c0000000003\n");
    ObjectId reset = commit(tree(), "Start generation");
    ObjectId covering = commit(tree(gen), "Merge local");
    ArchiveIndex index = new ArchiveIndex(new ArchiveIndex.Budget(1000));
    index.put(RefNames.archive(1), covering, CheckpointSet.of(gen));
    // archive 1 now points elsewhere (a force-migration prune dropped the generation)
    Counting server =
        new Counting(
            Map.of(
                RefNames.archive(1),
                commit(tree(0x0a0000000001L, 0x1L, 0x2L), "Reset checkpoint")));
    Verdict v =
        policy()
            .evaluate(
                List.of(RefChange.update(RefNames.CURRENT, current, reset)), server, reader, index)
            .get(0);
    assertEquals(Verdict.Outcome.REJECT, v.outcome());
    assertEquals(Rule.CURRENT_LOSS, v.rule());
    assertTrue(v.message().contains("would lose 2 raw transcripts of 2 checkpoints"), v.message());
    assertFalse(index.has(RefNames.archive(1), covering)); // the stale entry is dropped
  }

  @Test
  void indexEntryOfAnArchiveThisPushDeletesIsNotBelieved() throws IOException {
    long[] gen = {0x0a0000000001L, 0x0b0000000002L, 0x0c0000000003L};
    ObjectId current = commit(tree(gen), "Checkpoint: 0c0000000003\n");
    ObjectId reset = commit(tree(), "Start generation");
    ObjectId covering = commit(tree(gen), "Merge local");
    ArchiveIndex index = new ArchiveIndex(new ArchiveIndex.Budget(1000));
    index.put(RefNames.archive(1), covering, CheckpointSet.of(gen));
    Counting server = new Counting(Map.of(RefNames.archive(1), covering));
    List<Verdict> v =
        policy()
            .evaluate(
                List.of(
                    RefChange.delete(RefNames.archive(1), covering),
                    RefChange.update(RefNames.CURRENT, current, reset)),
                server,
                reader,
                index);
    assertEquals(Verdict.Outcome.ACCEPT, v.get(0).outcome());
    assertEquals(Verdict.Outcome.REJECT, v.get(1).outcome());
  }

  @Test
  void ancestryWithoutContentCoversNothingWhereverTheArchiveRanks() throws IOException {
    long[] gen = {0x0a0000000001L, 0x0b0000000002L, 0x0c0000000003L};
    ObjectId current = commit(tree(gen), "Checkpoint: 0c0000000003\n");
    ObjectId reset = commit(tree(), "Start generation");
    for (int rank = 1; rank <= 9; rank++) {
      Map<String, ObjectId> archives = new TreeMap<>();
      for (int n = 1; n <= 12; n++) {
        // the archive at this rank (counted from the newest) descends from the current tip, but its
        // tree
        // holds other checkpoints: a reader, who reads tips only, would never find the generation
        // again
        ObjectId tip =
            13 - n == rank
                ? commit(tree(0x0d0000000004L), "Archive generation", current)
                : commit(tree(n * 16L, n * 16L + 1, n * 16L + 2), "Archive migrated generation");
        archives.put(RefNames.archive(n), tip);
      }
      for (ArchiveIndex index :
          List.of(ArchiveIndex.NONE, new ArchiveIndex(new ArchiveIndex.Budget(100)))) {
        Verdict v =
            policy()
                .evaluate(
                    List.of(RefChange.update(RefNames.CURRENT, current, reset)),
                    new Counting(archives),
                    reader,
                    index)
                .get(0);
        assertEquals(Rule.CURRENT_LOSS, v.rule(), "rank " + rank);
      }
    }
  }

  @Test
  void newestArchivesCoverAColdResetWithoutReadingTheOthers() throws IOException {
    long[] gen = {0x0a0000000001L, 0x0b0000000002L, 0x0c0000000003L};
    ObjectId current = commit(tree(gen), "Checkpoint: 0c0000000003\n");
    ObjectId reset = commit(tree(), "Start generation");
    Map<String, ObjectId> archives = new TreeMap<>();
    for (int n = 1; n <= 40; n++) {
      archives.put(RefNames.archive(n), commit(tree(n * 16L, n * 16L + 1, n * 16L + 2), "a" + n));
    }
    archives.put(RefNames.archive(41), commit(tree(gen), "Archive generation", current));
    ArchiveIndex index = new ArchiveIndex(new ArchiveIndex.Budget(1000));
    Verdict v =
        policy()
            .evaluate(
                List.of(RefChange.update(RefNames.CURRENT, current, reset)),
                new Counting(archives),
                reader,
                index)
            .get(0);
    assertEquals(Verdict.Outcome.ACCEPT, v.outcome());
    assertEquals(0, index.archives()); // no archive was read whole
  }

  @Test
  void randomPushesGetTheSameVerdictsWithAndWithoutTheIndex() throws IOException {
    SplittableRandom rnd = new SplittableRandom(7);
    long[] pool = new long[60];
    for (int i = 0; i < pool.length; i++) {
      pool[i] = 0x100000000000L * (1 + i % 15) + i;
    }
    int rejects = 0;
    int accepts = 0;
    for (int round = 0; round < 400; round++) {
      fresh();
      Scenario s = scenario(rnd, pool);
      ins.flush();
      List<Verdict> plain = s.evaluate(ArchiveIndex.NONE);
      ArchiveIndex warm = new ArchiveIndex(new ArchiveIndex.Budget(1_000_000));
      s.evaluate(warm);
      List<Verdict> warmed = s.evaluate(warm);
      List<Verdict> stale = s.evaluate(s.staleIndex);
      ArchiveIndex tiny = new ArchiveIndex(new ArchiveIndex.Budget(4));
      s.evaluate(tiny);
      List<Verdict> budgeted = s.evaluate(tiny);
      for (int i = 0; i < plain.size(); i++) {
        String where = "round " + round + ", command " + plain.get(i).change();
        assertEquals(summary(plain.get(i)), summary(warmed.get(i)), where);
        assertEquals(summary(plain.get(i)), summary(stale.get(i)), where);
        assertEquals(summary(plain.get(i)), summary(budgeted.get(i)), where);
      }
      Verdict cur = plain.get(plain.size() - 1);
      assertEquals(RefNames.CURRENT, cur.ref());
      assertEquals(s.oracle(plain), cur.accepted(), "round " + round + ": " + cur.message());
      if (cur.accepted()) {
        accepts++;
      } else {
        rejects++;
      }
    }
    assertTrue(accepts > 50 && rejects > 50, accepts + " accepted, " + rejects + " rejected");
  }

  private static String summary(Verdict v) {
    return v.outcome() + " " + v.rule() + " " + v.message();
  }

  /** A server state and one push: some archive commands, then a reset or prune of /full/current. */
  private final class Scenario {
    final Map<String, ObjectId> archives = new TreeMap<>();
    final List<RefChange> push = new ArrayList<>();
    final ArchiveIndex staleIndex = new ArchiveIndex(new ArchiveIndex.Budget(1_000_000));
    final Map<ObjectId, long[]> sets = new HashMap<>();
    ObjectId oldTip;

    List<Verdict> evaluate(ArchiveIndex index) {
      return policy().evaluate(push, new Counting(archives), reader, index);
    }

    /**
     * The rule written plainly: every checkpoint (one transcript each here) of the old tip that the
     * new tip lacks is in the tree of an archive after the push (archives of the push count when
     * their ref is where the command expects it, which it always is here).
     */
    boolean oracle(List<Verdict> verdicts) throws IOException {
      RefChange cur = push.get(push.size() - 1);
      Set<Long> lost = new HashSet<>();
      for (long id : sets.get(cur.oldId())) {
        lost.add(id);
      }
      for (long id : sets.get(cur.newId())) {
        lost.remove(id);
      }
      if (lost.isEmpty()) {
        return true;
      }
      Map<String, ObjectId> post = new TreeMap<>(archives);
      List<ObjectId> pushed = new ArrayList<>();
      for (Verdict v : verdicts) {
        if (RefNames.isArchive(v.ref()) && v.accepted()) {
          post.remove(v.ref());
          if (!v.change().isDelete()) {
            pushed.add(v.change().newId());
          }
        }
      }
      List<ObjectId> all = new ArrayList<>(pushed);
      all.addAll(post.values());
      for (ObjectId tip : all) {
        for (long id : sets.get(tip)) {
          lost.remove(id);
        }
      }
      return lost.isEmpty();
    }
  }

  private Scenario scenario(SplittableRandom rnd, long[] pool) throws IOException {
    Scenario s = new Scenario();
    long[] gen = pick(rnd, pool, 3 + rnd.nextInt(5));
    ObjectId start = commit(s, new long[0], "Start generation");
    ObjectId mid = commit(s, pick(rnd, gen, gen.length / 2), "Checkpoint: a\n", start);
    s.oldTip = commit(s, gen, "Checkpoint: b\n", mid);
    int n = rnd.nextInt(18);
    int number = 1;
    for (int i = 0; i < n; i++) {
      number += 1 + rnd.nextInt(3);
      long[] held =
          rnd.nextInt(4) == 0
              ? union(pick(rnd, gen, 1 + rnd.nextInt(gen.length)), pick(rnd, pool, 2))
              : pick(rnd, pool, 1 + rnd.nextInt(4));
      ObjectId tip;
      switch (rnd.nextInt(5)) {
        case 0:
          // covers by ancestry; by content only sometimes (a later prune may have dropped some)
          long[] kept = rnd.nextInt(3) == 0 ? gen : pick(rnd, gen, gen.length - 1);
          tip = commit(s, kept, "Archive generation", s.oldTip);
          tip = commit(s, union(held, kept), "Reset checkpoint before force migration", tip);
          break;
        case 1:
          tip = commit(s, held, "Archive generation", mid); // an older generation state
          break;
        default:
          tip = commit(s, held, "Archive migrated generation");
      }
      s.archives.put(RefNames.archive(number), tip);
      // a stale entry: the same ref at another tip, claiming the whole generation
      s.staleIndex.put(RefNames.archive(number), commit(s, gen, "stale"), CheckpointSet.of(gen));
    }
    List<String> existing = new ArrayList<>(s.archives.keySet());
    int commands = rnd.nextInt(4);
    for (int i = 0; i < commands; i++) {
      int kind = rnd.nextInt(3);
      if (kind == 0 || existing.isEmpty()) {
        long[] held =
            rnd.nextBoolean()
                ? union(pick(rnd, gen, 1 + rnd.nextInt(gen.length)), pick(rnd, pool, 1))
                : pick(rnd, pool, 1 + rnd.nextInt(5));
        ObjectId tip =
            rnd.nextBoolean()
                ? commit(s, held, "Archive generation", s.oldTip)
                : commit(s, held, "Archive migrated generation");
        number += 1 + rnd.nextInt(2);
        s.push.add(RefChange.create(RefNames.archive(number), tip));
      } else {
        String ref = existing.remove(rnd.nextInt(existing.size()));
        ObjectId old = s.archives.get(ref);
        if (kind == 1) {
          s.push.add(RefChange.delete(ref, old));
        } else {
          long[] held =
              rnd.nextBoolean() ? union(s.sets.get(old), pick(rnd, gen, 2)) : pick(rnd, pool, 2);
          s.push.add(RefChange.update(ref, old, commit(s, held, "Merge local checkpoints", old)));
        }
      }
    }
    ObjectId next =
        rnd.nextBoolean()
            ? commit(s, new long[0], "Start generation")
            : commit(
                s,
                pick(rnd, gen, rnd.nextInt(gen.length)),
                "Reset checkpoint before force migration",
                s.oldTip);
    s.push.add(RefChange.update(RefNames.CURRENT, s.oldTip, next));
    java.util.Collections.shuffle(s.push, new java.util.Random(rnd.nextLong()));
    // keep /full/current last so the test can find it; the policy orders commands itself
    s.push.sort(
        (a, b) ->
            Boolean.compare(a.ref().equals(RefNames.CURRENT), b.ref().equals(RefNames.CURRENT)));
    return s;
  }

  private CheckpointPolicy policy() {
    try {
      ins.flush(); // make what the test wrote readable
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return new CheckpointPolicy(
        GuardSettings.defaults()
            .withThreshold(THRESHOLD)
            .withMinArchiveAgeForDeletion(Duration.ZERO),
        CheckpointSetCache.lru(10_000));
  }

  private static long[] pick(SplittableRandom rnd, long[] from, int n) {
    List<Long> l = new ArrayList<>();
    for (long v : from) {
      l.add(v);
    }
    java.util.Collections.shuffle(l, new java.util.Random(rnd.nextLong()));
    return l.subList(0, Math.min(n, l.size())).stream()
        .mapToLong(Long::longValue)
        .sorted()
        .toArray();
  }

  private ObjectId commit(Scenario s, long[] ids, String message, ObjectId... parents)
      throws IOException {
    ObjectId c = commit(tree(ids), message, parents);
    s.sets.put(c, ids);
    return c;
  }

  /** Server refs that count how often the policy lists archives or looks one up. */
  private static final class Counting implements ServerRefs {
    final Map<String, ObjectId> archives;
    final AtomicInteger listings = new AtomicInteger();
    final AtomicInteger lookups = new AtomicInteger();

    Counting(Map<String, ObjectId> archives) {
      this.archives = archives;
    }

    @Override
    public Map<String, ObjectId> archives() {
      listings.incrementAndGet();
      return archives;
    }

    @Override
    public ObjectId exact(String ref) {
      lookups.incrementAndGet();
      return archives.get(ref);
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
