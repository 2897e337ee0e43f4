package dev.checkpointguard.mirror;

import java.io.File;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.lib.Repository;
import org.eclipse.jgit.transport.CredentialsProvider;
import org.eclipse.jgit.transport.SshTransport;
import org.eclipse.jgit.transport.Transport;
import org.eclipse.jgit.transport.URIish;
import org.eclipse.jgit.transport.sshd.JGitKeyCache;
import org.eclipse.jgit.transport.sshd.ServerKeyDatabase;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.agent.ConnectorFactory;

/**
 * {@code ssh://} and scp-like ({@code host:path}) upstreams: JGit's SSH transport on Apache MINA
 * SSHD ({@code org.eclipse.jgit.ssh.apache}), as the administrator's own {@code ssh} would connect,
 * with two rules for a sync that runs unattended:
 *
 * <ul>
 *   <li><b>Host keys are always checked.</b> The upstream's host key must already be in the
 *       known-hosts file ({@code ~/.ssh/known_hosts} of {@code $HOME}, or the file given with
 *       {@code --ssh-known-hosts}); an unknown or changed key refuses the sync. {@code
 *       StrictHostKeyChecking no} or {@code accept-new} in {@code ~/.ssh/config} does not loosen
 *       that: nobody is there to confirm a new key, so none is ever trusted or written on the
 *       sync's own authority.
 *   <li><b>Keys are the administrator's key files</b>: {@code ~/.ssh/id_ed25519}, {@code id_ecdsa},
 *       {@code id_rsa} and the {@code IdentityFile}s of {@code ~/.ssh/config}, unencrypted (no one
 *       is there to type a passphrase; no ssh-agent is asked).
 * </ul>
 *
 * {@code ~/.ssh/config} is read otherwise as OpenSSH does ({@code Host} aliases, {@code Port},
 * {@code User}, {@code IdentityFile}, {@code UserKnownHostsFile}). {@code $HOME} comes from the
 * environment the mirror runs in, like {@code ~/.netrc} for HTTP.
 */
public final class SshUpstreamTransport implements UpstreamTransport {
  private final Path knownHosts;

  /** One session factory per home directory, made on first use (it runs an SSH client). */
  private final Map<String, SshdSessionFactory> factories = new ConcurrentHashMap<>();

  /**
   * Why the last host key of each host ({@code host} or {@code [host]:port}) was refused; read
   * once.
   */
  private final Map<String, String> refusals = new ConcurrentHashMap<>();

  /**
   * @param knownHosts the only known-hosts file to trust, or null for the user's own
   */
  public SshUpstreamTransport(Path knownHosts) {
    this.knownHosts = knownHosts;
  }

  @Override
  public boolean handles(URIish uri) {
    String s = uri.getScheme();
    return "ssh".equals(s)
        || "git+ssh".equals(s)
        || "ssh+git".equals(s)
        || (s == null && uri.getHost() != null);
  }

  @Override
  public Transport open(Repository local, URIish uri, Map<String, String> env)
      throws TransportException {
    Transport t;
    try {
      t = Transport.open(local, uri);
    } catch (org.eclipse.jgit.errors.NotSupportedException e) {
      throw new TransportException(uri, "not supported", e);
    }
    if (!(t instanceof SshTransport ssh)) {
      t.close();
      throw new TransportException(uri, "not an SSH URL");
    }
    String home = env.get("HOME");
    File homeDir =
        new File(home == null || home.isEmpty() ? System.getProperty("user.home") : home);
    ssh.setSshSessionFactory(
        factories.computeIfAbsent(
            homeDir.getAbsolutePath(), h -> new Factory(homeDir, knownHosts, refusals)));
    return t;
  }

  /**
   * A refused host key, said with the file and the command that fixes it; other messages as they
   * are.
   */
  @Override
  public String describe(URIish uri, String message) {
    String host = hostPattern(uri.getHost(), uri.getPort() < 0 ? 22 : uri.getPort());
    String why = refusals.remove(host);
    if (why == null && refusals.size() == 1) {
      // the host was named by an alias of ~/.ssh/config: the one refusal there is is this one
      why = refusals.remove(refusals.keySet().iterator().next());
    }
    return why != null ? why : message;
  }

  /** {@code host}, or {@code [host]:port} for another port than 22, as known_hosts names hosts. */
  static String hostPattern(String host, int port) {
    return port == 22 ? host : "[" + host + "]:" + port;
  }

  /** The session factory: strict host keys, key files only. */
  private static final class Factory extends SshdSessionFactory {
    private final Path knownHosts;
    private final Map<String, String> refusals;

