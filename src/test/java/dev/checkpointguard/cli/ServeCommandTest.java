package dev.checkpointguard.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.fixtures.TestJson;
import dev.checkpointguard.server.ServerTestAccess;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jgit.lib.RepositoryCache;
import org.eclipse.jgit.util.FS;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code serve} driven in-process through {@link Main}. */
class ServeCommandTest {
  private static final Pattern READY =
      Pattern.compile("checkpoint-guard serving (.+) at (http://127\\.0\\.0\\.1:(\\d+)/)");

  @TempDir Path tmp;

  /** A running {@code serve}: its ready line, and how to stop it. */
  private record Running(
      String readyLine,
      URI url,
      StopSignal stop,
      CompletableFuture<Integer> exit,
      ByteArrayOutputStream err) {}

  private Running serve(String... args) throws Exception {
    StopSignal stop = StopSignal.manual();
    PipedInputStream outIn = new PipedInputStream();
    PrintStream out = new PrintStream(new PipedOutputStream(outIn), true, StandardCharsets.UTF_8);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Io io =
        new Io(
            out,
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new ByteArrayInputStream(new byte[0]),
            Map.of());
    Main main = new Main(io, List.of(new ServeCommand(tmp, () -> stop)));
    CompletableFuture<Integer> exit = new CompletableFuture<>();
    Thread t =
        new Thread(
            () -> {
              try {
                exit.complete(main.run(args));
              } finally {
                out.close();
              }
            },
            "serve-under-test");
    t.setDaemon(true);
    t.start();
    BufferedReader lines = new BufferedReader(new InputStreamReader(outIn, StandardCharsets.UTF_8));
    String ready = lines.readLine();
    if (ready == null) {
      throw new AssertionError(
          "serve ended without a ready line (exit "
              + exit.get(10, TimeUnit.SECONDS)
              + "): "
              + err.toString(StandardCharsets.UTF_8));
    }
    Matcher m = READY.matcher(ready);
    assertTrue(m.matches(), ready);
    return new Running(ready, URI.create(m.group(2)), stop, exit, err);
  }

  private static int get(URI uri) throws Exception {
    return HttpClient.newHttpClient()
        .send(HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void printsTheReadyLineServesAndStopsWithExitZero() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("srv"));
    ServerTestAccess.bareRepo(repos.resolve("x.git"));
    Running r = serve("serve", "--repos", repos.toString(), "--port", "0", "--anonymous-push");
    assertEquals(
        "checkpoint-guard serving " + repos.toRealPath() + " at " + r.url(), r.readyLine());
    assertEquals(200, get(r.url().resolve("x.git/info/refs?service=git-receive-pack")));
    r.stop().stop();
    assertEquals(0, r.exit().get(20, TimeUnit.SECONDS));
    assertTrue(r.err().toString(StandardCharsets.UTF_8).endsWith("checkpoint-guard: stopped\n"));
  }

