package dev.checkpointguard.server;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users file: one {@code user:hash} per line ({@link PasswordHash} format), blank lines and lines
 * starting with {@code #} ignored. The file is read again when its size or modification time changes,
 * so users can be added without a restart; a file that became invalid keeps the last good list.
 *
 * <p>A successful check is remembered for a few minutes as an HMAC of the password under a key that
 * lives only in this process, so that the two or three requests of one {@code git push} pay for one
 * slow PBKDF2 derivation, not three. The password itself is never kept.
 */
public final class Users {
  private static final Logger LOG = LoggerFactory.getLogger(Users.class);

  /** User names: what fits in a basic-auth user field and a log line without escaping. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}");

  private static final long REMEMBER_NANOS = 5L * 60 * 1_000_000_000;
  private static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

  private final Path file;
  private final byte[] cacheKey = new byte[32];
  private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();
  private volatile Snapshot snapshot;

  private record Snapshot(Map<String, PasswordHash> hashes, long size, long modified) {}

  private record Remembered(PasswordHash hash, byte[] mac, long expiresNanos) {}

  private Users(Path file, Snapshot first) {
    this.file = file;
    this.snapshot = first;
    new SecureRandom().nextBytes(cacheKey);
  }

  /**
   * Loads a users file.
   *
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException naming the first bad line (its number, never its content)
   */
  public static Users load(Path file) throws IOException {
    return new Users(file, read(file));
  }

  /** The user names currently known, in file order. */
  public List<String> names() {
    return List.copyOf(current().hashes().keySet());
  }

  /**
   * Checks a user's password. Takes about as long for an unknown user as for a wrong password.
   *
   * @return true when the user exists and the password matches
   */
  public boolean authenticate(String user, char[] password) {
    Map<String, PasswordHash> hashes = current().hashes();
    PasswordHash hash = hashes.get(user);
    if (hash == null) {
      // Spend the same work as for a known user, so that timing does not tell which names exist.
      hashes.values().stream().findFirst().ifPresent(decoy -> decoy.matches(password));
      return false;
    }
    byte[] mac = mac(user, password);
    Remembered r = remembered.get(user);
    long now = System.nanoTime();
    if (r != null && r.hash().equals(hash) && now - r.expiresNanos() < 0) {
      return MessageDigest.isEqual(mac, r.mac());
    }
    boolean ok = hash.matches(password);
    if (ok) {
      remembered.put(user, new Remembered(hash, mac, now + REMEMBER_NANOS));
    } else {
      remembered.remove(user);
    }
    return ok;
  }

  private Snapshot current() {
    Snapshot s = snapshot;
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      if (a.size() != s.size() || a.lastModifiedTime().toMillis() != s.modified()) {
        synchronized (this) {
          s = snapshot;
          if (a.size() != s.size() || a.lastModifiedTime().toMillis() != s.modified()) {
            s = read(file);
            snapshot = s;
            LOG.info("reloaded users file {}: {} users", file, s.hashes().size());
          }
        }
      }
    } catch (IOException | IllegalArgumentException e) {
      // Keep serving with the last good list rather than locking everyone out over a half-written file.
      LOG.error("users file {} not reloaded, keeping the previous {} users: {}", file, s.hashes().size(),
          e.getMessage());
    }
    return s;
  }

  private static Snapshot read(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    if (!a.isRegularFile()) {
      throw new IOException(file + " is not a regular file");
    }
    if (a.size() > MAX_FILE_BYTES) {
      throw new IOException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
    }
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    Map<String, PasswordHash> hashes = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int colon = line.indexOf(':');
      String where = file + " line " + (i + 1) + ": ";
      if (colon < 0) {
        throw new IllegalArgumentException(where + "expected user:hash");
      }
      String user = line.substring(0, colon);
      if (!NAME.matcher(user).matches()) {
        throw new IllegalArgumentException(
            where + "user names are 1-64 characters of A-Z a-z 0-9 . _ @ + - (starting with a letter or digit)");
      }
      if (hashes.containsKey(user)) {
        throw new IllegalArgumentException(where + "user " + user + " appears twice");
      }
      try {
        hashes.put(user, PasswordHash.parse(line.substring(colon + 1)));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(where + "user " + user + ": " + e.getMessage());
      }
    }
    return new Snapshot(
        Collections.unmodifiableMap(hashes), a.size(), a.lastModifiedTime().toMillis());
  }

  private byte[] mac(String user, char[] password) {
    try {
      Mac m = Mac.getInstance("HmacSHA256");
      m.init(new SecretKeySpec(cacheKey, "HmacSHA256"));
      m.update(user.getBytes(StandardCharsets.UTF_8));
      m.update((byte) 0);
      byte[] pw = new String(password).getBytes(StandardCharsets.UTF_8);
      return m.doFinal(pw);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is not available", e);
    }
  }

  @Override
  public String toString() {
    return "Users(" + Objects.toString(file) + ")";
  }
}