    Factory(File home, Path knownHosts, Map<String, String> refusals) {
      super(new JGitKeyCache(), null);
      this.knownHosts = knownHosts;
      this.refusals = refusals;
      setHomeDirectory(home);
    }

    @Override
    protected List<Path> getDefaultKnownHostsFiles(File sshDir) {
      return knownHosts != null ? List.of(knownHosts) : super.getDefaultKnownHostsFiles(sshDir);
    }

    @Override
    protected ServerKeyDatabase createServerKeyDatabase(File homeDir, File sshDir) {
      return new Strict(
          super.createServerKeyDatabase(homeDir, sshDir),
          knownHosts,
          new File(sshDir, "known_hosts").toPath(),
          refusals);
    }

    @Override
    protected ConnectorFactory getConnectorFactory() {
      return null; // no ssh-agent: the keys are files
    }
  }

  /**
   * Host keys as OpenSSH's {@code StrictHostKeyChecking yes}: only keys already known match,
   * nothing is ever added, nobody is asked; with a known-hosts file of our own, only that file
   * counts.
   */
  private static final class Strict implements ServerKeyDatabase {
    private final ServerKeyDatabase delegate;
    private final Path knownHosts;
    private final Path userKnownHosts;
    private final Map<String, String> refusals;

    Strict(
        ServerKeyDatabase delegate,
        Path knownHosts,
        Path userKnownHosts,
        Map<String, String> refusals) {
      this.delegate = Objects.requireNonNull(delegate);
      this.knownHosts = knownHosts;
      this.userKnownHosts = userKnownHosts;
      this.refusals = refusals;
    }

    @Override
    public List<PublicKey> lookup(
        String connectAddress, InetSocketAddress remoteAddress, Configuration config) {
      return delegate.lookup(connectAddress, remoteAddress, strict(config));
    }

    @Override
    public boolean accept(
        String connectAddress,
        InetSocketAddress remoteAddress,
        PublicKey serverKey,
        Configuration config,
        CredentialsProvider provider) {
      Configuration strict = strict(config);
      boolean ok = delegate.accept(connectAddress, remoteAddress, serverKey, strict, null);
      if (!ok) {
        refusals.put(
            connectAddress,
            refusal(
                connectAddress,
                serverKey,
                !delegate.lookup(connectAddress, remoteAddress, strict).isEmpty(),
                strict.getUserKnownHostsFiles()));
      }
      return ok;
    }

    /**
     * What the administrator reads when a host key is refused: which key, which file, what to run.
     */
    private String refusal(String host, PublicKey key, boolean changed, List<String> configured) {
      String file =
          knownHosts != null
              ? knownHosts.toString()
              : configured == null || configured.isEmpty()
                  ? userKnownHosts.toString()
                  : configured.get(0);
      if (file.startsWith("~/")) {
        // as ssh expands it; the hint below quotes the path, so it must be spelled out
        file = userKnownHosts.getParent().getParent().resolve(file.substring(2)).toString();
      }
      String k = KeyUtils.getKeyType(key) + " " + KeyUtils.getFingerPrint(key);
      if (changed) {
        return "the host key of "
            + host
            + " ("
            + k
            + ") differs from the one in "
            + file
            + ": the server's key"
            + " changed, or something is in between; nothing was trusted. Only if the server's administrator"
            + " confirms that fingerprint: ssh-keygen -R '"
            + host
            + "' -f '"
            + file
            + "', then add the new key";
      }
      String plain = host.startsWith("[") ? host.substring(1, host.indexOf(']')) : host;
      String port = host.startsWith("[") ? host.substring(host.indexOf("]:") + 2) : "22";
      return "the host key of "
          + host
          + " ("
          + k
          + ") is not in "
          + file
          + " (a sync never trusts a new host key"
          + " on its own). Check that fingerprint with the server's administrator, then add it: ssh-keyscan -p "
          + port
          + " "
          + plain
          + " >> '"
          + file
          + "'";
    }

    private Configuration strict(Configuration c) {
      return new Configuration() {
        @Override
        public List<String> getUserKnownHostsFiles() {
          return knownHosts != null ? List.of(knownHosts.toString()) : c.getUserKnownHostsFiles();
        }

        @Override
        public List<String> getGlobalKnownHostsFiles() {
          return knownHosts != null ? List.of() : c.getGlobalKnownHostsFiles();
        }

        @Override
        public StrictHostKeyChecking getStrictHostKeyChecking() {
          return StrictHostKeyChecking.REQUIRE_MATCH;
        }

        @Override
        public boolean getHashKnownHosts() {
          return c.getHashKnownHosts();
        }

        @Override
        public String getUsername() {
          return c.getUsername();
        }
      };
    }
  }
}
