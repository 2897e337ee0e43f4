package dev.checkpointguard.jgit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The library jar ({@code checkpoint-guard-<version>-lib.jar}, built by {@code mvn package}) holds
 * the policy core and the JGit hook only, and works with nothing but its documented dependencies:
 * JGit (with its own), jackson-core and slf4j-api. No shaded JGit, no logging binding, no command
 * line.
 */
class LibraryJarIT {
  @TempDir Path tmp;

  @Test
  void theLibraryJarHoldsCoreAndHookOnlyAndRunsOnItsDependencies() throws Exception {
    String jarProperty = System.getProperty("checkpointGuard.libraryJar");
    assumeTrue(jarProperty != null, "set by the failsafe plugin: run mvn verify");
    Path jar = Path.of(jarProperty);
    assertTrue(Files.isRegularFile(jar), jar + " is missing: the package phase must run first");
    List<String> foreign = new ArrayList<>();
    try (JarFile j = new JarFile(jar.toFile())) {
      j.stream()
          .map(e -> e.getName())
          .filter(n -> n.endsWith(".class"))
          .filter(
              n ->
                  !n.startsWith("dev/checkpointguard/core/")
                      && !n.startsWith("dev/checkpointguard/jgit/"))
          .forEach(foreign::add);
      assertEquals(null, j.getManifest().getMainAttributes().getValue("Main-Class"));
      assertEquals(null, j.getEntry("simplelogger.properties"));
    }
    assertEquals(List.of(), foreign, "classes outside core and jgit");

    String deps = System.getProperty("checkpointGuard.libraryDependencies");
    String testClasses =
        Path.of(LibraryUse.class.getProtectionDomain().getCodeSource().getLocation().toURI())
            .toString();
    String cp = jar + File.pathSeparator + deps + File.pathSeparator + testClasses;
    Path out = tmp.resolve("out");
    Process p =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Duser.home=" + tmp,
                "-cp",
                cp,
                LibraryUse.class.getName())
            .redirectErrorStream(true)
            .redirectOutput(out.toFile())
            .start();
    p.getOutputStream().close();
    assertTrue(p.waitFor(5, TimeUnit.MINUTES));
    String text = Files.readString(out, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), text);
    assertTrue(
        text.contains("REJECTED_OTHER_REASON checkpoint-guard: ")
            && text.contains("(rule unknown-ref)"),
        text);
  }
}
