package dev.checkpointguard.server;

import dev.checkpointguard.core.Messages;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.RejectedExecutionException;
import org.apache.sshd.server.Environment;
import org.apache.sshd.server.ExitCallback;
import org.apache.sshd.server.channel.ChannelSession;
import org.apache.sshd.server.command.Command;
import org.eclipse.jgit.errors.RepositoryNotFoundException;
import org.eclipse.jgit.errors.UnpackException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.ReceivePack;
import org.eclipse.jgit.transport.UploadPack;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One exec (or shell) request of an SSH session: {@code git-upload-pack} or {@code
 * git-receive-pack} for a repository of the served folder, run with JGit's {@link UploadPack} /
 * {@link ReceivePack} on the server's command pool. Anything else gets one line on standard error
 * and exit code 1:
 *
 * <ul>
 *   <li>a shell, another command, or a malformed git command;
 *   <li>a path that is not a repository served here (the same answer for every reason: {@link
 *       ReposResolver});
 *   <li>a key that left the authorized_keys file since the session logged in (a connection kept
 *       open, e.g. by OpenSSH's {@code ControlMaster}, must not outlive a revocation), or an
 *       authorized_keys file that is invalid now;
 *   <li>a push to a repository whose config says {@code http.receivepack = false}, or a fetch where
 *       {@code http.uploadpack = false}: the same per-repository switches as over HTTP.
 * </ul>
 *
 * Pushes take their {@link ReceivePack} from {@link GuardedReceivePackFactory#create(Repository,
 * String, String)}, the one place that sets up the guard, limits, reflog identity and push log for
 * both transports. With protocol v2 ({@code GIT_PROTOCOL=version=2}, which git sends with {@code
 * SendEnv}), fetches use v2. Nothing the client sees carries a server path, a stack trace or an
 * exception class.
 */
final class GitSshCommand implements Command {
  private static final Logger LOG = LoggerFactory.getLogger(GitSshCommand.class);

  static final String NO_SHELL =
      "this server has no shell: it serves git fetch and push only (git-upload-pack, git-receive-pack)";

  private final GitSshServer.Context context;
  private final String line;
  private InputStream in;
  private OutputStream out;
  private OutputStream err;
  private ExitCallback exit;

  /**
   * @param line the exec request, or null for a shell request
   */
  GitSshCommand(GitSshServer.Context context, String line) {
    this.context = context;
    this.line = line;
  }

  @Override
  public void setInputStream(InputStream in) {
    this.in = in;
  }

  @Override
  public void setOutputStream(OutputStream out) {
    this.out = out;
  }

  @Override
  public void setErrorStream(OutputStream err) {
    this.err = err;
  }

  @Override
  public void setExitCallback(ExitCallback callback) {
    this.exit = callback;
  }

  @Override
  public void start(ChannelSession channel, Environment env) {
    AuthorizedKeys.Key key = channel.getServerSession().getAttribute(GitSshServer.KEY);
    String address = GitSshServer.address(channel.getServerSession());
    String protocol = env.getEnv().get("GIT_PROTOCOL");
    try {
      context.executor().execute(() -> run(key, address, protocol));
    } catch (RejectedExecutionException e) {
      finish(1, "checkpoint-guard: the server is stopping; try again shortly");
    }
  }

  @Override
  public void destroy(ChannelSession channel) {
    // The channel is closed: a command still reading gets end of input, then its error ends it.
    try {
      if (in != null) {
        in.close();
      }
    } catch (IOException e) {
      // nothing more to do
    }
  }

