package dev.checkpointguard.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.fixtures.OpenSsh;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.PublicKey;
import java.util.List;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The authorized_keys file: what is accepted, what makes it invalid, how it is read again. */
class AuthorizedKeysTest {
  @TempDir static Path keysDir;
  static OpenSsh.Key ed25519;
  static OpenSsh.Key rsa;
  static OpenSsh.Key ecdsa;

  @TempDir Path tmp;

  @BeforeAll
  static void keys() {
    ed25519 = OpenSsh.keygen(keysDir, "ed", "alice@laptop");
    rsa = OpenSsh.keygen(keysDir, "rsa", "Bob Smith's key", "rsa");
    ecdsa = OpenSsh.keygen(keysDir, "ec", "carol", "ecdsa");
  }

  static PublicKey key(OpenSsh.Key k) throws Exception {
    return AuthorizedKeyEntry.parseAuthorizedKeyEntry(k.publicLine())
        .resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
  }

  Path write(String... lines) throws IOException {
    Path f = tmp.resolve("authorized_keys");
    Path next = Files.createTempFile(tmp, "keys", ".tmp");
    Files.writeString(next, String.join("\n", lines) + "\n");
    Files.move(next, f, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return f;
  }

  @Test
  void everyKeyTypeOpenSshMakesWithItsNameFromThePlainComment() throws Exception {
    AuthorizedKeys keys =
        AuthorizedKeys.load(
            write(
                "# admins", "", ed25519.publicLine(), "  " + rsa.publicLine(), ecdsa.publicLine()));
    assertEquals(3, keys.keys().size());
    assertEquals("alice@laptop", keys.find(key(ed25519)).name());
    // a comment with spaces is no name: the fingerprint stands for it
    AuthorizedKeys.Key bob = keys.find(key(rsa));
    assertTrue(bob.fingerprint().startsWith("SHA256:"), bob.fingerprint());
    assertEquals(bob.fingerprint(), bob.name());
    assertEquals(4, bob.line());
    assertEquals("carol", keys.find(key(ecdsa)).name());
    assertNull(keys.problem());
  }

  @Test
  void optionsThatOnlyTakeRightsAwayAreAccepted() throws Exception {
    AuthorizedKeys keys =
        AuthorizedKeys.load(
            write(
                "restrict,no-port-forwarding,no-agent-forwarding,no-X11-forwarding,no-pty,"
                    + "no-user-rc "
                    + ed25519.publicLine()));
    assertNotNull(keys.find(key(ed25519)));
  }

  @Test
  void invalidFilesNameTheLineAndWhatIsWrongButNotTheContent() throws Exception {
    String body = ed25519.publicLine().split(" ")[1];
    List<String[]> cases =
        List.of(
            new String[] {
              "from=\"10.0.0.0/8\" " + ed25519.publicLine(),
              "line 1: option 'from' is not supported"
            },
            new String[] {
              "command=\"gitea serv key-1\",no-pty " + ed25519.publicLine(),
              "line 1: option 'command' is not supported"
            },
            new String[] {
              "expiry-time=\"20300101\" " + ed25519.publicLine(),
              "option 'expiry-time' is not supported"
            },
            new String[] {
              "cert-authority " + ed25519.publicLine(), "option 'cert-authority' is not supported"
            },
            new String[] {"ssh-ed25519 " + body.substring(0, 20), "line 1: "},
            new String[] {"hello world", "line 1: not an OpenSSH public key line"});
    for (String[] c : cases) {
      IllegalArgumentException e =
          assertThrows(
              IllegalArgumentException.class, () -> AuthorizedKeys.load(write(c[0])), c[0]);
      assertTrue(e.getMessage().contains(c[1]), e.getMessage());
      assertTrue(
          e.getMessage().startsWith(tmp.resolve("authorized_keys").toString()), e.getMessage());
      assertTrue(
          !e.getMessage().contains(body.substring(0, 20)), "no key data in: " + e.getMessage());
    }
    IllegalArgumentException twice =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                AuthorizedKeys.load(
                    write(
                        ed25519.publicLine(),
                        "#",
                        ed25519.publicLine().replace("alice@laptop", "x"))));
    assertTrue(
        twice
            .getMessage()
            .endsWith(
                "line 3: the key "
                    + AuthorizedKeys.load(write(ed25519.publicLine())).keys().get(0).fingerprint()
                    + " is already on line 1"),
        twice.getMessage());
  }

  @Test
  void aChangedFileIsReadAgainAndAnInvalidOneLetsNobodyIn() throws Exception {
    Path f = write(ed25519.publicLine());
    AuthorizedKeys keys = AuthorizedKeys.load(f);
    assertNull(keys.find(key(rsa)));

    write(ed25519.publicLine(), rsa.publicLine());
    assertNotNull(keys.find(key(rsa)));

    write(ed25519.publicLine(), "garbage", rsa.publicLine());
    assertNull(keys.find(key(ed25519)), "fail closed");
    assertNull(keys.find(key(rsa)), "fail closed");
    assertTrue(
        keys.problem()
            .endsWith(
                "line 2: not an OpenSSH public key line ([options] type base64-key [comment])"),
        keys.problem());
    assertEquals(List.of(), keys.keys());

    Files.delete(f);
    assertNull(keys.find(key(ed25519)));
    assertEquals(f + " does not exist", keys.problem());

    write(rsa.publicLine());
    assertNull(keys.find(key(ed25519)), "revoked");
    assertNotNull(keys.find(key(rsa)));
    assertNull(keys.problem());
  }

  @Test
  void anInPlaceEditOfTheSameSizeIsNoticed() throws Exception {
    Path f = tmp.resolve("authorized_keys");
    Files.writeString(f, ed25519.publicLine().replace("alice@laptop", "aaaaa") + "\n");
    AuthorizedKeys keys = AuthorizedKeys.load(f);
    assertEquals("aaaaa", keys.find(key(ed25519)).name());
    // same size, same inode; the modification time is all that changes
    Files.writeString(f, ed25519.publicLine().replace("alice@laptop", "bbbbb") + "\n");
    Files.setLastModifiedTime(
        f,
        java.nio.file.attribute.FileTime.fromMillis(Files.getLastModifiedTime(f).toMillis() + 1));
    assertEquals("bbbbb", keys.find(key(ed25519)).name());
  }
}
