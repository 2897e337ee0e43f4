package dev.checkpointguard.core;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import java.io.IOException;
import java.util.List;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link CheckpointTrees} counts exactly what the client's {@code WalkCheckpointShards} counts
 * (spec §3.2).
 */
class CheckpointTreesTest {
  private final ClientRepo repo = ClientRepo.inMemory(ClientVersion.V0_6_2);

  @AfterEach
  void close() {
    repo.close();
  }

  private List<String> ids(FlatTree t) throws IOException {
    ObjectId tree = repo.insertTree(t);
    try (ObjectReader r = repo.repository().newObjectReader()) {
      return new CheckpointTrees(r, CheckpointSetCache.NONE).checkpoints(tree).toIds();
    }
  }

  private FlatTree tree(String... files) {
    FlatTree t = new FlatTree();
    ObjectId blob = repo.insertBlob("x");
    for (String f : files) {
      t.put(f, FileMode.REGULAR_FILE, blob);
    }
    return t;
  }

  @Test
  void countsCheckpointDirectoriesWhateverTheyHold() throws IOException {
    FlatTree t =
        tree(
            "01/23456789ab/0/raw_transcript",
            "01/23456789ab/1/raw_transcript_hash.txt",
            "01/23456789ac/metadata.json",
            "ef/0123456789/0/tasks/toolu_1/checkpoint.json"); // only tasks/: still counts
    assertEquals(List.of("0123456789ab", "0123456789ac", "ef0123456789"), ids(t));
  }

  @Test
  void skipsFilesGitlinksAndSymlinksAtTheCheckpointLevel() throws IOException {
    ObjectId blob = repo.insertBlob("x");
    FlatTree t = tree("01/23456789ab/0/raw_transcript");
    t.put("01/23456789ac", FileMode.REGULAR_FILE, blob);
    t.put("01/23456789ad", FileMode.EXECUTABLE_FILE, blob);
    t.put(
        "01/23456789ae",
        FileMode.GITLINK,
        ObjectId.fromString("1111111111111111111111111111111111111111"));
    t.put("01/23456789af", FileMode.SYMLINK, blob);
    assertEquals(List.of("0123456789ab"), ids(t));
  }

  @Test
  void skipsInvalidNames() throws IOException {
    FlatTree t =
        tree(
            "AB/cdef012345/x", // uppercase shard
            "ab/CDEF012345/x", // uppercase entry
            "ab/cdef01234g/x", // not hex
            "ab/cdef01234/x", // 11 characters in all
            "ab/cdef0123456/x", // 13 characters in all
            "a/bcdef012345b/x", // 1-character shard
            "abc/def012345/x", // 3-character shard
            "ab/cdef012345/x");
    assertEquals(List.of("abcdef012345"), ids(t));
  }

  @Test
  void skipsFilesAndLongDirectoriesAtTheRoot() throws IOException {
    FlatTree t =
        tree(
            "generation.json",
            "vercel.json",
            "ab", // a root file with a shard-like name
            "tasks/ab/cdef012345/x",
            "cd/ef01234567/0/raw_transcript");
    assertEquals(List.of("cdef01234567"), ids(t));
  }

  @Test
  void skipsAShardTreeThatCannotBeRead() throws IOException {
    FlatTree t = tree("cd/ef01234567/0/raw_transcript");
    t.put(
        "ab",
        FileMode.TREE,
        ObjectId.fromString("2222222222222222222222222222222222222222")); // missing
    t.put("ef", FileMode.TREE, repo.insertBlob("not a tree")); // wrong type
    assertEquals(List.of("cdef01234567"), ids(t));
  }

  @Test
  void readsTheEmptyTreeWithoutTheObject() throws IOException {
    try (ObjectReader r = repo.repository().newObjectReader()) {
      assertEquals(
          0, new CheckpointTrees(r, CheckpointSetCache.NONE).count(CheckpointTrees.EMPTY_TREE));
    }
  }

