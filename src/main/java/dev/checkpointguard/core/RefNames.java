package dev.checkpointguard.core;

import java.util.Locale;

/**
 * The names of the Entire CLI's v2 checkpoint refs (spec §1), and how to tell them apart.
 *
 * <p>This is the only place that knows the layout of {@code refs/entire/checkpoints/v2/} and of the
 * guard's own {@code refs/checkpoint-guard/}. Everything else asks {@link #kind(String)}.
 */
public final class RefNames {
  /** Everything under this prefix is judged by the guard; every other ref is left alone. */
  public static final String V2_PREFIX = "refs/entire/checkpoints/v2/";

  /** The permanent checkpoint index: metadata, prompts and compact transcripts. Never rotated. */
  public static final String MAIN = V2_PREFIX + "main";

  /** Prefix of the raw-transcript refs: the active generation and the archived ones. */
  public static final String FULL_PREFIX = V2_PREFIX + "full/";

  /** The active generation of raw transcripts. */
  public static final String CURRENT = FULL_PREFIX + "current";

  /** Archive numbers are zero-padded to this many decimal digits ({@code %013d}). */
  public static final int ARCHIVE_NUMBER_WIDTH = 13;

  /** The largest number that fits the archive suffix. */
  public static final long MAX_ARCHIVE_NUMBER = 9_999_999_999_999L;

  /**
   * The guard's own namespace on the server: written only by the administrator's tools, never by a
   * push (a pushed backup could make {@code restore} write anything).
   */
  public static final String GUARD_PREFIX = "refs/checkpoint-guard/";

  /** Backups of refs that {@code repair} changes live below this prefix. */
  public static final String BACKUP_PREFIX = GUARD_PREFIX + "backup/";

  /** The values {@code repair} wrote, kept so that {@code restore} can tell later pushes apart. */
  public static final String RESULT_PREFIX = GUARD_PREFIX + "result/";

  /**
   * The v1 branch {@code entire/checkpoints/v1}, the only checkpoint ref today's client reads and
   * writes (spec v2-to-v1 §2). Not guarded; only {@code convert} writes it on the server.
   */
  public static final String V1 = "refs/heads/entire/checkpoints/v1";

  /** What a ref name is, as far as the guard is concerned. */
  public enum Kind {
    /** {@link #MAIN}. */
    MAIN,
    /** {@link #CURRENT}. */
    CURRENT,
    /** {@code full/<13 digits>}, an archived generation. */
    ARCHIVE,
    /** Any other name under {@link #V2_PREFIX}: never produced by a client. */
    UNKNOWN_V2,
    /** Under {@link #GUARD_PREFIX}: the guard's own refs, never pushed. */
    GUARD,
    /** Outside {@link #V2_PREFIX} and {@link #GUARD_PREFIX}: not the guard's business. */
    UNGUARDED
  }

  private RefNames() {}

  /** Classifies a full ref name. */
  public static Kind kind(String ref) {
    if (ref.startsWith(GUARD_PREFIX)) {
      return Kind.GUARD;
    }
    if (!isV2(ref)) {
      return Kind.UNGUARDED;
    }
    if (ref.equals(MAIN)) {
      return Kind.MAIN;
    }
    if (ref.equals(CURRENT)) {
      return Kind.CURRENT;
    }
    return archiveNumber(ref) >= 0 ? Kind.ARCHIVE : Kind.UNKNOWN_V2;
  }

  /** True for every ref the guard judges: under {@link #V2_PREFIX} or {@link #GUARD_PREFIX}. */
  public static boolean isGuarded(String ref) {
    return ref.startsWith(V2_PREFIX) || ref.startsWith(GUARD_PREFIX);
  }

  /** True for every ref under {@link #V2_PREFIX}, the client's checkpoint refs. */
  public static boolean isV2(String ref) {
    return ref.startsWith(V2_PREFIX);
  }

  /** True for {@code refs/entire/checkpoints/v2/full/<13 digits>}. */
  public static boolean isArchive(String ref) {
    return archiveNumber(ref) >= 0;
  }

  /**
   * The generation number of an archive ref, or -1 when {@code ref} is not one. Exactly 13 ASCII
   * digits after {@link #FULL_PREFIX}, as the client's {@code GenerationRefPattern} {@code
   * ^\d{13}$}.
   */
  public static long archiveNumber(String ref) {
    if (ref.length() != FULL_PREFIX.length() + ARCHIVE_NUMBER_WIDTH
        || !ref.startsWith(FULL_PREFIX)) {
      return -1;
    }
    long n = 0;
    for (int i = FULL_PREFIX.length(); i < ref.length(); i++) {
      char c = ref.charAt(i);
      if (c < '0' || c > '9') {
        return -1;
      }
      n = n * 10 + (c - '0');
    }
    return n;
  }

  /** The ref name of archive {@code number}, zero-padded to 13 digits. */
  public static String archive(long number) {
    if (number < 0 || number > MAX_ARCHIVE_NUMBER) {
      throw new IllegalArgumentException("archive number out of range: " + number);
    }
    return FULL_PREFIX + String.format(Locale.ROOT, "%013d", number);
  }

  /** The part after {@link #V2_PREFIX} (e.g. {@code full/0000000000007}), for compact reports. */
  public static String shortName(String ref) {
    return isV2(ref) ? ref.substring(V2_PREFIX.length()) : ref;
  }
}
