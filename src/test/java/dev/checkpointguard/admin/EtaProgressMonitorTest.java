package dev.checkpointguard.admin;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class EtaProgressMonitorTest {
  @Test
  void estimatesTheTimeLeftFromTheRateSoFar() {
    assertEquals(", ETA 30s", EtaProgressMonitor.eta(250, 1000, Duration.ofSeconds(10)));
    assertEquals(
        ", ETA 2m30s", EtaProgressMonitor.eta(100, 1000, Duration.ofSeconds(16).plusMillis(667)));
    assertEquals("", EtaProgressMonitor.eta(0, 1000, Duration.ofSeconds(3)));
    assertEquals("", EtaProgressMonitor.eta(1000, 1000, Duration.ofSeconds(3)));
  }
}
