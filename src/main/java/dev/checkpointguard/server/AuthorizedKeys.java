package dev.checkpointguard.server;

import dev.checkpointguard.core.Messages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.GeneralSecurityException;
import java.security.PublicKey;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.apache.sshd.common.config.keys.AuthorizedKeyEntry;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.apache.sshd.common.config.keys.OpenSshCertificate;
import org.apache.sshd.common.config.keys.PublicKeyEntryResolver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SSH keys that may fetch and push: an OpenSSH {@code authorized_keys} file, one public key per
 * line ({@code ssh-ed25519 AAAA… alice@laptop}), blank lines and lines starting with {@code #}
 * ignored. The file is read again when its size, modification time or identity (a replacing rename)
 * changes, so keys can be added or revoked without a restart.
 *
 * <p>Fails closed, like the users file ({@link Users}): when a changed file is invalid (a line that
 * is no key, an option serve would not enforce, a key listed twice, unreadable, gone), no key logs
 * in until it is valid again, and the reason is logged once per change. Keeping the last good list
 * would let a key revoked in the same edit go on pushing.
 *
 * <p>Options: serve grants nothing but git's two commands, so the options that only take rights
 * away ({@code restrict}, {@code no-port-forwarding}, {@code no-agent-forwarding}, {@code
 * no-X11-forwarding}, {@code no-pty}, {@code no-user-rc}) are accepted and have nothing left to do.
 * Every other option ({@code from=}, {@code command=}, {@code expiry-time=}, {@code
 * cert-authority}, …) would grant or limit something serve does not enforce, so a line with one
 * makes the file invalid rather than be read more loosely than the administrator meant.
 * Certificates are refused for the same reason.
 *
 * <p>A key's name in the push log and the reflog is its comment when that is a plain name (the
 * rules of user names in the users file, {@link Users#NAME}), otherwise its fingerprint ({@code
 * SHA256:…}).
 */
final class AuthorizedKeys {
  private static final Logger LOG = LoggerFactory.getLogger(AuthorizedKeys.class);

  /** Options that only take away what serve never grants. */
  static final Set<String> ACCEPTED_OPTIONS =
      Set.of(
          "restrict",
          "no-port-forwarding",
          "no-agent-forwarding",
          "no-x11-forwarding",
          "no-pty",
          "no-user-rc");

  /**
   * One authorized key.
   *
   * @param key the public key
   * @param name its comment when that is a plain name, else its fingerprint
   * @param fingerprint {@code SHA256:…}, as {@code ssh-keygen -l} prints it
   * @param line its line in the file (1-based)
   */
  record Key(PublicKey key, String name, String fingerprint, int line) {}

  /**
   * The file as last read: its keys by fingerprint, or (problem != null) why it is unusable. The
   * attributes are those the snapshot belongs to (null when the file could not be examined).
   */
  private record Snapshot(Map<String, Key> keys, Stamp stamp, String problem) {}

  /**
   * What tells a changed file: size, modification time and identity (device and inode where known).
   */
  private record Stamp(long size, FileTime modified, Object fileKey) {
    static Stamp of(BasicFileAttributes a) {
      return a == null ? null : new Stamp(a.size(), a.lastModifiedTime(), a.fileKey());
    }
  }

  private final Path file;
  private volatile Snapshot snapshot;

  private AuthorizedKeys(Path file, Snapshot first) {
    this.file = file;
    this.snapshot = first;
  }

  /**
   * Loads an authorized_keys file.
   *
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException naming the first bad line (its number and what is wrong)
   */
  static AuthorizedKeys load(Path file) throws IOException {
    return new AuthorizedKeys(file, read(file));
  }

  /** The file. */
  Path file() {
    return file;
  }

  /** The keys currently authorized, in file order (none while the file is invalid). */
  List<Key> keys() {
    return List.copyOf(current().keys().values());
  }

  /** Why no key can log in at the moment, or null when the file is valid. */
  String problem() {
    return current().problem();
  }

