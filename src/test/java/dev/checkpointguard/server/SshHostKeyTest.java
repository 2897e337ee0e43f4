package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.OpenSsh;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The host key: generated once and kept, or the administrator's own, checked like OpenSSH's sshd
 * does.
 */
class SshHostKeyTest {
  @TempDir Path tmp;

  @Test
  void generatedOnceThenReadBackUnchanged() throws Exception {
    Path file = tmp.resolve("keys").resolve("host_key");
    SshHostKey first = SshHostKey.loadOrGenerate(file).key();
    assertTrue(first.generated());
    assertEquals("ssh-ed25519", first.type());
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(
        first.publicKey() + " checkpoint-guard host key\n",
        Files.readString(tmp.resolve("keys/host_key.pub")));
    SshHostKey again = SshHostKey.loadOrGenerate(file).key();
    assertFalse(again.generated());
    assertEquals(first.fingerprint(), again.fingerprint());
    assertEquals(first.publicKey(), again.publicKey());
    // OpenSSH reads the generated file as a valid private key with the same public half
    GitCli.Result y =
        new GitCli(tmp.resolve("home"))
            .exec(tmp, null, List.of("ssh-keygen", "-y", "-f", file.toString()));
    assertTrue(y.ok(), y.toString());
    assertTrue(y.stdout().startsWith(first.publicKey()), y.stdout());
    assertEquals(
        List.of("host_key", "host_key.pub"),
        Files.list(tmp.resolve("keys")).map(p -> p.getFileName().toString()).sorted().toList(),
        "no temporary files left");
  }

  @Test
  void anAdministratorsKeyOfAnotherTypeIsUsedAsItIs() throws Exception {
    OpenSsh.Key rsa = OpenSsh.keygen(tmp, "rsa_host", "host", "rsa");
    SshHostKey k = SshHostKey.loadOrGenerate(rsa.privateKey()).key();
    assertFalse(k.generated());
    assertEquals("ssh-rsa", k.type());
    assertTrue(rsa.publicLine().startsWith(k.publicKey() + " "), rsa.publicLine());
    assertEquals("[127.0.0.1]:2222 " + k.publicKey(), k.knownHostsLine("127.0.0.1", 2222));
  }

  @Test
  void aKeyOthersCanReadAnEncryptedKeyAndGarbageAreRefusedWithWhatToDo() throws Exception {
    OpenSsh.Key open = OpenSsh.keygen(tmp, "open", "host");
    Files.setPosixFilePermissions(open.privateKey(), PosixFilePermissions.fromString("rw-r--r--"));
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class, () -> SshHostKey.loadOrGenerate(open.privateKey()));
    assertEquals(
        "SSH host key "
            + open.privateKey()
            + " can be read or written by others than its owner; make it "
            + "private: chmod 600 '"
            + open.privateKey()
            + "'",
        e.getMessage());

    Path encrypted = tmp.resolve("encrypted");
    Process p =
        new ProcessBuilder(
                "ssh-keygen",
                "-q",
                "-t",
                "ed25519",
                "-N",
                "secret phrase",
                "-f",
                encrypted.toString())
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertEquals(0, p.waitFor());
    e = assertThrows(IllegalArgumentException.class, () -> SshHostKey.loadOrGenerate(encrypted));
    assertTrue(e.getMessage().contains("is not an unencrypted private key"), e.getMessage());

    Path garbage = Files.writeString(tmp.resolve("garbage"), "not a key\n");
    Files.setPosixFilePermissions(garbage, PosixFilePermissions.fromString("rw-------"));
    e = assertThrows(IllegalArgumentException.class, () -> SshHostKey.loadOrGenerate(garbage));
    assertTrue(e.getMessage().startsWith("SSH host key " + garbage), e.getMessage());
  }
}
