package dev.checkpointguard.server;

import dev.checkpointguard.core.Messages;
import jakarta.servlet.AsyncContext;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.Principal;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Guards pushes: the two requests of smart-HTTP push ({@code GET
 * …/info/refs?service=git-receive-pack} and {@code POST …/git-receive-pack}) need HTTP basic
 * credentials that match the users file, unless anonymous push is on. Every other request (fetch)
 * passes untouched.
 *
 * <ul>
 *   <li>No credentials: {@code 401} with {@code WWW-Authenticate: Basic realm="checkpoint-guard"},
 *       at once (this is how git learns that it must send them; it is not a failed attempt).
 *   <li>Wrong credentials: {@code 401}, answered after the {@link AuthThrottle} penalty of the
 *       client address or of the user name, whichever is longer, without holding a server thread
 *       while waiting.
 *   <li>Another attempt from a penalised address before its penalty has passed: {@code 429} with
 *       {@code Retry-After}, without checking the password. A penalised user name never causes a
 *       refusal: a right password from an address that is not penalised is accepted at once, so
 *       that nobody can lock a user out by guessing at the name from elsewhere.
 *   <li>Right credentials: the request continues with {@link HttpServletRequest#getRemoteUser()}
 *       set. A success clears the address's penalty (not the name's).
 *   <li>Too many password checks running at once ({@link Users.Outcome#BUSY}): {@code 503} with
 *       {@code Retry-After: 1}. An invalid users file ({@link Users.Outcome#UNAVAILABLE}): {@code
 *       503} and an error logged with the reason, until the file is fixed.
 *   <li>No users file and no anonymous push (a server that takes pushes over SSH only): {@code
 *       403}.
 * </ul>
 *
 * Passwords are never logged; failed attempts are logged with the (escaped) user name and address.
 */
final class PushAuthFilter implements Filter {
  static final String REALM = "checkpoint-guard";

  /** The name pushes are logged and reflogged under when anonymous push is on. */
  static final String ANONYMOUS = "anonymous";

  private static final Logger LOG = LoggerFactory.getLogger(PushAuthFilter.class);
  private static final int MAX_HEADER_CHARS = 4096;

  private final Users users;
  private final boolean anonymousPush;
  private final AuthThrottle throttle;
  private final AuthTimer timer;
  private final java.util.function.Consumer<ServerMetrics.AuthFailure> failures;

  /**
   * @param users the users allowed to push; null with anonymous push, and when nobody may push over
   *     HTTP (the server takes pushes over SSH only): every push request then gets 403
   * @param timer sends the delayed refusals (its clock must be the throttle's)
   */
  PushAuthFilter(Users users, boolean anonymousPush, AuthThrottle throttle, AuthTimer timer) {
    this(users, anonymousPush, throttle, timer, f -> {});
  }

  /**
   * @param failures told about every failed login (for the metrics)
   */
  PushAuthFilter(
      Users users,
      boolean anonymousPush,
      AuthThrottle throttle,
      AuthTimer timer,
      java.util.function.Consumer<ServerMetrics.AuthFailure> failures) {
    this.failures = failures;
    this.users = users;
    this.anonymousPush = anonymousPush;
    this.throttle = throttle;
    this.timer = timer;
  }

  /**
   * True for the requests of a push. Looks at the decoded path and parameter, exactly what
   * GitServlet dispatches on, so that percent-encoding cannot sneak a push past this check.
   */
  static boolean isPush(HttpServletRequest req) {
    String path = req.getServletPath() + (req.getPathInfo() == null ? "" : req.getPathInfo());
    if (path.endsWith("/git-receive-pack")) {
      return true;
    }
    return path.endsWith("/info/refs") && "git-receive-pack".equals(req.getParameter("service"));
  }

  @Override
  public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
      throws IOException, ServletException {
    HttpServletRequest req = (HttpServletRequest) request;
    HttpServletResponse rsp = (HttpServletResponse) response;
    if (!isPush(req)) {
      chain.doFilter(req, rsp);
      return;
    }
    if (anonymousPush) {
      chain.doFilter(new Authenticated(req, ANONYMOUS, null), rsp);
      return;
    }
    if (users == null) {
      rsp.sendError(
          HttpServletResponse.SC_FORBIDDEN,
          "pushing over HTTP is off on this server; push over SSH");
      return;
    }
    String header = req.getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      challenge(rsp);
      return;
    }
    String address = req.getRemoteAddr();
    Credentials c = Credentials.decode(header);
    String user = c == null ? "" : c.user();
    String addressKey = "addr:" + address;
    String userKey = "user:" + user;
    // Only the address is blocked outright. Blocking a user name would let anyone who knows it keep
    // its
    // owner out (git does not retry a 429); its penalty only delays the answers to wrong passwords.
    Duration wait = throttle.waitFor(addressKey);
    if (!wait.isZero()) {
      if (c != null) {
        Arrays.fill(c.password(), '\0');
      }
      failures.accept(ServerMetrics.AuthFailure.THROTTLED);
      rsp.setHeader("Retry-After", Long.toString(Math.max(1, (wait.toMillis() + 999) / 1000)));
      rsp.sendError(429, "too many failed logins; wait and try again");
      return;
    }
    boolean validName = c != null && Users.NAME.matcher(user).matches();
    Users.Outcome outcome;
    try {
      outcome = validName ? users.check(user, c.password()) : Users.Outcome.WRONG;
    } finally {
      if (c != null) {
        Arrays.fill(c.password(), '\0');
      }
    }
    switch (outcome) {
      case OK -> {
        throttle.succeed(addressKey);
        chain.doFilter(new Authenticated(req, user, HttpServletRequest.BASIC_AUTH), rsp);
        return;
      }
      case BUSY -> {
        LOG.warn(
            "push login of user '{}' from {} not checked: too many password checks running",
            Messages.printable(user, 64),
            address);
        rsp.setHeader("Retry-After", "1");
        rsp.sendError(503, "too many logins at once; try again shortly");
        return;
      }
      case UNAVAILABLE -> {
        failures.accept(ServerMetrics.AuthFailure.USERS_FILE_INVALID);
        LOG.error(
            "push login of user '{}' from {} refused: {}",
            Messages.printable(user, 64),
            address,
            users.problem());
        rsp.sendError(503, "push logins are unavailable: the server's users file is invalid");
        return;
      }
      case WRONG -> {
        // handled below
      }
    }
    failures.accept(ServerMetrics.AuthFailure.WRONG_CREDENTIALS);
    // A name that cannot exist gets no key of its own: it could only fill the throttle with junk.
    Duration penalty = throttle.fail(addressKey);
    if (validName) {
      penalty = max(penalty, throttle.fail(userKey));
    }
    LOG.warn(
        "push login failed for user '{}' from {} (failure {} from this address; next answer in {} ms)",
        Messages.printable(user, 64),
        address,
        throttle.failures(addressKey),
        penalty.toMillis());
    AsyncContext async = req.startAsync();
    async.setTimeout(penalty.toMillis() + 30_000);
    timer.schedule(
        () -> {
          try {
            challenge((HttpServletResponse) async.getResponse());
          } catch (IOException | RuntimeException e) {
            LOG.debug("could not send a delayed 401", e);
          } finally {
            async.complete();
          }
        },
        penalty);
  }

  private static void challenge(HttpServletResponse rsp) throws IOException {
    rsp.setHeader("WWW-Authenticate", "Basic realm=\"" + REALM + "\", charset=\"UTF-8\"");
    rsp.sendError(HttpServletResponse.SC_UNAUTHORIZED, "pushing needs a user name and password");
  }

  private static Duration max(Duration a, Duration b) {
    return a.compareTo(b) >= 0 ? a : b;
  }

  /** Decoded basic credentials; the caller wipes the password. */
  record Credentials(String user, char[] password) {
    /** Null when the header is not well-formed basic credentials in UTF-8. */
    static Credentials decode(String header) {
      if (header.length() > MAX_HEADER_CHARS) {
        return null;
      }
      byte[] raw;
      try {
        raw = Base64.getDecoder().decode(header.substring(6).trim());
      } catch (IllegalArgumentException e) {
        return null;
      }
      try {
        CharBuffer chars =
            StandardCharsets.UTF_8
                .newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)
                .decode(java.nio.ByteBuffer.wrap(raw));
        int colon = -1;
        for (int i = chars.position(); i < chars.limit(); i++) {
          if (chars.get(i) == ':') {
            colon = i;
            break;
          }
        }
        if (colon < 0) {
          return null;
        }
        String user = chars.subSequence(0, colon).toString();
        char[] password = new char[chars.limit() - colon - 1];
        chars.position(colon + 1);
        chars.get(password);
        Arrays.fill(chars.array(), '\0');
        return new Credentials(user, password);
      } catch (CharacterCodingException e) {
        return null;
      } finally {
        Arrays.fill(raw, (byte) 0);
      }
    }
  }

  /** The request as seen after a successful login (or as the anonymous pusher). */
  private static final class Authenticated extends HttpServletRequestWrapper {
    private final String user;
    private final String authType;

    Authenticated(HttpServletRequest req, String user, String authType) {
      super(req);
      this.user = user;
      this.authType = authType;
    }

    @Override
    public String getRemoteUser() {
      return user;
    }

    @Override
    public Principal getUserPrincipal() {
      return () -> user;
    }

    @Override
    public String getAuthType() {
      return authType;
    }
  }
}
