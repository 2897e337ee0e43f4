package dev.checkpointguard.command;

/** Bad command-line input or setup: reported in one line, exit code 2. */
public final class UsageException extends Exception {
  public UsageException(String message) {
    super(message);
  }
}
