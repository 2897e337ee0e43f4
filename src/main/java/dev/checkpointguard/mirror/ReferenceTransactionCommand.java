package dev.checkpointguard.mirror;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.stock.HookRepository;
import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.ObjectId;
import org.eclipse.jgit.lib.ObjectReader;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.revwalk.RevWalk;
import org.eclipse.jgit.storage.file.FileRepositoryBuilder;

/**
 * {@code reference-transaction}: the judging half of the stock-git mirror hook ({@code
 * hooks/reference-transaction}, installed by {@code install.sh --mirror}). The sh wrapper calls it,
 * in the {@code prepared} state only, for a transaction in which some v2 ref is deleted or moved to
 * a value that does not descend from its old one; every other transaction never starts Java.
 *
 * <p>Input (standard input), one per line:
 *
 * <pre>
 * candidate &lt;old-id&gt; &lt;ref&gt;     the value a deleted or rewritten v2 ref holds now
 * update &lt;old-id&gt; &lt;new-id&gt; &lt;ref&gt;  every v2 line of the transaction (the state after it)
 * </pre>
 *
 * Output: {@code keep <id> <ref> <checkpoints> <files>} for each candidate whose checkpoint files
 * (ID, path, blob) no v2 ref holds after the transaction and that the keep repository does not hold
 * yet; the wrapper copies those into {@code checkpoint-guard/kept.git}. It judges and never vetoes:
 * its exit code is 0 unless it could not judge at all, and the wrapper then keeps every candidate.
 */
public final class ReferenceTransactionCommand implements Command {
  @Override
  public String name() {
    return "reference-transaction";
  }

  @Override
  public String summary() {
    return "hook: name the v2 tips a fetch into a mirror would lose (run by install.sh --mirror's hook)";
  }

  @Override
  public String details() {
    return "Reads 'candidate <id> <ref>' and 'update <old> <new> <ref>' lines; prints 'keep <id> <ref> <checkpoints>"
        + " <files>'\nfor each candidate whose checkpoint files no v2 ref holds after the transaction. Never vetoes.\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder()
            .longOpt("keep-repo")
            .hasArg()
            .argName("DIR")
            .desc("the keep repository (tips it holds already are not named again)")
            .get());
    return o;
  }

  private record Candidate(ObjectId id, String ref) {}

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    List<Candidate> candidates = new ArrayList<>();
    Map<String, ObjectId> after = new LinkedHashMap<>();
    Set<String> deleted = new HashSet<>();
    BufferedReader in = new BufferedReader(new InputStreamReader(io.in(), StandardCharsets.UTF_8));
    int n = 0;
    for (String line; (line = in.readLine()) != null; ) {
      n++;
      String[] f = line.split(" ");
      if (f.length == 3 && f[0].equals("candidate") && ObjectId.isId(f[1]) && RefNames.isV2(f[2])) {
        candidates.add(new Candidate(ObjectId.fromString(f[1]), f[2]));
      } else if (f.length == 4
          && f[0].equals("update")
          && ObjectId.isId(f[2])
          && RefNames.isV2(f[3])) {
        ObjectId next = ObjectId.fromString(f[2]);
        if (next.equals(ObjectId.zeroId())) {
          deleted.add(f[3]);
          after.remove(f[3]);
        } else {
          deleted.remove(f[3]);
          after.put(f[3], next);
        }
      } else if (!line.isBlank()) {
        throw new UsageException(
            "input line " + n + " is not 'candidate <id> <ref>' or 'update <old> <new> <ref>'");
      }
    }
    if (candidates.isEmpty()) {
      return OK;
    }
    Set<ObjectId> alreadyKept = kept(cl.getOptionValue("keep-repo"));
    try (Repository repo = HookRepository.open(io.env());
        ObjectReader reader = repo.newObjectReader();
        RevWalk walk = new RevWalk(reader)) {
      // the v2 refs after the transaction: as they are now (prepared: nothing moved yet), with its
      // updates
      Map<String, ObjectId> post = new TreeMap<>();
      for (Ref r : repo.getRefDatabase().getRefsByPrefix(RefNames.V2_PREFIX)) {
        if (r.getObjectId() != null && !r.isSymbolic()) {
          post.put(r.getName(), r.getObjectId());
        }
      }
      post.keySet().removeAll(deleted);
      post.putAll(after);
      CheckpointFiles files = new CheckpointFiles(reader);
      for (Candidate c : candidates) {
        if (alreadyKept.contains(c.id())) {
          continue;
        }
        List<ObjectId> holders = new ArrayList<>();
        ObjectId own = post.get(c.ref());
        if (own != null) {
          holders.add(MirrorPlanner.treeOf(walk, own));
        }
        for (Map.Entry<String, ObjectId> e : post.entrySet()) {
          if (!e.getKey().equals(c.ref())) {
            holders.add(MirrorPlanner.treeOf(walk, e.getValue()));
          }
        }
        CheckpointFiles.Lost lost = files.lost(MirrorPlanner.treeOf(walk, c.id()), holders);
        if (!lost.isEmpty()) {
          io.out()
              .println(
                  "keep "
                      + c.id().name()
                      + " "
                      + c.ref()
                      + " "
                      + lost.checkpoints()
                      + " "
                      + lost.fileCount());
        }
      }
    }
    io.out().flush();
    return OK;
  }

  /** The tips the keep repository holds, or none when it does not exist yet. */
  private static Set<ObjectId> kept(String dir) throws IOException {
    Set<ObjectId> out = new HashSet<>();
    if (dir == null || !new File(dir, "HEAD").isFile()) {
      return out;
    }
    try (Repository k =
        new FileRepositoryBuilder().setGitDir(new File(dir)).setMustExist(true).build()) {
      for (Ref r : k.getRefDatabase().getRefsByPrefix(Constants.R_REFS)) {
        if (r.getObjectId() != null) {
          out.add(r.getObjectId());
        }
      }
    }
    return out;
  }
}
