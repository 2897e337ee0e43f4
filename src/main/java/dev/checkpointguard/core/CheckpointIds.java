package dev.checkpointguard.core;

/**
 * Checkpoint IDs (spec §2): 12 lowercase hex characters, stored sharded as {@code
 * <id[0:2]>/<id[2:12]>}.
 *
 * <p>An ID is 48 bits, so it is kept as a {@code long} internally ({@link CheckpointSet}); this
 * class converts between the forms and is the only place that validates them.
 */
public final class CheckpointIds {
  /** Length of an ID. */
  public static final int LENGTH = 12;

  /** Length of the shard directory name. */
  public static final int SHARD_LENGTH = 2;

  private CheckpointIds() {}

  /** True when {@code id} matches {@code ^[0-9a-f]{12}$}. */
  public static boolean isValid(String id) {
    if (id == null || id.length() != LENGTH) {
      return false;
    }
    for (int i = 0; i < LENGTH; i++) {
      if (hexValue(id.charAt(i)) < 0) {
        return false;
      }
    }
    return true;
  }

  /** Parses a valid ID; throws {@link IllegalArgumentException} naming the bad input otherwise. */
  public static long parse(String id) {
    if (!isValid(id)) {
      throw new IllegalArgumentException(
          "not a checkpoint ID (12 lowercase hex characters): " + id);
    }
    long v = 0;
    for (int i = 0; i < LENGTH; i++) {
      v = (v << 4) | hexValue(id.charAt(i));
    }
    return v;
  }

  /** The 12-character form of a packed ID. */
  public static String format(long id) {
    char[] c = new char[LENGTH];
    for (int i = LENGTH - 1; i >= 0; i--) {
      c[i] = HEX[(int) (id & 0xf)];
      id >>>= 4;
    }
    return new String(c);
  }

  /** The sharded tree path of an ID: {@code 0123456789ab} becomes {@code 01/23456789ab}. */
  public static String path(long id) {
    String s = format(id);
    return s.substring(0, SHARD_LENGTH) + '/' + s.substring(SHARD_LENGTH);
  }

  /**
   * True when a shard name, given as its two raw tree-entry bytes, is two lowercase hex digits:
   * only such a shard can hold a valid ID.
   */
  static boolean isShard(int shardHi, int shardLo) {
    return hexValue((char) shardHi) >= 0 && hexValue((char) shardLo) >= 0;
  }

  /**
   * Packs a shard name (2 bytes) and an entry name (10 bytes), given as raw tree-entry bytes, into
   * an ID; -1 when the combination is not a valid ID (uppercase, wrong length, non-hex). Works on
   * bytes so that counting a tree allocates nothing per entry.
   */
  static long fromTreeNames(int shardHi, int shardLo, byte[] buf, int off, int len) {
    if (len != LENGTH - SHARD_LENGTH) {
      return -1;
    }
    int a = hexValue((char) shardHi);
    int b = hexValue((char) shardLo);
    if (a < 0 || b < 0) {
      return -1;
    }
    long v = (a << 4) | b;
    for (int i = 0; i < len; i++) {
      int h = hexValue((char) (buf[off + i] & 0xff));
      if (h < 0) {
        return -1;
      }
      v = (v << 4) | h;
    }
    return v;
  }

  private static final char[] HEX = "0123456789abcdef".toCharArray();

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }
}
