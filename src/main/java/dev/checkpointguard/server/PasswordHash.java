package dev.checkpointguard.server;

import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;

/**
 * Password hashes for the users file: PBKDF2-HMAC-SHA256 from the JDK, with a random salt per hash
 * and the iteration count stored in the hash, so that hashes made with different costs can live in
 * one file.
 *
 * <p>Format: {@code pbkdf2-sha256$<iterations>$<salt, base64>$<derived key, base64>}. Comparison is
 * in constant time ({@link MessageDigest#isEqual}). Only these hashes are ever stored; the password
 * itself is never written anywhere.
 */
public final class PasswordHash {
  /** The scheme name at the start of every hash. */
  public static final String SCHEME = "pbkdf2-sha256";

  /** The cost of new hashes: OWASP's 2023 recommendation for PBKDF2-HMAC-SHA256. */
  public static final int DEFAULT_ITERATIONS = 600_000;

  /** Hashes cheaper than this are refused, in a users file and when hashing. */
  public static final int MIN_ITERATIONS = 10_000;

  /** Hashes dearer than this are refused: a typo must not make every login take minutes. */
  public static final int MAX_ITERATIONS = 10_000_000;

  private static final int SALT_BYTES = 16;
  private static final int KEY_BYTES = 32;
  private static final SecureRandom RANDOM = new SecureRandom();

  private final int iterations;
  private final byte[] salt;
  private final byte[] key;

  private PasswordHash(int iterations, byte[] salt, byte[] key) {
    this.iterations = iterations;
    this.salt = salt;
    this.key = key;
  }

  /** Hashes a password with {@link #DEFAULT_ITERATIONS} and a fresh random salt. */
  public static String hash(char[] password) {
    return hash(password, DEFAULT_ITERATIONS);
  }

  /**
   * Hashes a password with a fresh random salt.
   *
   * @throws IllegalArgumentException if the iteration count is outside [{@link #MIN_ITERATIONS},
   *     {@link #MAX_ITERATIONS}] or the password is empty
   */
  public static String hash(char[] password, int iterations) {
    checkIterations(iterations);
    if (password.length == 0) {
      throw new IllegalArgumentException("the password is empty");
    }
    byte[] salt = new byte[SALT_BYTES];
    RANDOM.nextBytes(salt);
    byte[] key = derive(password, salt, iterations, KEY_BYTES);
    Base64.Encoder b64 = Base64.getEncoder().withoutPadding();
    return SCHEME
        + "$"
        + iterations
        + "$"
        + b64.encodeToString(salt)
        + "$"
        + b64.encodeToString(key);
  }

  /**
   * Parses a stored hash.
   *
   * @throws IllegalArgumentException with a message that does not repeat the hash, if it is
   *     malformed
   */
  public static PasswordHash parse(String encoded) {
    String[] parts = encoded.split("\\$", -1);
    if (parts.length != 4 || !parts[0].equals(SCHEME)) {
      throw new IllegalArgumentException(
          "not a " + SCHEME + "$<iterations>$<salt>$<hash> value (make one with 'hash-password')");
    }
    int iterations;
    try {
      iterations = Integer.parseInt(parts[1]);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("the iteration count is not a number");
    }
    checkIterations(iterations);
    byte[] salt;
    byte[] key;
    try {
      salt = Base64.getDecoder().decode(parts[2]);
      key = Base64.getDecoder().decode(parts[3]);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the salt or hash is not base64");
    }
    if (salt.length < 8 || key.length < 16 || key.length > 64) {
      throw new IllegalArgumentException("the salt or hash is too short");
    }
    return new PasswordHash(iterations, salt, key);
  }

  /**
   * True when the password matches; the comparison takes the same time wherever the first
   * difference is.
   */
  public boolean matches(char[] password) {
    byte[] candidate = derive(password, salt, iterations, key.length);
    return MessageDigest.isEqual(candidate, key);
  }

  /** The PBKDF2 iteration count of this hash. */
  public int iterations() {
    return iterations;
  }

  private static void checkIterations(int iterations) {
    if (iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
      throw new IllegalArgumentException(
          "the iteration count "
              + iterations
              + " is outside "
              + MIN_ITERATIONS
              + ".."
              + MAX_ITERATIONS);
    }
  }

  private static byte[] derive(char[] password, byte[] salt, int iterations, int keyBytes) {
    PBEKeySpec spec = new PBEKeySpec(password, salt, iterations, keyBytes * 8);
    try {
      return SecretKeyFactory.getInstance("PBKDF2WithHmacSHA256").generateSecret(spec).getEncoded();
    } catch (GeneralSecurityException e) {
      // Every Java 17 runtime ships PBKDF2WithHmacSHA256; without it no login can be checked.
      throw new IllegalStateException("PBKDF2WithHmacSHA256 is not available", e);
    } finally {
      spec.clearPassword();
    }
  }

  @Override
  public String toString() {
    // Never the salt or key: this object may end up in a log line by accident.
    return SCHEME + "(" + iterations + " iterations)";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PasswordHash h
        && h.iterations == iterations
        && Arrays.equals(h.salt, salt)
        && Arrays.equals(h.key, key);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(key);
  }
}
