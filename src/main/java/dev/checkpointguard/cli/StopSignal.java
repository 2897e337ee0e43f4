package dev.checkpointguard.cli;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.Proxy;
import java.util.concurrent.CountDownLatch;

/**
 * Lets a long-running command end cleanly on SIGTERM or SIGINT: the signal releases {@link #await},
 * the command shuts down in order and returns its exit code (0), instead of the JVM dying with
 * status 143 while shutdown hooks race the server.
 *
 * <p>Uses {@code sun.misc.Signal} (module jdk.unsupported, present in every OpenJDK build) through
 * reflection, so the build needs no internal API. Where it is missing, a shutdown hook releases the
 * wait instead and the exit status is whatever the JVM makes it.
 */
final class StopSignal {
  private final CountDownLatch stopped = new CountDownLatch(1);

  /** A stop signal released only by {@link #stop()} (for tests). */
  static StopSignal manual() {
    return new StopSignal();
  }

  /** A stop signal released by SIGTERM, SIGINT or {@link #stop()}. */
  static StopSignal onTermination() {
    StopSignal s = new StopSignal();
    boolean term = s.trap("TERM");
    boolean interrupt = s.trap("INT");
    if (!term || !interrupt) {
      Runtime.getRuntime().addShutdownHook(new Thread(s::stop, "checkpoint-guard-stop"));
    }
    return s;
  }

  void stop() {
    stopped.countDown();
  }

  void await() throws InterruptedException {
    stopped.await();
  }

  private boolean trap(String name) {
    try {
      Class<?> signal = Class.forName("sun.misc.Signal");
      Class<?> handler = Class.forName("sun.misc.SignalHandler");
      InvocationHandler onSignal =
          (proxy, method, args) -> {
            if (method.getName().equals("handle")) {
              stop();
              return null;
            }
            if (method.getName().equals("equals")) {
              return proxy == args[0];
            }
            if (method.getName().equals("hashCode")) {
              return System.identityHashCode(proxy);
            }
            return "checkpoint-guard stop handler";
          };
      Object h =
          Proxy.newProxyInstance(handler.getClassLoader(), new Class<?>[] {handler}, onSignal);
      Object sig = signal.getConstructor(String.class).newInstance(name);
      signal.getMethod("handle", signal, handler).invoke(null, sig, h);
      return true;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      return false;
    }
  }
}
