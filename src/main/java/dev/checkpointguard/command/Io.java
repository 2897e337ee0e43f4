package dev.checkpointguard.command;

import java.io.InputStream;
import java.io.PrintStream;
import java.util.Map;

/**
 * The process's streams and environment, passed in so that every command can be driven from a test.
 *
 * @param out standard output (reports)
 * @param err standard error (diagnostics, progress, hook messages)
 * @param in standard input (hook input)
 * @param env the environment variables
 */
public record Io(PrintStream out, PrintStream err, InputStream in, Map<String, String> env) {
  public static Io system() {
    return new Io(System.out, System.err, System.in, System.getenv());
  }
}
