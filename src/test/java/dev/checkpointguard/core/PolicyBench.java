package dev.checkpointguard.core;

import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FixtureClock;
import dev.checkpointguard.fixtures.ServerRepo;
import java.util.ArrayList;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;

/**
 * One policy test's world: clients that share a clock, an in-memory server, and the settings to
 * judge with. Verdicts are rendered as {@code "<short ref> <OUTCOME>[ <rule>]"} so that table rows
 * read like the spec.
 */
final class PolicyBench implements AutoCloseable {
  final FixtureClock clock = new FixtureClock();
  final ServerRepo server = new ServerRepo();
  private final List<ClientRepo> clients = new ArrayList<>();
  GuardSettings settings = GuardSettings.defaults();

  /** Tree-read memo for the policy; none by default, so that tests exercise the uncached reads. */
  CheckpointSetCache cache = CheckpointSetCache.NONE;

  /** The most checkpoints the policy reads from one tree. */
  int maxCheckpoints = CheckpointTrees.MAX_CHECKPOINTS;

  /**
   * The loss rule's unit: transcript paths (the rule), or paths with their blobs (a measurement).
   */
  CheckpointTrees.Matching matching = CheckpointTrees.Matching.PATH;

  /** A new client of {@code version}; every client gets its own ID seed. */
  ClientRepo client(ClientVersion version) {
    return client(version, ClientRepo.DEFAULT_THRESHOLD);
  }

  ClientRepo client(ClientVersion version, int threshold) {
    ClientRepo c =
        ClientRepo.builder(version)
            .clock(clock)
            .seed(clients.size() + 1)
            .threshold(threshold)
            .user(
                "Client " + (clients.size() + 1), "client" + (clients.size() + 1) + "@example.com")
            .buildInMemory();
    clients.add(c);
    return c;
  }

  CheckpointPolicy policy() {
    return new CheckpointPolicy(settings, cache, clock, maxCheckpoints).withMatching(matching);
  }

  /**
   * Sets the server's {@code refs} to the client's values, as an earlier accepted push would have.
   */
  PolicyBench publish(ClientRepo c, String... refs) {
    server.mirror(c, refs);
    return this;
  }

  /** Judges {@code changes} (objects copied from {@code c}) and applies the accepted ones. */
  List<Verdict> push(ClientRepo c, RefChange... changes) {
    return server.push(policy(), c, List.of(changes));
  }

  /** Judges the client's values of {@code refs}, applying the accepted ones. */
  List<Verdict> pushRefs(ClientRepo c, String... refs) {
    return server.pushRefs(policy(), c, refs);
  }

  /** Judges without applying. */
  List<Verdict> evaluate(ClientRepo c, RefChange... changes) {
    for (RefChange ch : changes) {
      if (!ch.isDelete()) {
        server.receiveObjects(c, ch.newId());
      }
    }
    return server.evaluate(policy(), List.of(changes));
  }

  RefChange change(String ref, ObjectId newId) {
    return server.change(ref, newId);
  }

  RefChange changeTo(ClientRepo c, String ref) {
    return server.changeTo(c, ref);
  }

  static List<String> render(List<Verdict> verdicts) {
    List<String> out = new ArrayList<>();
    for (Verdict v : verdicts) {
      out.add(render(v));
    }
    return out;
  }

  static String render(Verdict v) {
    String s = RefNames.shortName(v.ref()) + " " + v.outcome();
    return v.rule() == Rule.NONE ? s : s + " " + v.rule().id();
  }

  @Override
  public void close() {
    clients.forEach(ClientRepo::close);
    server.close();
  }
}
