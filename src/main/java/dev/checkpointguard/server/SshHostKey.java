package dev.checkpointguard.server;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Iterator;
import java.util.Set;
import org.apache.sshd.common.NamedResource;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.apache.sshd.common.config.keys.writer.openssh.OpenSSHKeyPairResourceWriter;
import org.apache.sshd.common.keyprovider.KeyPairProvider;
import org.apache.sshd.common.util.security.SecurityUtils;

/**
 * The SSH server's host key: read from its file, or generated once (Ed25519) into that file and
 * kept, so that clients' {@code known_hosts} entries stay valid across restarts. A generated key is
 * written in OpenSSH's format with mode 600, next to its public half ({@code FILE.pub}, one line as
 * in {@code known_hosts} without the host). An existing key may be any type {@code ssh-keygen}
 * makes, unencrypted, and must not be readable by group or others (OpenSSH's sshd refuses such a
 * key too).
 *
 * @param file the private key file
 * @param type the key type, e.g. {@code ssh-ed25519}
 * @param fingerprint {@code SHA256:…}, as {@code ssh-keygen -lf FILE} and the ssh client print it
 * @param publicKey the public key as one OpenSSH line ({@code ssh-ed25519 AAAA…})
 * @param generated true when this start generated the key
 */
public record SshHostKey(
    Path file, String type, String fingerprint, String publicKey, boolean generated) {
  /**
   * The default host key file name, inside the repositories folder (a dot name is never a
   * repository).
   */
  public static final String DEFAULT_FILE = ".ssh_host_ed25519_key";

  private static final String COMMENT = "checkpoint-guard host key";

  /** A loaded host key: its description and the pair the server signs with. */
  record Loaded(SshHostKey key, KeyPair pair) {}

  /**
   * Reads the host key from {@code file}, generating it first when the file does not exist.
   *
   * @throws IllegalArgumentException if the file is not a usable private key (encrypted, unreadable
   *     format, readable by others), saying what to do
   * @throws IOException if it cannot be read or written
   */
  static Loaded loadOrGenerate(Path file) throws IOException {
    boolean generated = false;
    if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
      generated = generate(file);
    }
    KeyPair pair = read(file);
    String line = PublicKeyEntry.toString(pair.getPublic());
    return new Loaded(
        new SshHostKey(
            file,
            KeyUtils.getKeyType(pair.getPublic()),
            KeyUtils.getFingerPrint(pair.getPublic()),
            line,
            generated),
        pair);
  }

  private static KeyPair read(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new IllegalArgumentException("SSH host key " + file + " is not a file");
    }
    PosixFileAttributeView posix = Files.getFileAttributeView(file, PosixFileAttributeView.class);
    if (posix != null) {
      Set<PosixFilePermission> p = posix.readAttributes().permissions();
      for (PosixFilePermission bad :
          Set.of(
              PosixFilePermission.GROUP_READ,
              PosixFilePermission.GROUP_WRITE,
              PosixFilePermission.OTHERS_READ,
              PosixFilePermission.OTHERS_WRITE)) {
        if (p.contains(bad)) {
          throw new IllegalArgumentException(
              "SSH host key "
                  + file
                  + " can be read or written by others than its "
                  + "owner; make it private: chmod 600 '"
                  + file
                  + "'");
        }
      }
    }
    Iterable<KeyPair> pairs;
    try (InputStream in = Files.newInputStream(file)) {
      pairs =
          SecurityUtils.loadKeyPairIdentities(
              null, NamedResource.ofName(file.toString()), in, null);
    } catch (GeneralSecurityException | RuntimeException e) {
      // an encrypted key asks for a password provider that is not there: also a runtime failure
      throw new IllegalArgumentException(
          "SSH host key "
              + file
              + " is not an unencrypted private key that serve "
              + "can read (make one with: ssh-keygen -t ed25519 -N '' -f FILE)");
    }
    Iterator<KeyPair> it = pairs == null ? null : pairs.iterator();
    if (it == null || !it.hasNext()) {
      throw new IllegalArgumentException("SSH host key " + file + " holds no private key");
    }
    return it.next();
  }

  /**
   * Generates an Ed25519 key into {@code file} (mode 600) without ever replacing one: when another
   * process made the file meanwhile, that key is kept and this one dropped.
   *
   * @return true when this call made the file
   */
  private static boolean generate(Path file) throws IOException {
    KeyPair pair;
    try {
      pair = KeyUtils.generateKeyPair(KeyPairProvider.SSH_ED25519, 256);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot generate an Ed25519 SSH host key: " + e.getMessage(), e);
    }
    ByteArrayOutputStream privateKey = new ByteArrayOutputStream();
    ByteArrayOutputStream publicKey = new ByteArrayOutputStream();
    try {
      OpenSSHKeyPairResourceWriter.INSTANCE.writePrivateKey(pair, COMMENT, null, privateKey);
      OpenSSHKeyPairResourceWriter.INSTANCE.writePublicKey(pair.getPublic(), COMMENT, publicKey);
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot encode the SSH host key: " + e.getMessage(), e);
    }
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path tmp = privateTempFile(dir, file.getFileName() + ".");
    try {
      Files.write(tmp, privateKey.toByteArray());
      try {
        // a hard link never replaces an existing file: the first process to get here wins
        Files.createLink(file, tmp);
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException | IOException e) {
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
          return false;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
    Path pub = file.resolveSibling(file.getFileName() + ".pub");
    Path pubTmp = Files.createTempFile(dir, file.getFileName() + ".pub.", ".tmp");
    try {
      Files.writeString(pubTmp, publicKey.toString(StandardCharsets.UTF_8).strip() + "\n");
      if (Files.getFileAttributeView(pubTmp, PosixFileAttributeView.class) != null) {
        Files.setPosixFilePermissions(pubTmp, PosixFilePermissions.fromString("rw-r--r--"));
      }
      Files.move(pubTmp, pub, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(pubTmp);
    }
    return true;
  }

  private static Path privateTempFile(Path dir, String prefix) throws IOException {
    if (Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class)) {
      return Files.createTempFile(
          dir,
          prefix,
          ".tmp",
          PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    }
    return Files.createTempFile(dir, prefix, ".tmp");
  }

  /**
   * The known_hosts line for this key at {@code host} and {@code port} ({@code [host]:port key}).
   */
  public String knownHostsLine(String host, int port) {
    return (port == 22 ? host : "[" + host + "]:" + port) + " " + publicKey;
  }
}
