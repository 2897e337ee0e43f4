package dev.checkpointguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Io;
import dev.checkpointguard.fixtures.OpenSsh;
import dev.checkpointguard.server.GuardedServer;
import dev.checkpointguard.server.ServerTestAccess;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code serve}'s SSH options, in-process through {@link Main}: what starts, and every usage error.
 */
class ServeSshOptionsTest {
  @TempDir Path tmp;

  private record Outcome(int exit, String out, String err) {}

  private Outcome runOnce(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            Map.of());
    StopSignal stop = StopSignal.manual();
    stop.stop();
    int code = new Main(io, List.of(new ServeCommand(tmp, () -> stop))).run(args);
    return new Outcome(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void badSshOptionsAreUsageErrorsInOneLine() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("srv"));
    String r = repos.toString();
    Path keys =
        Files.writeString(
            tmp.resolve("authorized_keys"), OpenSsh.keygen(tmp, "k", "k").publicLine() + "\n");
    Path badKeys =
        Files.writeString(
            tmp.resolve("bad_keys"), "# keys\nfrom=\"10.0.0.1\" ssh-ed25519 AAAA x\n");
    Path openHostKey = OpenSsh.keygen(tmp, "host", "host").privateKey();
    Files.setPosixFilePermissions(openHostKey, PosixFilePermissions.fromString("rw-r--r--"));
    try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      int port = taken.getLocalPort();
      Object[][] cases = {
        {
          new String[] {"serve", "--repos", r, "--ssh-port", "0"},
          "checkpoint-guard serve: --ssh-port needs --authorized-keys FILE (the keys that may fetch and push, in "
              + "OpenSSH's authorized_keys format)\n"
        },
        {
          new String[] {
            "serve", "--repos", r, "--anonymous-push", "--authorized-keys", keys.toString()
          },
          "checkpoint-guard serve: --authorized-keys needs --ssh-port\n"
        },
        {
          new String[] {
            "serve", "--repos", r, "--anonymous-push", "--ssh-host-key", keys.toString()
          },
          "checkpoint-guard serve: --ssh-host-key needs --ssh-port\n"
        },
        {
          new String[] {
            "serve",
            "--repos",
            r,
            "--ssh-port",
            "0",
            "--authorized-keys",
            tmp.resolve("nope").toString()
          },
          "checkpoint-guard serve: authorized keys file "
              + tmp.resolve("nope")
              + " does not exist\n"
        },
        {
          new String[] {
            "serve", "--repos", r, "--ssh-port", "99999", "--authorized-keys", keys.toString()
          },
          "checkpoint-guard serve: --ssh-port must be a whole number from 0 to 65535, not '99999'\n"
        },
        {
          new String[] {
            "serve",
            "--repos",
            r,
            "--port",
            "0",
            "--ssh-port",
            "0",
            "--authorized-keys",
            badKeys.toString()
          },
          "checkpoint-guard serve: "
              + badKeys
              + " line 2: option 'from' is not supported: serve would not enforce "
              + "it (accepted: restrict, no-port-forwarding, no-agent-forwarding, no-X11-forwarding, no-pty, "
              + "no-user-rc)\n"
        },
        {
          new String[] {
            "serve",
            "--repos",
            r,
            "--port",
            "0",
            "--ssh-port",
            "0",
            "--authorized-keys",
            keys.toString(),
            "--ssh-host-key",
            openHostKey.toString()
          },
          "checkpoint-guard serve: SSH host key "
              + openHostKey
              + " can be read or written by others than its "
              + "owner; make it private: chmod 600 '"
              + openHostKey
              + "'\n"
        },
        {
          new String[] {
            "serve",
            "--repos",
            r,
            "--port",
            "0",
            "--ssh-port",
            Integer.toString(port),
            "--authorized-keys",
            keys.toString()
          },
          "checkpoint-guard serve: cannot listen for SSH on 127.0.0.1:"
              + port
              + ": Address already in use\n"
        },
      };
      for (Object[] c : cases) {
        Outcome o = runOnce((String[]) c[0]);
        assertEquals(2, o.exit(), String.join(" ", (String[]) c[0]) + "\n" + o.err());
        assertEquals(c[1], o.err());
        assertEquals("", o.out());
      }
    }
  }

  @Test
  void theJsonReadyLineNamesTheSshUrl() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("srv"));
    Path keys =
        Files.writeString(
            tmp.resolve("authorized_keys"), OpenSsh.keygen(tmp, "k", "k").publicLine() + "\n");
    try (GuardedServer s =
        GuardedServer.start(
            GuardedServer.Config.builder(repos)
                .port(0)
                .ssh(new GuardedServer.Config.Ssh(null, 0, keys, null))
                .build())) {
      assertEquals(
          "{\"time\":\"2026-01-02T03:04:05Z\",\"event\":\"serving\",\"repositories\":\""
              + s.reposDir()
              + "\",\"url\":\""
              + s.url()
              + "\",\"ssh_url\":\""
              + s.sshUrl()
              + "\"}",
          ServeCommand.readyJson(s, java.time.Instant.parse("2026-01-02T03:04:05Z")));
    }
  }

  @Test
  void authorizedKeysAloneIsEnoughHttpPushIsThenOffAndBothTransportsStop() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("srv"));
    Path keys =
        Files.writeString(
            tmp.resolve("authorized_keys"), OpenSsh.keygen(tmp, "k", "k").publicLine() + "\n");
    StopSignal stop = StopSignal.manual();
    java.io.PipedInputStream outIn = new java.io.PipedInputStream();
    PrintStream out =
        new PrintStream(new java.io.PipedOutputStream(outIn), true, StandardCharsets.UTF_8);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            out,
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            Map.of());
    Main main = new Main(io, List.of(new ServeCommand(tmp, () -> stop)));
    CompletableFuture<Integer> exit =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return main.run(
                    "serve",
                    "--repos",
                    repos.toString(),
                    "--port",
                    "0",
                    "--ssh-port",
                    "0",
                    "--authorized-keys",
                    keys.toString());
              } finally {
                out.close();
              }
            });
    String ready =
        new java.io.BufferedReader(new java.io.InputStreamReader(outIn, StandardCharsets.UTF_8))
            .readLine();
    Matcher m =
        Pattern.compile(
                "checkpoint-guard serving (.+) at (http://127\\.0\\.0\\.1:(\\d+)/) and "
                    + "ssh://127\\.0\\.0\\.1:(\\d+)/")
            .matcher(String.valueOf(ready));
    assertTrue(m.matches(), ready + "\n" + err.toString(StandardCharsets.UTF_8));
    assertEquals(repos.toRealPath().toString(), m.group(1));
    int http = Integer.parseInt(m.group(3));
    int ssh = Integer.parseInt(m.group(4));
    Path hostKey = repos.toRealPath().resolve(".ssh_host_ed25519_key");
    String log = err.toString(StandardCharsets.UTF_8);
    assertTrue(
        Pattern.compile(
                "(?m)^checkpoint-guard: SSH host key ssh-ed25519 SHA256:[A-Za-z0-9+/]{43} \\(generated "
                    + "into "
                    + Pattern.quote(hostKey.toString())
                    + "\\)$")
            .matcher(log)
            .find(),
        log);

    Files.createDirectories(repos.resolve("x.git"));
    ServerTestAccess.bareRepo(repos.resolve("y.git"));
    HttpClient client = HttpClient.newHttpClient();
    URI base = URI.create(m.group(2));
    assertEquals(
        403,
        client
            .send(
                HttpRequest.newBuilder(base.resolve("y.git/info/refs?service=git-receive-pack"))
                    .build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode(),
        "no HTTP push without --users");
    assertEquals(
        200,
        client
            .send(
                HttpRequest.newBuilder(base.resolve("y.git/info/refs?service=git-upload-pack"))
                    .build(),
                HttpResponse.BodyHandlers.discarding())
            .statusCode(),
        "fetch is open as before");
    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), ssh)) {
      byte[] banner = s.getInputStream().readNBytes("SSH-2.0-checkpoint-guard\r\n".length());
      assertEquals("SSH-2.0-checkpoint-guard\r\n", new String(banner, StandardCharsets.US_ASCII));
    }

    stop.stop();
    assertEquals(0, exit.get(30, TimeUnit.SECONDS));
    assertTrue(
        err.toString(StandardCharsets.UTF_8)
            .endsWith("checkpoint-guard: stopping\ncheckpoint-guard: stopped\n"));
    for (int port : new int[] {http, ssh}) {
      assertThrows(
          ConnectException.class,
          () -> new Socket(InetAddress.getLoopbackAddress(), port).close(),
          "port " + port + " still open");
    }
  }
}
