package dev.checkpointguard.server;

import dev.checkpointguard.core.CheckpointSetCache;
import dev.checkpointguard.core.Verdict;
import dev.checkpointguard.jgit.CheckpointGuardHook;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import org.eclipse.jgit.internal.storage.file.ObjectDirectory;
import org.eclipse.jgit.lib.PersonIdent;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.PostReceiveHookChain;
import org.eclipse.jgit.transport.PreReceiveHookChain;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.UnpackErrorHandler;
import org.eclipse.jgit.transport.resolver.ReceivePackFactory;
import org.eclipse.jgit.transport.resolver.ServiceNotAuthorizedException;
import org.eclipse.jgit.transport.resolver.ServiceNotEnabledException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes the {@link ReceivePack} of every push: the guard chained after any hook already installed,
 * reachability checks on, the configured size limits, the pusher's name in the reflog, and a record
 * of a one-line log of the push ({@link PushLog}), the guard's verdicts and the push's duration
 * counted in the server's metrics.
 *
 * <p>Defence in depth: it refuses to make one for a request that carries no authenticated user,
 * even though {@link PushAuthFilter} should have stopped such a request already. A repository whose
 * config says {@code http.receivepack = false} cannot be pushed to at all.
 */
final class GuardedReceivePackFactory implements ReceivePackFactory<HttpServletRequest> {
  private static final Logger LOG = LoggerFactory.getLogger(GuardedReceivePackFactory.class);

  private final long maxPackSize;
  private final long maxObjectSize;
  private final CheckpointSetCache cache;
  private final PushEvents events;
  private final Instant startedAt;
  private final Clock clock;

  GuardedReceivePackFactory(long maxPackSize, long maxObjectSize, CheckpointSetCache cache) {
    this(maxPackSize, maxObjectSize, cache, PushEvents.defaults());
  }

  /**
   * @param events where verdicts, push durations and the push log go
   */
  GuardedReceivePackFactory(
      long maxPackSize, long maxObjectSize, CheckpointSetCache cache, PushEvents events) {
    this(maxPackSize, maxObjectSize, cache, events, Instant.now(), Clock.systemUTC());
  }

  /**
   * @param events where verdicts, push durations and the push log go
   * @param startedAt when the server started: lock files older than that were left by a receive of
   *     an earlier process ({@link PackLeftovers})
   * @param clock the time {@link PackLeftovers} judges leftovers by
   */
  GuardedReceivePackFactory(
      long maxPackSize,
      long maxObjectSize,
      CheckpointSetCache cache,
      PushEvents events,
      Instant startedAt,
      Clock clock) {
    this.maxPackSize = maxPackSize;
    this.maxObjectSize = maxObjectSize;
    this.cache = cache;
    this.events = events;
    this.startedAt = startedAt;
    this.clock = clock;
  }

  /** The guard's verdicts of one push, handed from the pre-receive hook to the push log. */
  private static final class PushRecord {
    volatile List<Verdict> verdicts = List.of();
  }

  @Override
  public ReceivePack create(HttpServletRequest req, Repository db)
      throws ServiceNotEnabledException, ServiceNotAuthorizedException {
    String user = req.getRemoteUser();
    if (user == null || user.isEmpty()) {
      throw new ServiceNotAuthorizedException();
    }
    if (!db.getConfig().getBoolean("http", "receivepack", true)) {
      throw new ServiceNotEnabledException();
    }
    return create(db, user, req.getRemoteAddr());
  }

  /**
   * The {@link ReceivePack} of one push, whatever the transport: HTTP ({@link
   * #create(HttpServletRequest, Repository)}) and SSH ({@link GitSshCommand}) both make theirs
   * here, so that every push gets the same guard, limits, reflog identity and push log.
   *
   * @param user who pushes (an authenticated user name, or an SSH key's name), never empty
   * @param address the client's address, for the reflog and the push log
   */
  ReceivePack create(Repository db, String user, String address) {
    PushRecord record = new PushRecord();
    long start = events.ticker().getAsLong();
    removeLeftovers(db);

    ReceivePack rp = new ReceivePack(db);
    rp.setCheckReferencedObjectsAreReachable(true);
    if (maxPackSize > 0) {
      rp.setMaxPackSizeLimit(maxPackSize);
    }
    if (maxObjectSize > 0) {
      rp.setMaxObjectSizeLimit(maxObjectSize);
    }
    rp.setRefLogIdent(new PersonIdent(user, user + "@" + address));
    CheckpointGuardHook guard =
        new CheckpointGuardHook(
            null,
            cache,
            (pack, verdicts) -> {
              record.verdicts = List.copyOf(verdicts);
              events.metrics().onVerdicts(record.verdicts);
            });
    rp.setPreReceiveHook(PreReceiveHookChain.newChain(List.of(rp.getPreReceiveHook(), guard)));
    PushLog log = new PushLog(user, address, () -> record.verdicts, events, start);
    rp.setPostReceiveHook(PostReceiveHookChain.newChain(List.of(rp.getPostReceiveHook(), log)));
    UnpackErrorHandler report = rp.getUnpackErrorHandler();
    rp.setUnpackErrorHandler(
        err -> report.handleUnpackException(new IOException(UnpackErrors.forPusher(err))));
    return rp;
  }

  /**
   * Removes what killed receives left in the repository's object folder ({@link PackLeftovers}).
   */
  private void removeLeftovers(Repository db) {
    if (!(db.getObjectDatabase() instanceof ObjectDirectory od)) {
      return;
    }
    try {
      for (Path f : PackLeftovers.clean(od.getDirectory().toPath(), startedAt, clock.instant())) {
        LOG.info("removed {}, left by a receive that was killed", f);
      }
    } catch (IOException | RuntimeException e) {
      // the push goes on; if the leftover is in its way, its error says to try again
      LOG.warn(
          "could not remove what killed receives left in {}: {}", od.getDirectory(), e.toString());
    }
  }
}
