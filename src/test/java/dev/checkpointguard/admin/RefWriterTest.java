package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
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
      assertTrue(RefWriter.compareAndSet(repo, ref, zero, a, "create"));
      assertFalse(RefWriter.compareAndSet(repo, ref, zero, b, "must not exist"));
      assertFalse(RefWriter.compareAndSet(repo, ref, b, a, "wrong old value"));
      assertEquals(a, RefWriter.read(repo, ref));
      assertTrue(RefWriter.compareAndSet(repo, ref, a, b, "update"));
      assertFalse(RefWriter.compareAndSet(repo, ref, a, zero, "stale delete"));
      assertTrue(RefWriter.compareAndSet(repo, ref, b, zero, "delete"));
      assertEquals(zero, RefWriter.read(repo, ref));
    }
  }
}
