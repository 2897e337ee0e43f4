package dev.checkpointguard.server;

/** How {@code serve} writes its push log (docs/serve.md, "Push log"). */
public enum LogFormat {
  /** One text line per push through the server's log (standard error). */
  TEXT,
  /**
   * JSON Lines on standard output: the ready event, then one object per ref command of every push
   * (fields in docs/serve.md). Diagnostics stay text on standard error.
   */
  JSON
}
