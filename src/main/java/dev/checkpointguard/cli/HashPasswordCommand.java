package dev.checkpointguard.cli;

import dev.checkpointguard.command.Command;
import dev.checkpointguard.command.Io;
import dev.checkpointguard.command.UsageException;
import dev.checkpointguard.server.PasswordHash;
import dev.checkpointguard.server.Users;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code hash-password USER}: makes the users-file line {@code USER:pbkdf2-sha256$…} for {@code
 * serve --users}. The password is read from the terminal without echo (asked twice), or as the
 * first line of standard input when that is not a terminal; never from the command line, where
 * other users of the machine could see it. With {@code --users FILE} the line is written into FILE
 * (replacing the user's old line; the file is created readable by its owner only), otherwise
 * printed.
 */
public final class HashPasswordCommand implements Command {
  private static final int MAX_PASSWORD_CHARS = 1024;

  @Override
  public String name() {
    return "hash-password";
  }

  @Override
  public String argsSyntax() {
    return "USER [options]";
  }

  @Override
  public String summary() {
    return "make a users-file line (user:hash) for serve --users";
  }

  @Override
  public String details() {
    return "The password is asked on the terminal without echo, or read as the first line of standard\n"
        + "input (e.g. piped from a password manager). It is never taken from the command line.\n"
        + "The hash is PBKDF2-HMAC-SHA256 with a random salt.\n";
  }

  @Override
  public Options options() {
    Options o = new Options();
    o.addOption(
        Option.builder()
            .longOpt("users")
            .hasArg()
            .argName("FILE")
            .desc(
                "write the line into FILE (replace USER's line, or add it; create FILE mode 600) instead of printing it")
            .get());
    o.addOption(
        Option.builder()
            .longOpt("iterations")
            .hasArg()
            .argName("N")
            .desc(
                "PBKDF2 iterations (default "
                    + PasswordHash.DEFAULT_ITERATIONS
                    + ", at least "
                    + PasswordHash.MIN_ITERATIONS
                    + ")")
            .get());
    return o;
  }

  @Override
  public int run(CommandLine cl, Io io) throws Exception {
    String[] args = cl.getArgs();
    if (args.length != 1) {
      throw new UsageException(
          "give exactly one USER (the password is read from the terminal or stdin)");
    }
    String user = args[0];
    if (!Users.NAME.matcher(user).matches()) {
      throw new UsageException(
          "user names are 1-64 characters of A-Z a-z 0-9 . _ @ + - starting with a letter or digit");
    }
    int iterations = PasswordHash.DEFAULT_ITERATIONS;
    if (cl.hasOption("iterations")) {
      try {
        iterations = Integer.parseInt(cl.getOptionValue("iterations"));
      } catch (NumberFormatException e) {
        iterations = -1;
      }
      if (iterations < PasswordHash.MIN_ITERATIONS || iterations > PasswordHash.MAX_ITERATIONS) {
        throw new UsageException(
            "--iterations must be from "
                + PasswordHash.MIN_ITERATIONS
                + " to "
                + PasswordHash.MAX_ITERATIONS);
      }
    }
    char[] password = readPassword(io, user);
    String hash;
    try {
      hash = PasswordHash.hash(password, iterations);
    } finally {
      Arrays.fill(password, '\0');
    }
    String line = user + ":" + hash;
    if (!cl.hasOption("users")) {
      io.out().println(line);
      return OK;
    }
    Path file = Path.of(cl.getOptionValue("users"));
    boolean replaced = writeLine(file, user, line);
    io.err()
        .println(
            "checkpoint-guard: "
                + (replaced ? "replaced" : "added")
                + " the password of "
                + user
                + " in "
                + file);
    return OK;
  }

  private static char[] readPassword(Io io, String user) throws IOException, UsageException {
    Console console = io.in() == System.in ? System.console() : null;
    if (console != null) {
      char[] first = console.readPassword("Password for %s: ", user);
      char[] second = first == null ? null : console.readPassword("Again: ");
      try {
        if (first == null || second == null) {
          throw new UsageException("no password entered");
        }
        if (!Arrays.equals(first, second)) {
          throw new UsageException("the two passwords differ");
        }
        if (first.length == 0) {
          throw new UsageException("the password is empty");
        }
        return first.clone();
      } finally {
        if (first != null) {
          Arrays.fill(first, '\0');
        }
        if (second != null) {
          Arrays.fill(second, '\0');
        }
      }
    }
    Reader r = new InputStreamReader(io.in(), StandardCharsets.UTF_8);
    char[] buf = new char[MAX_PASSWORD_CHARS + 1];
    int n = 0;
    int c;
    while ((c = r.read()) != -1 && c != '\n') {
      if (n == buf.length) {
        Arrays.fill(buf, '\0');
        throw new UsageException(
            "the password is longer than " + MAX_PASSWORD_CHARS + " characters");
      }
      buf[n++] = (char) c;
    }
    if (n > 0 && buf[n - 1] == '\r') {
      n--;
    }
    char[] password = Arrays.copyOf(buf, n);
    Arrays.fill(buf, '\0');
    if (n == 0) {
      throw new UsageException(
          "no password: type it on a terminal, or give it as the first line of standard input");
    }
    if (n > MAX_PASSWORD_CHARS) {
      Arrays.fill(password, '\0');
      throw new UsageException("the password is longer than " + MAX_PASSWORD_CHARS + " characters");
    }
    return password;
  }

  /** Replaces or adds the user's line, atomically. Returns true when a line was replaced. */
  private static boolean writeLine(Path file, String user, String line) throws IOException {
    List<String> lines = new ArrayList<>();
    boolean replaced = false;
    if (Files.exists(file)) {
      for (String l : Files.readAllLines(file, StandardCharsets.UTF_8)) {
        if (l.strip().startsWith(user + ":")) {
          if (!replaced) {
            lines.add(line);
          }
          replaced = true;
        } else {
          lines.add(l);
        }
      }
    }
    if (!replaced) {
      lines.add(line);
    }
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    try {
      Files.createFile(
          tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(tmp);
    } catch (FileAlreadyExistsException e) {
      throw new IOException("another hash-password is writing " + file);
    }
    Files.write(tmp, lines, StandardCharsets.UTF_8);
    try {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
    return replaced;
  }
}
