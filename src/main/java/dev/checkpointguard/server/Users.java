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
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The users file: one {@code user:hash} per line ({@link PasswordHash} format), blank lines and
 * lines starting with {@code #} ignored. The file is read again when its size or modification time
 * changes, so users can be added or removed without a restart.
 *
 * <p>Fails closed: when a changed file is invalid (or unreadable, or gone), nobody can log in
 * ({@link Outcome#UNAVAILABLE}) until it is valid again, and the reason is logged once per change.
 * Keeping the last good list instead would let a user revoked in the same edit keep pushing.
 *
 * <p>PBKDF2 work is bounded: at most {@code maxDerivations} derivations run at once, so a flood of
 * login attempts cannot take every CPU from the pushes being served; an attempt that finds no free
 * slot within a few seconds is {@link Outcome#BUSY}.
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

  /**
   * How long an attempt waits for a free PBKDF2 slot before it is answered {@link Outcome#BUSY}.
   */
  static final long DERIVATION_WAIT_MILLIS = 5_000;

  /** The result of a login check. */
  public enum Outcome {
    /** The user exists and the password matches. */
    OK,
    /** Unknown user or wrong password. */
    WRONG,
    /** Too many password checks are running; try again shortly. Says nothing about the password. */
    BUSY,
    /** The users file is invalid since its last change: nobody can log in until it is fixed. */
    UNAVAILABLE
  }

  private final Path file;
  private final byte[] cacheKey = new byte[32];
  private final Map<String, Remembered> remembered = new ConcurrentHashMap<>();
  private final Semaphore derivations;
  private final long derivationWaitMillis;
  private volatile Snapshot snapshot;

  /**
   * The file as last read: its users, or (problem != null) why it is unusable. size/modified are
   * the attributes the snapshot belongs to (-1 when the file could not be examined).
   */
  private record Snapshot(
      Map<String, PasswordHash> hashes, long size, long modified, String problem) {}

  private record Remembered(PasswordHash hash, byte[] mac, long expiresNanos) {}

  private Users(Path file, Snapshot first, Semaphore derivations, long derivationWaitMillis) {
    this.file = file;
    this.snapshot = first;
    this.derivations = derivations;
    this.derivationWaitMillis = derivationWaitMillis;
    new SecureRandom().nextBytes(cacheKey);
  }

  /**
   * Loads a users file.
   *
   * @throws IOException if it cannot be read
   * @throws IllegalArgumentException naming the first bad line (its number, never its content)
   */
  public static Users load(Path file) throws IOException {
    return load(
        file, Math.max(1, Runtime.getRuntime().availableProcessors() / 2), DERIVATION_WAIT_MILLIS);
  }

  /**
   * Loads a users file, allowing at most {@code maxDerivations} PBKDF2 derivations at once, each
   * waiting at most {@code derivationWaitMillis} for its turn.
   */
  static Users load(Path file, int maxDerivations, long derivationWaitMillis) throws IOException {
    return load(file, new Semaphore(maxDerivations, true), derivationWaitMillis);
  }

  /** Loads a users file whose PBKDF2 derivations each take a permit of {@code derivations}. */
  static Users load(Path file, Semaphore derivations, long derivationWaitMillis)
      throws IOException {
    return new Users(file, read(file), derivations, derivationWaitMillis);
  }

  /** The user names currently known, in file order (none while the file is invalid). */
  public List<String> names() {
    return List.copyOf(current().hashes().keySet());
  }

  /**
   * Why nobody can log in at the moment: the problem with the users file since its last change, or
   * null when it is valid.
   */
  public String problem() {
    return current().problem();
  }

  /** True when the user exists and the password matches: {@link #check} is {@link Outcome#OK}. */
  public boolean authenticate(String user, char[] password) {
    return check(user, password) == Outcome.OK;
  }

  /**
   * Checks a user's password. Takes about as long for an unknown user as for a wrong password. A
   * password checked successfully in the last few minutes is recognised without PBKDF2.
   */
  public Outcome check(String user, char[] password) {
    Snapshot s = current();
    if (s.problem() != null) {
      return Outcome.UNAVAILABLE;
    }
    Map<String, PasswordHash> hashes = s.hashes();
    PasswordHash hash = hashes.get(user);
    if (hash == null) {
      // Spend the same work as for a known user, so that timing does not tell which names exist.
      PasswordHash decoy = hashes.values().stream().findFirst().orElse(null);
      if (decoy != null && derive(decoy, password) == null) {
        return Outcome.BUSY;
      }
      return Outcome.WRONG;
    }
    byte[] mac = mac(user, password);
    Remembered r = remembered.get(user);
    long now = System.nanoTime();
    if (r != null && r.hash().equals(hash) && now - r.expiresNanos() < 0) {
      return MessageDigest.isEqual(mac, r.mac()) ? Outcome.OK : Outcome.WRONG;
    }
    Boolean ok = derive(hash, password);
    if (ok == null) {
      return Outcome.BUSY;
    }
    if (ok) {
      remembered.put(user, new Remembered(hash, mac, now + REMEMBER_NANOS));
      return Outcome.OK;
    }
    remembered.remove(user);
    return Outcome.WRONG;
  }

  /**
   * {@code hash.matches(password)} in one of the bounded PBKDF2 slots; null when none came free in
   * time.
   */
  private Boolean derive(PasswordHash hash, char[] password) {
    try {
      if (!derivations.tryAcquire(derivationWaitMillis, TimeUnit.MILLISECONDS)) {
        return null;
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    try {
      return hash.matches(password);
    } finally {
      derivations.release();
    }
  }

  private Snapshot current() {
    Snapshot s = snapshot;
    BasicFileAttributes a;
    try {
      a = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (IOException e) {
      a = null;
    }
    long size = a == null ? -1 : a.size();
    long modified = a == null ? -1 : a.lastModifiedTime().toMillis();
    if (size == s.size() && modified == s.modified()) {
      return s;
    }
    synchronized (this) {
      s = snapshot;
      if (size == s.size() && modified == s.modified()) {
        return s;
      }
      Snapshot next;
      try {
        next = read(file);
      } catch (IOException | IllegalArgumentException e) {
        // Fail closed: a revoked user must not keep pushing because another line of the edit is
        // bad.
        next = new Snapshot(Map.of(), size, modified, LoginFiles.describe(file, e));
      }
      snapshot = next;
      if (next.problem() == null) {
        LOG.info("reloaded users file {}: {} users", file, next.hashes().size());
      } else if (!next.problem().equals(s.problem())) {
        LOG.error(
            "users file {} is invalid, refusing every push login until it is fixed: {}",
            file,
            next.problem());
      }
      return next;
    }
  }

  private static Snapshot read(Path file) throws IOException {
    LoginFiles.Content content = LoginFiles.read(file);
    BasicFileAttributes a = content.attributes();
    List<String> lines = content.lines();
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
            where
                + "user names are 1-64 characters of A-Z a-z 0-9 . _ @ + - (starting with a letter or digit)");
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
        Collections.unmodifiableMap(hashes), a.size(), a.lastModifiedTime().toMillis(), null);
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
