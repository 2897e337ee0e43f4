package dev.checkpointguard.jgit;

import java.io.File;
import java.nio.file.Files;
import java.util.List;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectInserter;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;
import org.eclipse.jgit.transport.ReceiveCommand;
import org.eclipse.jgit.transport.ReceivePack;

/**
 * What a JGit server does with the library jar (README, "Using the hook in your own JGit server"),
 * run by {@link LibraryJarIT} in a JVM whose class path is the library jar, its documented
 * dependencies and this class: the hook judges a command of a {@link ReceivePack}. Prints the
 * command's result and message.
 */
public final class LibraryUse {
  private LibraryUse() {}

  public static void main(String[] args) throws Exception {
    File dir = Files.createTempDirectory("library-use").toFile();
    try (Repository repo =
        new FileRepositoryBuilder().setGitDir(new File(dir, "r.git")).setBare().build()) {
      repo.create(true);
      ObjectId commit;
      try (ObjectInserter ins = repo.newObjectInserter()) {
        org.eclipse.jgit.lib.CommitBuilder c = new org.eclipse.jgit.lib.CommitBuilder();
        c.setTreeId(ins.insert(Constants.OBJ_TREE, new byte[0]));
        org.eclipse.jgit.lib.PersonIdent who = new org.eclipse.jgit.lib.PersonIdent("a", "a@b");
        c.setAuthor(who);
        c.setCommitter(who);
        c.setMessage("Initialize v2 ref\n");
        commit = ins.insert(c);
        ins.flush();
      }
      ReceivePack rp = new ReceivePack(repo);
      ReceiveCommand cmd =
          new ReceiveCommand(ObjectId.zeroId(), commit, "refs/entire/checkpoints/v2/full/abc");
      new CheckpointGuardHook().onPreReceive(rp, List.of(cmd));
      System.out.println(cmd.getResult() + " " + cmd.getMessage());
    } finally {
      org.eclipse.jgit.util.FileUtils.delete(dir, org.eclipse.jgit.util.FileUtils.RECURSIVE);
    }
  }
}