  private void run(AuthorizedKeys.Key loggedIn, String address, String protocol) {
    int code = 1;
    String refusal = null;
    try {
      AuthorizedKeys.Key key = loggedIn == null ? null : context.keys().find(loggedIn.key());
      if (key == null) {
        String problem = context.keys().problem();
        if (problem != null) {
          LOG.error("SSH command from {} refused: {}", address, problem);
          refusal =
              "checkpoint-guard: SSH logins are unavailable: the server's authorized keys file is invalid";
        } else {
          LOG.warn(
              "SSH command from {} refused: key {} is no longer authorized",
              address,
              loggedIn == null ? "?" : loggedIn.fingerprint());
          refusal = "checkpoint-guard: your key is no longer authorized on this server";
        }
        return;
      }
      if (line == null) {
        refusal = "checkpoint-guard: hello " + key.name() + "; " + NO_SHELL;
        return;
      }
      SshCommandLine command = SshCommandLine.parse(line);
      if (command == null) {
        LOG.warn(
            "SSH command refused for {} from {}: {}",
            key.name(),
            address,
            Messages.printable(line, 200));
        refusal = "checkpoint-guard: refused '" + Messages.printable(line, 80) + "': " + NO_SHELL;
        return;
      }
      String name = command.repositoryName();
      Repository repo;
      try {
        repo = context.resolver().open(null, name);
      } catch (RepositoryNotFoundException e) {
        String shown =
            command.path() == null ? line.substring(line.indexOf(' ') + 1) : command.path();
        refusal = "checkpoint-guard: no repository '" + Messages.printable(shown, 200) + "' here";
        return;
      }
      try (repo) {
        code = serve(command.service(), repo, key, address, protocol);
        if (code == SWITCHED_OFF) {
          refusal =
              "checkpoint-guard: "
                  + name
                  + " is "
                  + (command.service() == SshCommandLine.Service.RECEIVE_PACK
                      ? "fetch-only"
                      : "not served for fetch")
                  + " here";
        }
      }
    } catch (RuntimeException | Error e) {
      LOG.error(
          "SSH command '{}' from {} failed",
          Messages.printable(String.valueOf(line), 200),
          address,
          e);
      refusal = "checkpoint-guard: the server failed; its log says why";
      code = 1;
    } finally {
      finish(refusal == null ? code : 1, refusal);
    }
  }

  private static final int SWITCHED_OFF = 2;

  /**
   * Runs the service: 0 when it ran to its end (whatever it answered the client), 1 when it ended
   * early (the client went away, or its pack was refused), {@link #SWITCHED_OFF} when the
   * repository's config switches the service off.
   */
  private int serve(
      SshCommandLine.Service service,
      Repository repo,
      AuthorizedKeys.Key key,
      String address,
      String protocol) {
    BufferedInputStream input = new BufferedInputStream(in, 64 * 1024);
    BufferedOutputStream output = new BufferedOutputStream(out, 64 * 1024);
    String repoName = repo.getDirectory().getName();
    try {
      if (service == SshCommandLine.Service.UPLOAD_PACK) {
        if (!repo.getConfig().getBoolean("http", "uploadpack", true)) {
          return SWITCHED_OFF;
        }
        UploadPack up = new UploadPack(repo);
        if (protocol != null && !protocol.isEmpty()) {
          up.setExtraParameters(Arrays.asList(protocol.split(":")));
        }
        up.upload(input, output, err);
      } else {
        if (!repo.getConfig().getBoolean("http", "receivepack", true)) {
          return SWITCHED_OFF;
        }
        ReceivePack rp = context.receivePacks().create(repo, key.name(), address);
        rp.receive(input, output, err);
      }
    } catch (UnpackException e) {
      // The client has been told in its status report; JGit's message may name server files, the
      // log keeps it.
      LOG.warn(
          "push to {} by {} from {} refused its pack: {}",
          repoName,
          key.name(),
          address,
          OneLineLog.chain(e.getCause() == null ? e : e.getCause()));
      return 1;
    } catch (IOException e) {
      // Mostly a client that went away mid-transfer; nothing was applied.
      LOG.info(
          "{} of {} by {} from {} ended early: {}",
          service.command,
          repoName,
          key.name(),
          address,
          OneLineLog.chain(e));
      return 1;
    } finally {
      try {
        output.flush();
      } catch (IOException e) {
        // the client is gone
      }
    }
    return 0;
  }

  /** Says {@code message} (if any) on standard error and ends the command with {@code code}. */
  private void finish(int code, String message) {
    try {
      if (message != null) {
        err.write((message + "\n").getBytes(StandardCharsets.UTF_8));
      }
      err.flush();
      out.flush();
    } catch (IOException e) {
      // the client is gone; the exit status below is all that is left to send
    }
    exit.onExit(code, message == null ? "" : message);
  }
}
