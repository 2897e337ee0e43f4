package dev.checkpointguard.convert;

import dev.checkpointguard.core.PackOrder;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import org.eclipse.jgit.errors.IncorrectObjectTypeException;
import org.eclipse.jgit.errors.MissingObjectException;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.treewalk.CanonicalTreeParser;

/**
 * Which checkpoints v1 already has (spec v2-to-v1 §6.2): a directory with {@code
 * <cp>/metadata.json} is what today's client reads, and it is never modified. A directory without
 * it is left alone too (it is someone's data), and the checkpoint is reported as not convertible.
 */
final class V1Dirs {
  static final String PRESENT = "present";
  static final String NO_SUMMARY =
      "v1 has a directory for this checkpoint without metadata.json; it is left as it is";

  private V1Dirs() {}

  /**
   * For each ID of {@code scope} that v1 has a directory for: {@link #PRESENT} or why it is
   * blocked.
   */
  static Map<Long, String> classify(
      ObjectReader reader, PackOrder order, SortedMap<Long, ObjectId> v1Dirs, long[] scope)
      throws IOException {
    Map<Long, String> out = new HashMap<>();
    List<long[]> jobs = new ArrayList<>();
    List<ObjectId> trees = new ArrayList<>();
    for (long id : scope) {
      ObjectId d = v1Dirs.get(id);
      if (d != null) {
        jobs.add(new long[] {id, trees.size()});
        trees.add(d);
      }
    }
    for (long[] j : order.sort(jobs, x -> trees.get((int) x[1]))) {
      out.put(j[0], hasSummary(reader, trees.get((int) j[1])) ? PRESENT : NO_SUMMARY);
    }
    return out;
  }

  static boolean hasSummary(ObjectReader reader, ObjectId dir) throws IOException {
    CanonicalTreeParser p = new CanonicalTreeParser();
    try {
      p.reset(reader, dir);
    } catch (MissingObjectException | IncorrectObjectTypeException e) {
      return false;
    }
    for (; !p.eof(); p.next()) {
      if (p.getEntryPathString().equals("metadata.json") && SourceReader.isFile(p)) {
        return true;
      }
    }
    return false;
  }
}
