package dev.checkpointguard.server;

import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Reading the login files {@code serve} reloads while it runs (the users file, {@code
 * authorized_keys}): the same size limit, encoding and wording of problems for both, so an
 * administrator reads one kind of message.
 */
final class LoginFiles {
  /**
   * Larger files are refused: a login file of millions of lines is a mistake, not a configuration.
   */
  static final int MAX_FILE_BYTES = 4 * 1024 * 1024;

  private LoginFiles() {}

  /** A file's lines and the attributes read just before them (what a reload compares). */
  record Content(BasicFileAttributes attributes, List<String> lines) {}

  /** {@code file}, which must be a regular UTF-8 file of at most {@link #MAX_FILE_BYTES}. */
  static Content read(Path file) throws IOException {
    BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
    if (!a.isRegularFile()) {
      throw new IOException(file + " is not a regular file");
    }
    if (a.size() > MAX_FILE_BYTES) {
      throw new IOException(file + " is larger than " + MAX_FILE_BYTES + " bytes");
    }
    return new Content(a, Files.readAllLines(file, StandardCharsets.UTF_8));
  }

  /** Why {@code file} could not be read, in one line for the server log. */
  static String describe(Path file, Exception e) {
    if (e instanceof NoSuchFileException) {
      return file + " does not exist";
    }
    if (e instanceof CharacterCodingException) {
      return file + " is not valid UTF-8";
    }
    return e.getMessage() == null ? file + ": " + e : e.getMessage();
  }
}
