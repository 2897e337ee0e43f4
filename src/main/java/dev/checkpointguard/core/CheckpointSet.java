package dev.checkpointguard.core;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * An immutable set of checkpoint IDs, stored as a sorted {@code long[]} (8 bytes per checkpoint),
 * so that sets of 100,000 checkpoints stay small and set operations are merges of sorted arrays.
 */
public final class CheckpointSet {
  private static final CheckpointSet EMPTY = new CheckpointSet(new long[0]);

  private final long[] ids;

  private CheckpointSet(long[] sortedDistinct) {
    this.ids = sortedDistinct;
  }

  /** The empty set. */
  public static CheckpointSet empty() {
    return EMPTY;
  }

  /** A set of the given packed IDs (any order, duplicates allowed). */
  public static CheckpointSet of(long... packedIds) {
    long[] a = packedIds.clone();
    return new CheckpointSet(sortDistinct(a, a.length));
  }

  /** A set of the given IDs in their 12-character form. */
  public static CheckpointSet ofIds(Iterable<String> ids) {
    Builder b = new Builder();
    for (String id : ids) {
      b.add(CheckpointIds.parse(id));
    }
    return b.build();
  }

  /** Number of checkpoints. */
  public int size() {
    return ids.length;
  }

  public boolean isEmpty() {
    return ids.length == 0;
  }

  public boolean contains(long id) {
    return Arrays.binarySearch(ids, id) >= 0;
  }

  /** The packed ID at sorted position {@code i}. */
  public long get(int i) {
    return ids[i];
  }

  /** The elements of this set that are not in {@code other}. */
  public CheckpointSet minus(CheckpointSet other) {
    if (ids.length == 0 || other.ids.length == 0) {
      return this;
    }
    long[] out = new long[ids.length];
    int n = 0;
    int j = 0;
    for (long id : ids) {
      while (j < other.ids.length && other.ids[j] < id) {
        j++;
      }
      if (j >= other.ids.length || other.ids[j] != id) {
        out[n++] = id;
      }
    }
    return n == ids.length ? this : new CheckpointSet(Arrays.copyOf(out, n));
  }

  /** The union of both sets. */
  public CheckpointSet union(CheckpointSet other) {
    if (other.ids.length == 0) {
      return this;
    }
    if (ids.length == 0) {
      return other;
    }
    long[] out = new long[ids.length + other.ids.length];
    int i = 0;
    int j = 0;
    int n = 0;
    while (i < ids.length || j < other.ids.length) {
      long v;
      if (j >= other.ids.length || (i < ids.length && ids[i] < other.ids[j])) {
        v = ids[i++];
      } else if (i >= ids.length || other.ids[j] < ids[i]) {
        v = other.ids[j++];
      } else {
        v = ids[i++];
        j++;
      }
      out[n++] = v;
    }
    return new CheckpointSet(Arrays.copyOf(out, n));
  }

  /** The first {@code limit} IDs in ascending order, in their 12-character form. */
  public List<String> first(int limit) {
    int n = Math.min(limit, ids.length);
    List<String> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      out.add(CheckpointIds.format(ids[i]));
    }
    return out;
  }

  /** All IDs in ascending order, in their 12-character form. */
  public List<String> toIds() {
    return first(ids.length);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CheckpointSet other && Arrays.equals(ids, other.ids);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(ids);
  }

  @Override
  public String toString() {
    return "CheckpointSet" + first(5) + (ids.length > 5 ? "+" + (ids.length - 5) : "");
  }

  private static long[] sortDistinct(long[] a, int len) {
    Arrays.sort(a, 0, len);
    int n = 0;
    for (int i = 0; i < len; i++) {
      if (n == 0 || a[n - 1] != a[i]) {
        a[n++] = a[i];
      }
    }
    return n == a.length ? a : Arrays.copyOf(a, n);
  }

  /** Collects IDs in any order. */
  public static final class Builder {
    private long[] buf = new long[16];
    private int n;

    public Builder add(long id) {
      if (n == buf.length) {
        buf = Arrays.copyOf(buf, n * 2);
      }
      buf[n++] = id;
      return this;
    }

    public Builder addAll(CheckpointSet set) {
      for (long id : set.ids) {
        add(id);
      }
      return this;
    }

    public CheckpointSet build() {
      return n == 0 ? EMPTY : new CheckpointSet(sortDistinct(Arrays.copyOf(buf, n), n));
    }
  }
}
