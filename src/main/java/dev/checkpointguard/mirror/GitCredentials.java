package dev.checkpointguard.mirror;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.eclipse.jgit.errors.UnsupportedCredentialItem;
import org.eclipse.jgit.transport.CredentialItem;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.NetRC;
import org.eclipse.jgit.transport.URIish;

/**
 * HTTP credentials from git's own mechanisms, never from the command line: first {@code ~/.netrc}
 * (the {@code HOME} of the environment given), then git's credential helpers through {@code git
 * credential fill} (whatever {@code credential.helper} the user's git config names: store, cache,
 * libsecret, a vault helper…), with terminal prompts off so that a sync never waits for a person.
 * Credentials a helper gave are reported back as git does: {@code git credential approve} after a
 * successful fetch, {@code git credential reject} when the server refused them.
 *
 * <p>Nothing here logs or prints a credential; the helper's own output is read and discarded.
 */
final class GitCredentials extends CredentialsProvider {
  /** How long {@code git credential} may take (a helper may ask a keyring). */
  static final long HELPER_TIMEOUT_SECONDS = 30;

  private final Map<String, String> env;

  /** The helper's answer last used, for approve/reject; null when none came from a helper. */
  private Map<String, String> fromHelper;

  GitCredentials(Map<String, String> env) {
    this.env = env;
  }

  @Override
  public boolean isInteractive() {
    return false;
  }

  @Override
  public boolean supports(CredentialItem... items) {
    for (CredentialItem i : items) {
      if (!(i instanceof CredentialItem.Username) && !(i instanceof CredentialItem.Password)) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean get(URIish uri, CredentialItem... items) throws UnsupportedCredentialItem {
    String user = uri.getUser();
    char[] password = null;
    NetRC.NetRCEntry e = netrc(uri.getHost());
    if (e != null && (user == null || user.equals(e.login))) {
      user = e.login;
      password = e.password;
    } else {
      Map<String, String> answer = fill(uri, user);
      if (answer != null && answer.get("password") != null) {
        fromHelper = answer;
        user = answer.getOrDefault("username", user);
        password = answer.get("password").toCharArray();
      }
    }
    if (user == null || password == null) {
      return false;
    }
    for (CredentialItem i : items) {
      if (i instanceof CredentialItem.Username u) {
        u.setValue(user);
      } else if (i instanceof CredentialItem.Password p) {
        p.setValue(password);
      } else {
        throw new UnsupportedCredentialItem(uri, i.getClass().getName() + ":" + i.getPromptText());
      }
    }
    return true;
  }

  /** The server refused what we sent: tell the helper to forget it, as git does. */
  @Override
  public void reset(URIish uri) {
    if (fromHelper != null) {
      helper("reject", fromHelper);
      fromHelper = null;
    }
  }

  /** The fetch succeeded: let the helper store what it gave, as git does. */
  void approve() {
    if (fromHelper != null) {
      helper("approve", fromHelper);
    }
  }

  private NetRC.NetRCEntry netrc(String host) {
    String home = env.get("HOME");
    File f = new File(home != null ? home : System.getProperty("user.home"), ".netrc");
    if (host == null || !f.isFile()) {
      return null;
    }
    try {
      NetRC.NetRCEntry e = new NetRC(f).getEntry(host);
      return e != null && e.login != null && e.password != null ? e : null;
    } catch (RuntimeException unreadable) {
      return null; // a .netrc git's curl could not read either: fall through to the helpers
    }
  }

  /**
   * {@code git credential fill} for {@code uri}; null when git is missing or no helper answered.
   */
  private Map<String, String> fill(URIish uri, String user) {
    Map<String, String> q = new java.util.LinkedHashMap<>();
    q.put("protocol", uri.getScheme());
    q.put("host", uri.getPort() > 0 ? uri.getHost() + ":" + uri.getPort() : uri.getHost());
    String path = uri.getPath();
    if (path != null && path.startsWith("/")) {
      path = path.substring(1);
    }
    if (path != null && !path.isEmpty()) {
      q.put("path", path);
    }
    if (user != null) {
      q.put("username", user);
    }
    String out = run(List.of("credential", "fill"), q);
    if (out == null) {
      return null;
    }
    Map<String, String> answer = new HashMap<>(q);
    for (String line : out.split("\n")) {
      int eq = line.indexOf('=');
      if (eq > 0) {
        answer.put(line.substring(0, eq), line.substring(eq + 1));
      }
    }
    return answer;
  }

  private void helper(String action, Map<String, String> fields) {
    run(List.of("credential", action), fields);
  }

  /** Runs {@code git <args>} with {@code fields} as input; its output, or null when it failed. */
  private String run(List<String> args, Map<String, String> fields) {
    List<String> cmd = new ArrayList<>();
    cmd.add("git");
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().clear();
    pb.environment().putAll(env);
    pb.environment().put("GIT_TERMINAL_PROMPT", "0");
    pb.redirectError(ProcessBuilder.Redirect.DISCARD);
    try {
      Process p = pb.start();
      StringBuilder in = new StringBuilder();
      fields.forEach((k, v) -> in.append(k).append('=').append(v).append('\n'));
      in.append('\n');
      try (OutputStream o = p.getOutputStream()) {
        o.write(in.toString().getBytes(StandardCharsets.UTF_8));
      } catch (IOException closedEarly) {
        // the helper exited without reading: its exit code says what happened
      }
      // read in the background, so that a helper that hangs with its output open cannot hang the
      // sync
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      InputStream stdout = p.getInputStream();
      java.util.concurrent.CompletableFuture<Void> reading =
          java.util.concurrent.CompletableFuture.runAsync(
              () -> {
                try (stdout) {
                  stdout.transferTo(out);
                } catch (IOException e) {
                  // the process was killed: what was read is discarded below
                }
              });
      if (!p.waitFor(HELPER_TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        return null;
      }
      try {
        reading.get(5, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        return null;
      }
      return p.exitValue() == 0 ? out.toString(StandardCharsets.UTF_8) : null;
    } catch (IOException e) {
      return null; // no git on PATH: no helpers
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }
}
