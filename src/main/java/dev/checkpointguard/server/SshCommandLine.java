package dev.checkpointguard.server;

/**
 * The exec request of a git client over SSH, e.g. {@code git-receive-pack '/checkpoints.git'}:
 * which service, and which repository name.
 *
 * <p>git sends the service, one space and the path as one shell word, quoted by its {@code
 * sq_quote}: the path in single quotes, with each {@code '} and {@code !} in it written as {@code
 * '\''} and {@code '\!'}. JGit's client quotes the same way. This parser reads exactly such a word
 * (single-quoted runs, backslash escapes and plain characters that need no quoting) and nothing a
 * shell would treat specially: double quotes, {@code $}, backticks, {@code ;}, whitespace outside
 * quotes, a second argument. There is no shell: the decoded path is only a name, checked afterwards
 * by the same rules as over HTTP ({@link ReposResolver}), after dropping one leading {@code /} (the
 * path of {@code ssh://host/x.git}); {@code scp}-style {@code host:x.git} sends no slash. So {@code
 * ..}, absolute paths, {@code ~user}, nested folders and anything quoted into the name never reach
 * the file system.
 *
 * @param service the git service
 * @param path the decoded path as the client sent it (may be anything: not checked here), or null
 *     when the argument is not one well-formed word
 */
record SshCommandLine(Service service, String path) {
  /** The two services served. */
  enum Service {
    UPLOAD_PACK("git-upload-pack"),
    RECEIVE_PACK("git-receive-pack");

    final String command;

    Service(String command) {
      this.command = command;
    }
  }

  private static final int MAX_CHARS = 4096;

  /**
   * The service and path of {@code line}; null when it is not one of git's two commands. The path
   * is null when the argument is not one well-formed word.
   */
  static SshCommandLine parse(String line) {
    if (line == null || line.length() > MAX_CHARS) {
      return null;
    }
    for (Service s : Service.values()) {
      // "git-upload-pack" as git sends it, and "git upload-pack" as some clients and wrappers do
      for (String prefix : new String[] {s.command + " ", "git " + s.command.substring(4) + " "}) {
        if (line.startsWith(prefix)) {
          return new SshCommandLine(s, word(line.substring(prefix.length())));
        }
      }
    }
    return null;
  }

  /**
   * Decodes one shell word made of single-quoted runs, backslash escapes and plain characters; else
   * null.
   */
  static String word(String s) {
    StringBuilder out = new StringBuilder();
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\'') {
        int end = s.indexOf('\'', i + 1);
        if (end < 0) {
          return null;
        }
        out.append(s, i + 1, end);
        i = end + 1;
      } else if (c == '\\') {
        if (i + 1 >= s.length()) {
          return null;
        }
        out.append(s.charAt(i + 1));
        i += 2;
      } else if (plain(c)) {
        out.append(c);
        i++;
      } else {
        return null;
      }
    }
    return out.length() == 0 ? null : out.toString();
  }

  /** Characters a shell reads literally outside quotes. */
  private static boolean plain(char c) {
    return (c >= 'a' && c <= 'z')
        || (c >= 'A' && c <= 'Z')
        || (c >= '0' && c <= '9')
        || "._-/+@:,=%".indexOf(c) >= 0;
  }

  /**
   * The repository name the path asks for: the path without one leading {@code /}. Whether it is a
   * repository served here is for {@link ReposResolver} to say.
   */
  String repositoryName() {
    if (path == null) {
      return null;
    }
    return path.startsWith("/") ? path.substring(1) : path;
  }
}