  @Test
  void withoutReposItServesALocalDefaultWithAnonymousPushOnLoopback() throws Exception {
    Running r = serve("serve", "--port", "0");
    Path repo = tmp.resolve("repos").resolve("checkpoints.git");
    assertTrue(RepositoryCache.FileKey.isGitRepository(repo.toFile(), FS.DETECTED));
    assertEquals(
        "checkpoint-guard serving " + tmp.resolve("repos").toRealPath() + " at " + r.url(),
        r.readyLine());
    assertEquals(200, get(r.url().resolve("checkpoints.git/info/refs?service=git-receive-pack")));
    String err = r.err().toString(StandardCharsets.UTF_8);
    assertTrue(
        err.contains("checkpoint-guard: created the empty bare repository " + repo + "\n"), err);
    assertTrue(err.contains("with anonymous push (loopback only)"), err);
    r.stop().stop();
    assertEquals(0, r.exit().get(20, TimeUnit.SECONDS));

    // A second start reuses the folder and the repository.
    Running again = serve("serve", "--port", "0");
    assertTrue(!again.err().toString(StandardCharsets.UTF_8).contains("created"));
    again.stop().stop();
    assertEquals(0, again.exit().get(20, TimeUnit.SECONDS));
  }

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
  void jsonLogFormatMakesTheReadyLineTheFirstJsonRecord() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("srv"));
    Outcome o =
        runOnce(
            "serve",
            "--repos",
            repos.toString(),
            "--anonymous-push",
            "--port",
            "0",
            "--log-format",
            "json");
    assertEquals(0, o.exit(), o.err());
    Map<?, ?> ready = (Map<?, ?>) TestJson.parse(o.out().strip());
    assertEquals("serving", ready.get("event"));
    assertEquals(repos.toRealPath().toString(), ready.get("repositories"));
    assertTrue(
        ((String) ready.get("url")).matches("http://127\\.0\\.0\\.1:[0-9]+/"), ready.toString());
    assertTrue(java.time.Instant.parse((String) ready.get("time")) != null);
  }

  @Test
  void refusesToGuessWhoMayPushAndReportsBadOptionsInOneLine() throws Exception {
    Path repos = Files.createDirectories(tmp.resolve("srv"));
    Path users = Files.writeString(tmp.resolve("users"), "alice:nonsense\n");
    String r = repos.toString();
    Object[][] cases = {
      {
        new String[] {"serve", "--repos", r},
        "checkpoint-guard serve: who may push? give --users FILE (its lines: "
            + Invocation.of(Map.of()).command("hash-password", "--help")
            + ") or --anonymous-push\n"
      },
      {
        new String[] {"serve", "--repos", tmp.resolve("nope").toString(), "--anonymous-push"},
        "checkpoint-guard serve: --repos " + tmp.resolve("nope") + " is not a directory\n"
      },
      {
        new String[] {"serve", "--repos", r, "--anonymous-push", "--port", "70000"},
        "checkpoint-guard serve: --port must be a whole number from 0 to 65535, not '70000'\n"
      },
      {
        new String[] {"serve", "--repos", r, "--users", users.toString(), "--anonymous-push"},
        "checkpoint-guard serve: --users and --anonymous-push exclude each other\n"
      },
      {
        new String[] {"serve", "--repos", r, "--users", tmp.resolve("missing").toString()},
        "checkpoint-guard serve: users file " + tmp.resolve("missing") + " does not exist\n"
      },
      {
        new String[] {"serve", "--repos", r, "--users", users.toString(), "--port", "0"},
        "checkpoint-guard serve: "
            + users
            + " line 1: user alice: not a pbkdf2-sha256$<iterations>$<salt>$<hash> value (make one with 'hash-password')\n"
      },
      {
        new String[] {"serve", "--repos", r, "--anonymous-push", "--max-pack-size", "12q"},
        "checkpoint-guard serve: --max-pack-size must be a size like 500m, 2g or 0 (no limit), not '12q'\n"
      },
      {
        new String[] {"serve", "--port", "0", "--bind", "0.0.0.0"},
        "checkpoint-guard serve: --bind 0.0.0.0 is not a loopback address: give --users FILE or --anonymous-push\n"
      },
      {new String[] {"serve", "extra"}, "checkpoint-guard serve: unexpected argument 'extra'\n"},
      {
        new String[] {
          "serve", "--repos", r, "--anonymous-push", "--tls-keystore", users.toString()
        },
        "checkpoint-guard serve: --tls-keystore needs its password in $CHECKPOINT_GUARD_TLS_PASSWORD or --tls-password-file\n"
      },
      {
        new String[] {
          "serve", "--repos", r, "--anonymous-push", "--tls-password-file", users.toString()
        },
        "checkpoint-guard serve: --tls-password-file needs --tls-keystore\n"
      },
      {
        new String[] {
          "serve",
          "--repos",
          r,
          "--anonymous-push",
          "--tls-keystore",
          tmp.resolve("no.p12").toString(),
          "--tls-password-file",
          users.toString()
        },
        "checkpoint-guard serve: TLS keystore " + tmp.resolve("no.p12") + " does not exist\n"
      },
      {
        new String[] {"serve", "--repos", r, "--anonymous-push", "--log-format", "yaml"},
        "checkpoint-guard serve: --log-format must be text or json, not 'yaml'\n"
      },
    };
    for (Object[] c : cases) {
      Outcome o = runOnce((String[]) c[0]);
      assertEquals(2, o.exit(), String.join(" ", (String[]) c[0]));
      assertEquals(c[1], o.err());
      assertEquals("", o.out());
    }
  }

  @Test
  void sizesAcceptSuffixes() {
    assertEquals(0, ServeCommand.parseSize("0"));
    assertEquals(1536, ServeCommand.parseSize("1536"));
    assertEquals(64L << 10, ServeCommand.parseSize("64k"));
    assertEquals(500L << 20, ServeCommand.parseSize("500M"));
    assertEquals(2L << 30, ServeCommand.parseSize("2g"));
  }
}