  @Test
  void removedListsCheckpointsThatLeftTheTree() throws IOException {
    ObjectId blob = repo.insertBlob("x");
    ObjectId before =
        repo.insertTree(
            tree(
                "01/23456789ab/0/a",
                "01/23456789ac/0/a",
                "02/0000000000/0/a",
                "03/0000000000/0/a"));
    FlatTree after =
        tree("01/23456789ab/0/a", "01/23456789ad/0/a", "03/0000000000/0/a", "04/0000000000/0/a");
    after.put("02", FileMode.REGULAR_FILE, blob); // shard replaced by a file
    try (ObjectReader r = repo.repository().newObjectReader()) {
      CheckpointTrees trees = new CheckpointTrees(r, CheckpointSetCache.NONE);
      assertEquals(
          List.of("0123456789ac", "020000000000"),
          trees.removed(before, repo.insertTree(after)).toIds());
      assertEquals(List.of(), trees.removed(before, before).toIds());
    }
  }

  @Test
  void countsAClientGenerationAsTheClientDoes() throws IOException {
    repo.checkpoints(99);
    repo.addSession(repo.checkpoint() /* the 100th rotates */);
    try (ObjectReader r = repo.repository().newObjectReader()) {
      CheckpointTrees trees = new CheckpointTrees(r, CheckpointSetCache.NONE);
      ObjectId archive = repo.commit(repo.ref(RefNames.archive(1))).getTree();
      assertEquals(100, trees.count(archive));
      assertEquals(1, trees.count(repo.commit(repo.ref(RefNames.CURRENT)).getTree()));
    }
  }

  /**
   * A 2-byte shard name that is one character once decoded ({@code é} is {@code c3 a9}) is followed
   * as a shard, as Go does, and holds no valid ID: it adds nothing and breaks nothing (spec §3.2).
   */
  @Test
  void aTwoByteNonAsciiShardHoldsNoCheckpoints() throws IOException {
    FlatTree t =
        tree("\u00e9/0123456789/x", "\u00e9\u00e9/0123456789/x", "cd/ef01234567/0/raw_transcript");
    assertEquals(List.of("cdef01234567"), ids(t));
    ObjectId before = repo.insertTree(t);
    ObjectId after = repo.insertTree(tree("\u00e9/0123456789/y"));
    try (ObjectReader r = repo.repository().newObjectReader()) {
      CheckpointTrees trees = new CheckpointTrees(r, CheckpointSetCache.NONE);
      assertEquals(1, trees.count(before));
      assertEquals(
          List.of(CheckpointIds.parse("cdef01234567")),
          List.copyOf(trees.directories(before).keySet()));
      assertEquals(List.of("cdef01234567"), trees.removed(before, after).toIds());
    }
  }

  @Test
  void setsAreBoundedByTheCap() throws IOException {
    ObjectId dir = repo.insertTree(tree("f"));
    FlatTree t = new FlatTree();
    for (int i = 0; i < 200_000; i++) {
      t.put(String.format(java.util.Locale.ROOT, "ab/%010x", i), FileMode.TREE, dir);
    }
    t.put("ab/0000000000", FileMode.TREE, dir); // the same name again: counted once
    ObjectId wide = repo.insertTree(t);
    try (ObjectReader r = repo.repository().newObjectReader()) {
      CheckpointTrees bounded = new CheckpointTrees(r, CheckpointSetCache.NONE, 1000);
      CheckpointTrees.TooManyCheckpointsException e =
          assertThrows(
              CheckpointTrees.TooManyCheckpointsException.class, () -> bounded.checkpoints(wide));
      assertEquals("tree " + wide.name() + " holds more than 1000 checkpoints", e.getMessage());
      assertThrows(
          CheckpointTrees.TooManyCheckpointsException.class,
          () -> bounded.removed(wide, CheckpointTrees.EMPTY_TREE));
      assertThrows(
          CheckpointTrees.TooManyCheckpointsException.class, () -> bounded.directories(wide));
      CheckpointTrees trees = new CheckpointTrees(r, CheckpointSetCache.NONE);
      assertEquals(200_000, trees.count(wide));
      assertEquals(
          7,
          trees.count(
              repo.insertTree(
                  tree(
                      "ab/0000000000/x",
                      "ab/0000000001/x",
                      "ab/0000000002/x",
                      "ab/0000000003/x",
                      "ab/0000000004/x",
                      "ab/0000000005/x",
                      "ab/0000000006/x"))));
    }
  }
}
