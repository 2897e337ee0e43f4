package dev.checkpointguard.e2e;

import dev.checkpointguard.fixtures.GitCli;
import dev.checkpointguard.fixtures.OpenSsh;
import dev.checkpointguard.server.GuardedServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ConditionEvaluationResult;
import org.junit.jupiter.api.extension.ExecutionCondition;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The client-version matrix of {@link ClientVersionMatrixTest} over {@code ssh://}: the same client
 * versions, the same pushes with the real git binary, the same assertions on every ref's result,
 * the text the pusher sees and the server's refs, with git reaching the server through the real
 * OpenSSH client ({@link OpenSsh}, isolated from the account's {@code ~/.ssh}) and serve's SSH
 * transport. HTTP push is off on this server.
 *
 * <p>To keep the suite's time down, {@code mvn verify} runs the {@link #OVER_SSH} part of the
 * matrix over SSH: every client version and every kind of push and answer (leases, fetch-first,
 * rejections with and without {@code non-fast-forward}, warnings on the side band, deletes, unknown
 * refs). The rest are further scenarios built from the same pushes; {@code
 * -DcheckpointGuard.sshMatrix=full} runs all of them over SSH too.
 */
@ExtendWith(ClientVersionMatrixSshTest.Selected.class)
class ClientVersionMatrixSshTest extends ClientVersionMatrixTest {
  static final Set<String> OVER_SSH =
      Set.of(
          "v062RotationPublishesTheArchiveThenResetsWithALease",
          "v062AppenderBehindARotationMergesIntoTheArchive",
          "staleForcePushIsRejectedThenTheClientMergesAndRetries",
          "archiveAndResetInOnePushAreJudgedTogether",
          "v060MigrationPushLosesOnlyTheUnderThresholdArchive",
          "v060MigrationPushInWarnModeIsAcceptedWithAWarning",
          "v061MigrationPushIsAccepted",
          "v05ThreePushesRehydrateCurrentAfterALocalRotation",
          "retentionDeleteWithALease",
          "retentionDeleteRefusedWhenTheRepositoryForbidsIt",
          "metadataRepairPushWithALease",
          "unknownRefIsRejected",
          "nonCommitValuesAreRejected");

  /** Runs the {@link #OVER_SSH} tests, or all with {@code -DcheckpointGuard.sshMatrix=full}. */
  static final class Selected implements ExecutionCondition {
    @Override
    public ConditionEvaluationResult evaluateExecutionCondition(ExtensionContext context) {
      if ("full".equals(System.getProperty("checkpointGuard.sshMatrix"))) {
        return ConditionEvaluationResult.enabled("full matrix over SSH");
      }
      return context
          .getTestMethod()
          .map(
              m ->
                  OVER_SSH.contains(m.getName())
                      ? ConditionEvaluationResult.enabled("part of the matrix over SSH")
                      : ConditionEvaluationResult.disabled(
                          "over HTTP only in mvn verify; -DcheckpointGuard.sshMatrix=full runs it over SSH"))
          .orElse(ConditionEvaluationResult.enabled("the class"));
    }
  }

  static OpenSsh.Key key;
  static Path knownHosts;

  /** Hides the superclass's HTTP-only server: this one takes pushes over SSH only. */
  @BeforeAll
  static void startServer() throws IOException {
    Path repos = Files.createDirectories(shared.resolve("repos"));
    key = OpenSsh.keygen(shared.resolve("keys"), "pusher", "pusher@test");
    Path keys = Files.writeString(shared.resolve("authorized_keys"), key.publicLine() + "\n");
    server =
        GuardedServer.start(
            GuardedServer.Config.builder(repos)
                .port(0)
                .ssh(new GuardedServer.Config.Ssh(null, 0, keys, null))
                .build());
    knownHosts =
        OpenSsh.knownHosts(
            shared.resolve("known_hosts"),
            "127.0.0.1",
            server.sshPort(),
            server.sshHostKey().publicKey());
  }

  @Override
  GitCli git(Path home) {
    return OpenSsh.git(new GitCli(home), key, knownHosts);
  }

  @Override
  String remote(String name) {
    return server.sshUrl().resolve(name).toString();
  }
}
