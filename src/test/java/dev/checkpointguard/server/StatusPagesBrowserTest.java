package dev.checkpointguard.server;

import static dev.checkpointguard.server.ServerTestSupport.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.checkpointguard.core.RefNames;
import dev.checkpointguard.fixtures.ClientRepo;
import dev.checkpointguard.fixtures.DamageScenarios;
import dev.checkpointguard.fixtures.FlatTree;
import dev.checkpointguard.fixtures.GitCli;
import java.io.File;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.eclipse.jgit.lib.FileMode;
import org.eclipse.jgit.lib.ObjectId;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.NoAlertPresentException;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The status pages in a real headless Chromium (Debian's {@code chromium} and {@code
 * chromium-driver}, which .ci/run installs) driven by Selenium, against a real server holding a
 * damaged, a healthy, an empty and a hostile repository. Screenshots for review land in {@code
 * target/status-pages/}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StatusPagesBrowserTest {
  static final Instant NOW = Instant.parse("2026-03-04T05:06:07Z");

  /** Would set the page title if a browser ever ran it. */
  static final String SVG_XSS = "<svg/onload=document.title='pwned'>";

  static final String ATTR_XSS = "\"><img/src=x/onerror=document.title='pwned'>";

  /** Kept under the 40 characters check quotes from an invalid generation.json time. */
  static final String JSON_XSS = "<img src=x onerror=\"alert('pwned')\">";

  @TempDir static Path tmp;
  Path repos;
  GuardedServer server;
  ChromeDriver browser;
  ClientRepo healthyClient;
  GitCli git;
  Path shots;

  @BeforeAll
  void start() throws Exception {
    repos = Files.createDirectories(tmp.resolve("repos"));
    git = new GitCli(tmp.resolve("home"));
    DamageScenarios.severalV060Runs(repos.resolve("damaged.git"));
    // the healthy repository is a copy of a v0.6.2 client (threshold 5) that pushes again later
    healthyClient = ServerTestSupport.client(tmp.resolve("client.git"), 5, 12);
    DamageScenarios.copyRepository(tmp.resolve("client.git"), repos.resolve("healthy.git"));
    ok(git.run(repos.resolve("healthy.git"), "config", "checkpointGuard.threshold", "5"));
    ServerTestSupport.bareRepo(repos.resolve("empty.git"));
    hostileRepository(repos.resolve("hostile.git"));
    server =
        GuardedServer.start(
            GuardedServer.Config.builder(repos)
                .port(0)
                .anonymousPush(true)
                .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                .statusWait(Duration.ofSeconds(120))
                .build());
    shots =
        Files.createDirectories(Path.of(System.getProperty("user.dir"), "target", "status-pages"));
    browser = chromium(tmp.resolve("chromium profile"));
  }

  @AfterAll
  void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (server != null) {
      server.close();
    }
    if (healthyClient != null) {
      healthyClient.close();
    }
  }

  /**
   * A repository whose archive's generation.json and two unknown v2 ref names carry markup: every
   * one of them reaches the repository page as text (generations table, findings).
   */
  static void hostileRepository(Path dir) throws Exception {
    try (ClientRepo c = ServerTestSupport.client(dir, 3, 4)) {
      c.repository().getConfig().setInt("checkpointGuard", null, "threshold", 3);
      c.repository().getConfig().save();
      String archive = RefNames.archive(1);
      FlatTree tree = c.flatTree(archive);
      tree.put(
          "generation.json",
          FileMode.REGULAR_FILE,
          c.insertBlob(
              "{\"oldest_checkpoint_at\":\""
                  + JSON_XSS.replace("\"", "\\\"")
                  + "\",\"newest_checkpoint_at\":\"2026-01-01T00:00:00Z\"}\n"));
      ObjectId old = c.ref(archive);
      assertTrue(c.updateRef(archive, old, c.insertCommit(tree, "Archive generation", old)));
      assertTrue(c.updateRef(RefNames.FULL_PREFIX + SVG_XSS, ObjectId.zeroId(), old));
      assertTrue(c.updateRef(RefNames.V2_PREFIX + ATTR_XSS, ObjectId.zeroId(), old));
    }
  }

  static ChromeDriver chromium(Path profile) {
    File binary = new File("/usr/bin/chromium");
    File driver = new File("/usr/bin/chromedriver");
    if (!binary.canExecute() || !driver.canExecute()) {
      throw new IllegalStateException(
          "the status page tests need Debian's chromium and chromium-driver: apt-get install chromium"
              + " chromium-driver (bash .ci/run installs them)");
    }
    ChromeOptions o = new ChromeOptions();
    o.setBinary(binary);
    o.addArguments(
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--user-data-dir=" + profile,
        "--window-size=1100,1400");
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(driver).usingAnyFreePort().build();
    return new ChromeDriver(service, o);
  }

  private void shot(String name) throws Exception {
    Files.copy(
        browser.getScreenshotAs(OutputType.FILE).toPath(),
        shots.resolve(name),
        StandardCopyOption.REPLACE_EXISTING);
  }

  private String cell(String repo, String cls) {
    return browser.findElement(By.cssSelector("tr[data-repo='" + repo + "'] td." + cls)).getText();
  }

  private double audits() throws Exception {
    String body =
        HttpClient.newHttpClient()
            .send(
                HttpRequest.newBuilder(server.url().resolve("metrics")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body();
    return body.lines()
        .filter(l -> l.startsWith("checkpoint_guard_status_audits_total{result=\"ok\"}"))
        .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1)))
        .sum();
  }

  @Test
  void indexListsEveryRepositoryWithHealthCountsAndLastPush() throws Exception {
    browser.get(server.url().toString());
    assertEquals("checkpoint-guard: repositories", browser.getTitle());
    List<String> names =
        browser.findElements(By.cssSelector("#repos tbody tr")).stream()
            .map(r -> r.getAttribute("data-repo"))
            .toList();
    assertEquals(List.of("damaged.git", "empty.git", "healthy.git", "hostile.git"), names);
    assertEquals("problems 2 errors", cell("damaged.git", "health"));
    assertEquals("373", cell("damaged.git", "checkpoints"));
    assertEquals("6 (5 archived)", cell("damaged.git", "generations"));
    assertEquals("no v2 checkpoints", cell("empty.git", "health"));
    assertEquals("healthy", cell("healthy.git", "health"));
    assertEquals("12", cell("healthy.git", "checkpoints"));
    assertEquals("3 (2 archived)", cell("healthy.git", "generations"));
    assertEquals("unknown", cell("healthy.git", "last-push"));
    assertTrue(cell("hostile.git", "health").startsWith("problems"), cell("hostile.git", "health"));
    shot("index.png");

    // a page view with unchanged refs audits nothing; a push changes the refs and the next view
    // shows it
    double before = audits();
    browser.navigate().refresh();
    assertEquals(before, audits(), "an unchanged repository is not audited again");
    healthyClient.checkpoint();
    ok(
        git.run(
            tmp.resolve("client.git"),
            "push",
            "-q",
            server.url().resolve("healthy.git").toString(),
            RefNames.MAIN + ":" + RefNames.MAIN,
            RefNames.CURRENT + ":" + RefNames.CURRENT));
    browser.navigate().refresh();
    assertEquals("13", cell("healthy.git", "checkpoints"));
    assertEquals("2026-03-04 05:06 UTC", cell("healthy.git", "last-push"));
    assertEquals(before + 1, audits(), "only the pushed repository was audited again");

    browser.findElement(By.linkText("damaged.git")).click();
    assertEquals(server.url().resolve("/-/repos/damaged.git").toString(), browser.getCurrentUrl());
  }

  @Test
  void repositoryPageDrawsGenerationsAgainstTheThresholdAndListsFindings() throws Exception {
    browser.get(server.url().resolve("/-/repos/damaged.git").toString());
    assertEquals("damaged.git", browser.findElement(By.id("name")).getText());
    WebElement chart = browser.findElement(By.id("generations-chart"));
    List<WebElement> bars = chart.findElements(By.cssSelector("rect.bar"));
    assertEquals(
        List.of("100", "50", "100", "20", "100", "3"),
        bars.stream().map(b -> b.getAttribute("data-count")).toList());
    assertEquals(
        List.of(
            GenerationChart.FULL,
            GenerationChart.UNDER,
            GenerationChart.FULL,
            GenerationChart.UNDER,
            GenerationChart.FULL,
            GenerationChart.CURRENT),
        bars.stream().map(b -> b.getAttribute("fill")).toList());
    // taller bars for more checkpoints, and the threshold line at the height of a full archive
    double full = bars.get(0).getRect().getHeight();
    assertTrue(
        bars.get(1).getRect().getHeight() < full
            && bars.get(3).getRect().getHeight() < bars.get(1).getRect().getHeight());
    WebElement threshold = chart.findElement(By.id("threshold"));
    assertEquals(bars.get(0).getRect().getY(), threshold.getRect().getY(), 2.0);
    assertEquals(
        6,
        chart.findElements(By.cssSelector("rect.span")).size(),
        "every generation has a time span");
    assertEquals(
        List.of("under-threshold-archive", "under-threshold-archive"),
        browser.findElements(By.cssSelector("#findings li[data-code^='under']")).stream()
            .map(li -> li.getAttribute("data-code"))
            .toList());
    assertTrue(
        browser
            .findElement(By.id("findings"))
            .getText()
            .contains("full/0000000000002 holds 50 checkpoints, fewer than the threshold of 100"));
    assertEquals(6, browser.findElements(By.cssSelector("#generations tbody tr")).size());
    assertEquals(2, browser.findElements(By.cssSelector("#generations tbody tr.under")).size());
    assertEquals(
        "git clone " + server.url().resolve("damaged.git"),
        browser.findElement(By.id("clone")).getText());
    assertNotNull(browser.findElement(By.id("no-backups")));
    shot("damaged.png");

    // git's own URLs keep working beside the pages
    ok(
        git.run(
            tmp,
            "clone",
            "-q",
            "--mirror",
            server.url().resolve("damaged.git").toString(),
            tmp.resolve("m").toString()));
  }

  @Test
  void hostileRefNamesAndGenerationJsonAreShownAsTextAndNeverRun() throws Exception {
    browser.get(server.url().resolve("/-/repos/hostile.git").toString());
    String findings = browser.findElement(By.id("findings")).getText();
    assertTrue(findings.contains(RefNames.FULL_PREFIX + SVG_XSS), findings);
    assertTrue(findings.contains(RefNames.V2_PREFIX + ATTR_XSS), findings);
    String table = browser.findElement(By.id("generations")).getText();
    assertTrue(table.contains("oldest_checkpoint_at is not an RFC 3339 time: " + JSON_XSS), table);
    assertEquals("hostile.git · checkpoint-guard", browser.getTitle());
    JavascriptExecutor js = browser;
    assertEquals(
        0L,
        js.executeScript(
            "return document.querySelectorAll('script, img, [onload], [onerror], svg:not(#generations-chart)').length"));
    assertThrows(NoAlertPresentException.class, () -> browser.switchTo().alert());
    shot("hostile.png");
  }

  @Test
  void onlyServedRepositoriesHavePagesAndEveryPageForbidsScripts() throws Exception {
    HttpClient http = HttpClient.newHttpClient();
    HttpResponse<String> page =
        http.send(
            HttpRequest.newBuilder(server.url().resolve("/-/repos/healthy.git")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, page.statusCode());
    assertEquals(
        StatusServlet.CSP, page.headers().firstValue("Content-Security-Policy").orElse(null));
    assertEquals("nosniff", page.headers().firstValue("X-Content-Type-Options").orElse(null));
    for (String path :
        List.of(
            "/-/repos/nope.git",
            "/-/repos/",
            "/-/repos/healthy",
            "/-/other",
            "/-/repos/.hidden.git",
            "/-/repos/%2e%2e%2fhealthy.git",
            "/-/repos/../healthy.git",
            "/-/repos/a/b.git")) {
      assertEquals(404, ServerTestSupport.raw(server.port(), "GET", path).status(), path);
    }
    assertFalse(
        http.send(
                HttpRequest.newBuilder(server.url().resolve("/-/repos/empty.git")).build(),
                HttpResponse.BodyHandlers.ofString())
            .body()
            .contains("<script"));
  }
}
