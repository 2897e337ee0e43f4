package dev.checkpointguard.stock;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;

/**
 * An unsigned, runnable checkpoint-guard jar for the end-to-end tests, built once per test JVM from
 * the test's own runtime classpath (main classes plus dependencies; test libraries left out,
 * signature files dropped as the shade plugin does). The tests run before {@code mvn package}, so
 * they cannot use {@code target/checkpoint-guard.jar}.
 */
final class TestJar {
  private static Path jar;

  private TestJar() {}

  static synchronized Path get() {
    if (jar == null) {
      try {
        jar = build(buildDirectory().resolve("stock-test").resolve("checkpoint-guard.jar"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return jar;
  }

  /**
   * The Maven build directory ({@code ${project.build.directory}}, {@code -DbuildDir=…}): the
   * parent of the folder this test class was loaded from ({@code <build>/test-classes}).
   */
  static Path buildDirectory() {
    try {
      Path classes =
          Path.of(TestJar.class.getProtectionDomain().getCodeSource().getLocation().toURI());
      return classes.toAbsolutePath().getParent();
    } catch (java.net.URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The repository's top directory (where install.sh is). */
  static Path sourceRoot() {
    return Path.of("").toAbsolutePath();
  }

  private static Path build(Path out) throws IOException {
    Files.createDirectories(out.getParent());
    Path tmp = Files.createTempFile(out.getParent(), "jar", ".tmp");
    Manifest mf = new Manifest();
    mf.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    mf.getMainAttributes().put(Attributes.Name.MAIN_CLASS, "dev.checkpointguard.cli.Main");
    Set<String> seen = new HashSet<>();
    try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(tmp), mf)) {
      seen.add("META-INF/MANIFEST.MF");
      for (String entry : System.getProperty("java.class.path").split(File.pathSeparator)) {
        Path p = Path.of(entry);
        String name = p.getFileName().toString();
        if (name.equals("test-classes") || isTestLibrary(name)) {
          continue;
        }
        if (Files.isDirectory(p)) {
          try (Stream<Path> files = Files.walk(p)) {
            for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
              String n = p.relativize(f).toString().replace(File.separatorChar, '/');
              try (InputStream in = Files.newInputStream(f)) {
                add(jos, seen, n, in);
              }
            }
          }
        } else if (name.endsWith(".jar")) {
          try (JarFile jf = new JarFile(p.toFile(), false)) {
            for (JarEntry e : (Iterable<JarEntry>) jf.stream()::iterator) {
              if (!e.isDirectory()) {
                try (InputStream in = jf.getInputStream(e)) {
                  add(jos, seen, e.getName(), in);
                }
              }
            }
          }
        }
      }
    }
    Files.move(tmp, out, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    return out;
  }

  private static boolean isTestLibrary(String jarName) {
    for (String prefix :
        new String[] {
          "junit", "opentest4j", "apiguardian", "jmh", "jopt", "commons-math3", "surefire"
        }) {
      if (jarName.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private static void add(JarOutputStream jos, Set<String> seen, String name, InputStream in)
      throws IOException {
    String upper = name.toUpperCase(java.util.Locale.ROOT);
    boolean signature =
        upper.startsWith("META-INF/")
            && (upper.endsWith(".SF")
                || upper.endsWith(".RSA")
                || upper.endsWith(".DSA")
                || upper.endsWith(".EC"));
    if (signature || name.endsWith("module-info.class") || !seen.add(name)) {
      return;
    }
    jos.putNextEntry(new JarEntry(name));
    in.transferTo((OutputStream) jos);
    jos.closeEntry();
  }
}
