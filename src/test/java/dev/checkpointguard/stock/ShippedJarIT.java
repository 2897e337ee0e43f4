package dev.checkpointguard.stock;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.checkpointguard.command.Invocation;
import dev.checkpointguard.fixtures.ClientProtocol;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.ClientVersion;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.Test;

/**
 * The shipped artifact, not a jar rebuilt from the test class path: run by the failsafe plugin
 * after {@code package} ({@code mvn -B verify}), it installs {@code
 * ${project.build.directory}/checkpoint-guard.jar} (the shaded jar) with install.sh, including the
 * AppCDS training run, and pushes with real git.
 */
class ShippedJarIT extends StockHookFixture {
  @Test
  void theShadedJarInstalledByInstallShGuardsRealPushes() throws Exception {
    String property = System.getProperty("checkpointGuard.shippedJar");
    // only failsafe (mvn verify) sets it; a surefire run picked by -Dtest=... pattern skips this
    // test
    assumeTrue(
        property != null,
        "checkpointGuard.shippedJar is set by the failsafe plugin: run mvn verify");
    Path jar = Path.of(property);
    assertTrue(Files.isRegularFile(jar), jar + " is missing: the package phase must run first");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    GitCli.Result version =
        cli.exec(root, null, List.of(java, "-jar", jar.toString(), "--version")).expectOk();
    assertTrue(
        version.stdout().matches("checkpoint-guard \\d[^\\s]*\n"), "manifest version: " + version);

    // issue 9, defect 4: the shaded jar's hints name it as it was run and run as printed, from
    // elsewhere
    GitCli.Result usage = cli.exec(root, null, List.of(java, "-jar", jar.toString(), "restore"));
    assertEquals(2, usage.exitCode(), usage.toString());
    String hint =
        usage
            .stderr()
            .lines()
            .filter(l -> l.startsWith("Try: "))
            .findFirst()
            .orElseThrow()
            .substring("Try: ".length());
    assertTrue(
        hint.endsWith(
            " -jar "
                + Invocation.quote(jar.toAbsolutePath().normalize().toString())
                + " restore --help"),
        hint);
    GitCli.Result help = cli.exec(tmp, null, List.of("sh", "-c", hint)).expectOk();
    assertTrue(help.stdout().startsWith("usage: "), help.stdout());

    Path server = bare("server.git");
    cli.run(server, "config", "checkpointGuard.threshold", "3").expectOk();
    // no space in this prefix, so that JDK 17 really uses the class-data archive
    Path plainPrefix = tmp.resolve("prefix");
    GitCli.Result installed =
        installRaw(
                "--jar",
                jar.toString(),
                "--java",
                java,
                "--prefix",
                plainPrefix.toString(),
                "--repo",
                server.toString())
            .expectOk();
    assertTrue(
        installed
            .stdout()
            .contains(
                "created the class-data archive " + plainPrefix.resolve("checkpoint-guard.jsa")),
        installed.toString());
    assertEquals(-1, Files.mismatch(jar, plainPrefix.resolve("checkpoint-guard.jar")));
    GitCli.Result launched =
        cli.exec(
                tmp,
                null,
                List.of(plainPrefix.resolve("bin/checkpoint-guard").toString(), "--version"))
            .expectOk();
    assertEquals(
        version.stdout(), launched.stdout(), "the installed launcher runs the installed jar");

    GitCli git = new GitCli(root.resolve("client home"));
    try (ClientRepo c =
        ClientRepo.builder(ClientVersion.V0_6_2)
            .threshold(3)
            .buildOnDisk(root.resolve("client.git"))) {
      ClientProtocol p = new ClientProtocol(c, git, server.toString());
      c.checkpoints(2);
      ClientProtocol.Run first = p.prePush();
      assertTrue(first.ok(), first.transcript());
      c.checkpoints(2); // the first of these rotates
      assertFalse(c.archives().isEmpty());
      ClientProtocol.Run second = p.prePush();
      assertTrue(second.ok(), second.transcript());
      for (String ref : List.of(ClientRepo.MAIN, ClientRepo.CURRENT, c.latestArchive())) {
        assertEquals(c.ref(ref).name(), serverRef(server, ref), ref + "\n" + second.transcript());
      }

      ObjectId other = c.insertCommit(new FlatTree(), "Initialize v2 ref");
      GitCli.Result forced =
          git.run(
              c.directory(), "push", server.toString(), "+" + other.name() + ":" + ClientRepo.MAIN);
      assertEquals(1, forced.exitCode(), forced.toString());
      assertEquals(List.of(MAIN_HISTORY), forced.remoteLines(), forced.toString());
      assertEquals(c.ref(ClientRepo.MAIN).name(), serverRef(server, ClientRepo.MAIN));
    }
  }
}
