package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.checkpointguard.server.SshCommandLine.Service;
import java.nio.file.Files;
import java.nio.file.Path;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The exec requests git sends over SSH, and what a hostile client could send instead. */
class SshCommandLineTest {
  @Test
  void gitsOwnQuotingIsRead() {
    assertEquals(
        new SshCommandLine(Service.RECEIVE_PACK, "/x.git"),
        SshCommandLine.parse("git-receive-pack '/x.git'"));
    assertEquals(
        new SshCommandLine(Service.UPLOAD_PACK, "x.git"),
        SshCommandLine.parse("git-upload-pack 'x.git'"));
    assertEquals(
        new SshCommandLine(Service.UPLOAD_PACK, "/x.git"),
        SshCommandLine.parse("git upload-pack '/x.git'"));
    assertEquals(
        new SshCommandLine(Service.RECEIVE_PACK, "/x.git"),
        SshCommandLine.parse("git receive-pack /x.git"));
    // sq_quote writes ' as '\'' and ! as '\!'
    assertEquals("/it's!.git", SshCommandLine.parse("git-upload-pack '/it'\\''s'\\!'.git'").path());
    assertEquals("x.git", SshCommandLine.parse("git-upload-pack '/x.git'").repositoryName());
    assertEquals("x.git", SshCommandLine.parse("git-upload-pack 'x.git'").repositoryName());
    assertEquals("/x.git", SshCommandLine.parse("git-upload-pack '//x.git'").repositoryName());
  }

  @Test
  void otherCommandsAreNotGit() {
    for (String line :
        new String[] {
          "ls",
          "git-upload-pack",
          "git-upload-pack",
          "git-upload-archive '/x.git'",
          "git-upload-pack\t'/x.git'",
          " git-upload-pack '/x.git'",
          "sh -c 'git-upload-pack /x.git'",
          "git-receive-packx '/x.git'",
          "scp -t /x.git",
          "git-upload-pack '" + "a".repeat(5000) + "'"
        }) {
      assertNull(SshCommandLine.parse(line), line);
    }
    assertNull(SshCommandLine.parse(null));
  }

  @Test
  void anArgumentThatIsNotOneSafeWordHasNoPath() {
    for (String arg :
        new String[] {
          "\"/x.git\"",
          "'/x.git",
          "/x.git;id",
          "'/x.git' '/y.git'",
          "$(id)",
          "`id`",
          "/x.git\\",
          "'/x.git'&",
          "/x.git|id",
          "~/x.git",
          "",
          "''",
          "/x git"
        }) {
      SshCommandLine c = SshCommandLine.parse("git-receive-pack " + arg);
      assertEquals(Service.RECEIVE_PACK, c.service(), arg);
      assertNull(c.path(), arg);
      assertNull(c.repositoryName(), arg);
    }
  }

  @Test
  void decodedNamesAreJudgedByTheResolverAsOverHttp(@TempDir Path tmp) throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("repos"));
    ServerTestSupport.bareRepo(repos.resolve("x.git"));
    ServerTestSupport.bareRepo(tmp.resolve("outside.git"));
    ReposResolver resolver = new ReposResolver(repos);
    assertEquals(
        repos.toRealPath().resolve("x.git"),
        resolver.resolve(SshCommandLine.parse("git-upload-pack '/x.git'").repositoryName()));
    for (String arg :
        new String[] {
          "'/../outside.git'",
          "'../outside.git'",
          "'" + tmp.resolve("outside.git") + "'",
          "'~/x.git'",
          "'/x.git/'",
          "'/./x.git'",
          "'/x.git'\\'' x'",
          "'/x.git\n'",
          "'//x.git'"
        }) {
      String name = SshCommandLine.parse("git-upload-pack " + arg).repositoryName();
      assertThrows(RepositoryNotFoundException.class, () -> resolver.resolve(name), arg);
    }
  }
}
