package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.List;
import org.eclipse.jgit.internal.storage.file.FileRepository;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RefWriterTest {
  @TempDir Path tmp;

  @Test
  void everyWriteIsCompareAndSet() throws Exception {
    try (FileRepository repo = new FileRepository(tmp.resolve("r.git").toFile())) {
      repo.create(true);
      ObjectId a;
      ObjectId b;
      try (ObjectInserter ins = repo.newObjectInserter()) {
        a = ins.insert(Constants.OBJ_BLOB, new byte[] {'a'});
        b = ins.insert(Constants.OBJ_BLOB, new byte[] {'b'});
        ins.flush();
      }
      String ref = "refs/checkpoint-guard/test";
      ObjectId zero = ObjectId.zeroId();
      assertEquals(RefWriter.Result.DONE, RefWriter.compareAndSet(repo, ref, zero, a, "create"));
      assertEquals(
          RefWriter.Result.MOVED, RefWriter.compareAndSet(repo, ref, zero, b, "must not exist"));
      assertEquals(
          RefWriter.Result.MOVED, RefWriter.compareAndSet(repo, ref, b, a, "wrong old value"));
      assertEquals(a, RefWriter.read(repo, ref));
      assertEquals(RefWriter.Result.DONE, RefWriter.compareAndSet(repo, ref, a, b, "update"));
      assertEquals(
          RefWriter.Result.MOVED, RefWriter.compareAndSet(repo, ref, a, zero, "stale delete"));
      assertEquals(RefWriter.Result.DONE, RefWriter.compareAndSet(repo, ref, b, zero, "delete"));
      assertEquals(zero, RefWriter.read(repo, ref));
    }
  }

  /**
   * A stale expected value anywhere in a multi-ref batch changes nothing; verify-only commands too.
   */
  @Test
  void aMultiRefBatchIsAllOrNothing() throws Exception {
    try (FileRepository repo = new FileRepository(tmp.resolve("m.git").toFile())) {
      repo.create(true);
      ObjectId a;
      ObjectId b;
      try (ObjectInserter ins = repo.newObjectInserter()) {
        a = ins.insert(Constants.OBJ_BLOB, new byte[] {'a'});
        b = ins.insert(Constants.OBJ_BLOB, new byte[] {'b'});
        ins.flush();
      }
      ObjectId zero = ObjectId.zeroId();
      String x = "refs/checkpoint-guard/x";
      String y = "refs/checkpoint-guard/y";
      String z = "refs/checkpoint-guard/z";
      assertTrue(repo.getRefDatabase().performsAtomicTransactions());
      assertEquals(
          RefWriter.Result.DONE,
          RefWriter.compareAndSetAll(
              repo, List.of(update(x, zero, a), update(y, zero, a)), "create"));
      java.util.Map<String, ObjectId> before = refs(repo);

      // stale: y holds a, not b; x's update and z's create must not happen
      assertEquals(
          RefWriter.Result.MOVED,
          RefWriter.compareAndSetAll(
              repo, List.of(update(x, a, b), update(y, b, zero), update(z, zero, b)), "stale"));
      assertEquals(before, refs(repo));
      // a verify-only command (old = new) with a stale value fails the batch as well
      assertEquals(
          RefWriter.Result.MOVED,
          RefWriter.compareAndSetAll(repo, List.of(update(y, b, b), update(x, a, zero)), "verify"));
      assertEquals(before, refs(repo));
      // a must-not-exist create of an existing ref fails it too
      assertEquals(
          RefWriter.Result.MOVED,
          RefWriter.compareAndSetAll(repo, List.of(update(x, a, b), update(y, zero, b)), "exists"));
      assertEquals(before, refs(repo));
      // all expected values hold: all change, verify-only refs stay as they are
      assertEquals(
          RefWriter.Result.DONE,
          RefWriter.compareAndSetAll(
              repo, List.of(update(y, a, a), update(x, a, zero), update(z, zero, b)), "ok"));
      assertEquals(java.util.Map.of(y, a, z, b), refs(repo));
    }
  }

  /**
   * Issue 9, defect 6: a write the ref database refuses for another reason than a concurrent change
   * is an error, never reported as "moved": here the new value is an object the repository does not
   * have.
   */
  @Test
  void aRefusedWriteIsAnErrorNotAMove() throws Exception {
    try (FileRepository repo = new FileRepository(tmp.resolve("e.git").toFile())) {
      repo.create(true);
      ObjectId a;
      try (ObjectInserter ins = repo.newObjectInserter()) {
        a = ins.insert(Constants.OBJ_BLOB, new byte[] {'a'});
        ins.flush();
      }
      ObjectId missing = ObjectId.fromString("0123456789012345678901234567890123456789");
      ObjectId zero = ObjectId.zeroId();
      String x = "refs/checkpoint-guard/x";
      String y = "refs/checkpoint-guard/y";
      RefWriter.WriteFailedException one =
          assertThrows(
              RefWriter.WriteFailedException.class,
              () -> RefWriter.compareAndSet(repo, x, zero, missing, "missing"));
      assertEquals(
          "cannot set refs/checkpoint-guard/x: the new object is missing", one.getMessage());
      RefWriter.WriteFailedException batch =
          assertThrows(
              RefWriter.WriteFailedException.class,
              () ->
                  RefWriter.compareAndSetAll(
                      repo, List.of(update(x, zero, a), update(y, zero, missing)), "b"));
      assertTrue(
          batch
              .getMessage()
              .startsWith("cannot set refs/checkpoint-guard/y: the new object is missing"),
          batch.getMessage());
      assertEquals(java.util.Map.of(), refs(repo), "nothing changed");
    }
  }

  /**
   * repair and restore fsync what they write; the switch lives in memory, the config file is
   * untouched.
   */
  @Test
  void durableTurnsOnFsyncForThisRunOnly() throws Exception {
    java.io.File dir = tmp.resolve("d.git").toFile();
    try (FileRepository repo = new FileRepository(dir)) {
      repo.create(true);
    }
    byte[] config = java.nio.file.Files.readAllBytes(dir.toPath().resolve("config"));
    try (FileRepository repo = new FileRepository(dir)) {
      assertFalse(repo.getConfig().getBoolean("core", "fsyncObjectFiles", false));
      Repair.durable(repo);
      assertTrue(repo.getConfig().getBoolean("core", "fsyncObjectFiles", false));
      assertTrue(repo.getConfig().getBoolean("core", "fsyncRefFiles", false));
    }
    org.junit.jupiter.api.Assertions.assertArrayEquals(
        config, java.nio.file.Files.readAllBytes(dir.toPath().resolve("config")));
    try (FileRepository repo = new FileRepository(dir)) {
      assertFalse(repo.getConfig().getBoolean("core", "fsyncRefFiles", false));
    }
  }

  private static RepairPlan.Update update(String ref, ObjectId expected, ObjectId next) {
    return new RepairPlan.Update(ref, expected, next, "test");
  }

  private static java.util.Map<String, ObjectId> refs(FileRepository repo) throws Exception {
    java.util.Map<String, ObjectId> m = new java.util.TreeMap<>();
    for (var r : repo.getRefDatabase().getRefsByPrefix("refs/checkpoint-guard/")) {
      m.put(r.getName(), r.getObjectId());
    }
    return m;
  }
}