  /**
   * The authorized entry of {@code key}; null when it is not in the file or the file is invalid.
   */
  Key find(PublicKey key) {
    if (key == null) {
      return null;
    }
    Key k = current().keys().get(KeyUtils.getFingerPrint(key));
    return k != null && KeyUtils.compareKeys(k.key(), key) ? k : null;
  }

  private Snapshot current() {
    Snapshot s = snapshot;
    Stamp now = Stamp.of(attributes(file));
    if (Objects.equals(now, s.stamp())) {
      return s;
    }
    synchronized (this) {
      s = snapshot;
      if (Objects.equals(now, s.stamp())) {
        return s;
      }
      Snapshot next;
      try {
        next = read(file);
      } catch (IOException | IllegalArgumentException e) {
        // Fail closed: a revoked key must not keep pushing because another line of the edit is bad.
        next = new Snapshot(Map.of(), now, LoginFiles.describe(file, e));
      }
      snapshot = next;
      if (next.problem() == null) {
        LOG.info("reloaded authorized keys {}: {} keys", file, next.keys().size());
      } else if (!next.problem().equals(s.problem())) {
        LOG.error(
            "authorized keys file {} is invalid, refusing every SSH login until it is fixed: {}",
            file,
            next.problem());
      }
      return next;
    }
  }

  private static BasicFileAttributes attributes(Path file) {
    try {
      return Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      return null;
    }
  }

  private static Snapshot read(Path file) throws IOException {
    LoginFiles.Content content = LoginFiles.read(file);
    BasicFileAttributes a = content.attributes();
    List<String> lines = content.lines();
    Map<String, Key> keys = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      Key k = parse(file + " line " + (i + 1) + ": ", line, i + 1);
      Key earlier = keys.putIfAbsent(k.fingerprint(), k);
      if (earlier != null) {
        throw new IllegalArgumentException(
            file
                + " line "
                + (i + 1)
                + ": the key "
                + k.fingerprint()
                + " is already on line "
                + earlier.line());
      }
    }
    return new Snapshot(Collections.unmodifiableMap(keys), Stamp.of(a), null);
  }

  /** One key line; the messages name the line, never its content. */
  private static Key parse(String where, String line, int number) {
    AuthorizedKeyEntry entry;
    try {
      entry = AuthorizedKeyEntry.parseAuthorizedKeyEntry(line);
    } catch (IllegalArgumentException | IllegalStateException e) {
      throw new IllegalArgumentException(
          where + "not an OpenSSH public key line ([options] type base64-key [comment])");
    }
    if (entry == null) {
      throw new IllegalArgumentException(
          where + "not an OpenSSH public key line ([options] type base64-key [comment])");
    }
    for (String option : entry.getLoginOptions().keySet()) {
      if (!ACCEPTED_OPTIONS.contains(option.toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(
            where
                + "option '"
                + option
                + "' is not supported: serve would not "
                + "enforce it (accepted: restrict, no-port-forwarding, no-agent-forwarding, no-X11-forwarding, no-pty, "
                + "no-user-rc)");
      }
    }
    PublicKey key;
    try {
      key = entry.resolvePublicKey(null, PublicKeyEntryResolver.FAILING);
    } catch (IOException | GeneralSecurityException | RuntimeException e) {
      throw new IllegalArgumentException(
          where + "cannot read the " + Messages.printable(entry.getKeyType(), 60) + " key");
    }
    if (key == null) {
      throw new IllegalArgumentException(
          where + "unsupported key type " + Messages.printable(entry.getKeyType(), 60));
    }
    if (key instanceof OpenSshCertificate) {
      throw new IllegalArgumentException(
          where + "certificates are not supported; list the plain public key");
    }
    String fingerprint = KeyUtils.getFingerPrint(key);
    String comment = entry.getComment();
    String name = comment != null && Users.NAME.matcher(comment).matches() ? comment : fingerprint;
    return new Key(key, name, fingerprint, number);
  }

  @Override
  public String toString() {
    return "AuthorizedKeys(" + file + ")";
  }
}
