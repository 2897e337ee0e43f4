package dev.checkpointguard.server;

import dev.checkpointguard.admin.RepositoryAudit;
import dev.checkpointguard.core.RefNames;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import org.owasp.encoder.Encode;

/**
 * The HTML of the status pages: the index of repositories and one repository's page with its
 * generations as a server-rendered SVG chart, its {@code check} findings and its backups. No script
 * anywhere; every piece of text that comes from a repository (ref names, generation.json problems,
 * finding messages) or from the request is encoded for its context with the OWASP Java Encoder
 * ({@link #text}, {@link #attr}).
 */
final class StatusHtml {
  /** Most generations drawn in the chart; the newest ones are kept (the table lists all). */
  static final int CHART_MAX = 2000;

  private static final DateTimeFormatter DAY =
      DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter MINUTE =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'", Locale.ROOT).withZone(ZoneOffset.UTC);

  private StatusHtml() {}

  /** One row of the index. */
  record Row(String name, StatusCache.View view, Instant lastPush) {}

  static String text(String s) {
    return Encode.forHtmlContent(s == null ? "" : s);
  }

  static String attr(String s) {
    return Encode.forHtmlAttribute(s == null ? "" : s);
  }

  static String time(Instant t) {
    return t == null ? "unknown" : MINUTE.format(t);
  }

  private static String head(StringBuilder b, String title, boolean refresh) {
    b.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">");
    b.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">");
    if (refresh) {
      // no script: the browser reloads by itself while an audit runs
      b.append("<meta http-equiv=\"refresh\" content=\"5\">");
    }
    b.append("<title>")
        .append(text(title))
        .append("</title><style>")
        .append(CSS)
        .append("</style></head><body>");
    return "";
  }

  private static final String CSS =
      "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;margin:24px;color:#1f2328;background:#fff}"
          + "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}"
          + "a{color:#0969da}table{border-collapse:collapse;margin:8px 0}"
          + "th,td{border-bottom:1px solid #d0d7de;padding:5px 12px 5px 0;text-align:left;vertical-align:top}"
          + "td.num,th.num{text-align:right}code,.mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12.5px}"
          + ".muted{color:#656d76}.healthy{color:#1a7f37}.problems,.error{color:#cf222e}.warning{color:#9a6700}"
          + ".info{color:#656d76}.pending{color:#656d76;font-style:italic}.empty{color:#656d76}"
          + ".badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;border:1px solid currentColor}"
          + "svg{max-width:100%;height:auto;border:1px solid #d0d7de;border-radius:6px;background:#fafbfc}"
          + ".legend span{margin-right:14px}.swatch{display:inline-block;width:10px;height:10px;margin-right:4px}"
          + "ul.findings{padding-left:18px}ul.findings li{margin:4px 0}";

  /** The index page. */
  static String index(List<Row> rows, String gitBase) {
    StringBuilder b = new StringBuilder(4096 + rows.size() * 300);
    boolean pending = rows.stream().anyMatch(r -> r.view().snapshot() == null);
    head(b, "checkpoint-guard: repositories", pending);
    b.append("<header><h1>checkpoint-guard</h1><p class=\"muted\">")
        .append(rows.size())
        .append(rows.size() == 1 ? " repository" : " repositories")
        .append(", guarded; clone and push at <code>")
        .append(text(gitBase))
        .append("&lt;name&gt;.git</code></p></header>");
    b.append(
        "<table id=\"repos\"><thead><tr><th>Repository</th><th>Health</th><th class=\"num\">Checkpoints</th>"
            + "<th class=\"num\">Generations</th><th>Last push</th></tr></thead><tbody>");
    for (Row r : rows) {
      StatusCache.Snapshot s = r.view().snapshot();
      b.append("<tr data-repo=\"")
          .append(attr(r.name()))
          .append("\"><td><a href=\"/-/repos/")
          .append(attr(r.name()))
          .append("\">")
          .append(text(r.name()))
          .append("</a></td>");
      b.append("<td class=\"health\">").append(health(r.view())).append("</td>");
      if (s == null || s.audit() == null) {
        b.append("<td class=\"num\">–</td><td class=\"num\">–</td>");
      } else {
        RepositoryAudit a = s.audit();
        b.append("<td class=\"num checkpoints\">").append(a.checkpoints()).append("</td>");
        b.append("<td class=\"num generations\">").append(a.generations().size());
        if (!a.generations().isEmpty()) {
          b.append(" <span class=\"muted\">(").append(a.archives()).append(" archived)</span>");
        }
        b.append("</td>");
      }
      b.append("<td class=\"last-push\">").append(text(time(r.lastPush()))).append("</td></tr>");
    }
    b.append("</tbody></table>");
    if (rows.isEmpty()) {
      b.append("<p class=\"empty\">No repositories are served.</p>");
    }
    b.append(FOOTER).append("</body></html>\n");
    return b.toString();
  }

  private static final String FOOTER =
      "<footer><p class=\"muted\">Read-only. Health is the result of <code>checkpoint-guard check</code>, rerun"
          + " whenever a repository's checkpoint refs change. <a href=\"/\">All repositories</a></p></footer>";

  /** The health cell: a badge whose class names the state. */
  static String health(StatusCache.View v) {
    StatusCache.Snapshot s = v.snapshot();
    String stale = v.fresh() ? "" : " <span class=\"pending\">(updating)</span>";
    if (s == null) {
      return "<span class=\"badge pending\">auditing…</span>";
    }
    if (s.audit() == null) {
      return "<span class=\"badge error\">unreadable</span> <span class=\"muted\">"
          + text(s.problem())
          + "</span>"
          + stale;
    }
    RepositoryAudit a = s.audit();
    if (a.empty()) {
      return "<span class=\"badge empty\">no v2 checkpoints</span>" + stale;
    }
    if (a.healthy()) {
      long w = a.warnings();
      return "<span class=\"badge healthy\">healthy</span>"
          + (w == 0
              ? ""
              : " <span class=\"warning\">" + w + (w == 1 ? " warning" : " warnings") + "</span>")
          + stale;
    }
    long e = a.errors();
    return "<span class=\"badge problems\">problems</span> <span class=\"error\">"
        + e
        + (e == 1 ? " error" : " errors")
        + "</span>"
        + stale;
  }

  /** One repository's page. */
  static String repository(String name, StatusCache.View view, Instant lastPush, String cloneUrl) {
    StringBuilder b = new StringBuilder(16384);
    StatusCache.Snapshot s = view.snapshot();
    head(b, name + " · checkpoint-guard", s == null || !view.fresh());
    b.append("<header><p><a href=\"/\">← All repositories</a></p><h1 id=\"name\">")
        .append(text(name))
        .append("</h1>");
    b.append("<p>").append(health(view)).append("</p>");
    b.append("<p class=\"muted\">Clone: <code id=\"clone\">git clone ")
        .append(text(cloneUrl))
        .append("</code></p></header>");
    if (s == null) {
      b.append(
          "<p class=\"pending\">The audit of this repository is running; this page reloads by itself.</p>");
      return b.append(FOOTER).append("</body></html>\n").toString();
    }
    if (s.audit() == null) {
      b.append("<p class=\"error\">This repository ").append(text(s.problem())).append(".</p>");
      return b.append(FOOTER).append("</body></html>\n").toString();
    }
    RepositoryAudit a = s.audit();
    b.append("<table id=\"summary\"><tbody>");
    row(b, "Threshold", a.threshold() + " checkpoints per archived generation");
    row(
        b,
        "Checkpoints",
        a.checkpoints() + " in generations, " + a.mainCheckpoints() + " on /main");
    row(b, "Generations", a.generations().size() + " (" + a.archives() + " archived)");
    row(b, "Last push", time(lastPush));
    row(
        b,
        "Audited",
        time(s.at()) + (view.fresh() ? "" : " (refs changed since; a new audit is running)"));
    b.append("</tbody></table>");
    // the chart, tables and findings depend on the audit only: rendered once per audit
    b.append(s.details(() -> details(a)));
    return b.append(FOOTER).append("</body></html>\n").toString();
  }

  /** The sections of a repository page that depend on its audit alone. */
  static String details(RepositoryAudit a) {
    StringBuilder b = new StringBuilder(8192 + a.generations().size() * 900);
    b.append("<h2>Generations</h2>");
    if (a.generations().isEmpty()) {
      b.append(
          "<p class=\"empty\">No generations (no <code>refs/entire/checkpoints/v2/full/*</code>).</p>");
    } else {
      b.append(GenerationChart.svg(a));
      b.append(GenerationChart.LEGEND);
      generationsTable(b, a);
    }

    b.append("<h2>Findings</h2>");
    if (a.findings().isEmpty()) {
      b.append(
          "<p id=\"no-findings\" class=\"healthy\">None: <code>check</code> found nothing to report.</p>");
    } else {
      b.append("<ul class=\"findings\" id=\"findings\">");
      for (RepositoryAudit.Finding f : a.findings()) {
        b.append("<li data-code=\"")
            .append(attr(f.code()))
            .append("\"><span class=\"")
            .append(attr(f.severity()))
            .append("\">")
            .append(text(f.severity()))
            .append("</span> <code>")
            .append(text(f.code()))
            .append("</code>: <span class=\"message\">")
            .append(text(f.message()))
            .append("</span>");
        if (f.count() > 0) {
          b.append(" <span class=\"muted\">(")
              .append(f.count())
              .append(f.count() == 1 ? " checkpoint" : " checkpoints");
          if (!f.sample().isEmpty()) {
            b.append(": <span class=\"mono\">")
                .append(text(String.join(" ", f.sample())))
                .append(f.count() > f.sample().size() ? " …" : "")
                .append("</span>");
          }
          b.append(")</span>");
        }
        b.append("</li>");
      }
      b.append("</ul>");
    }

    b.append("<h2>Backups</h2>");
    if (a.backups().isEmpty()) {
      b.append(
          "<p id=\"no-backups\" class=\"empty\">None: <code>repair</code> has not changed this repository.</p>");
    } else {
      b.append(
          "<table id=\"backups\"><thead><tr><th>Backup (restore --backup)</th><th class=\"num\">Refs</th></tr></thead><tbody>");
      for (RepositoryAudit.Backup bk : a.backups()) {
        b.append("<tr><td class=\"mono\">")
            .append(text(bk.timestamp()))
            .append("</td><td class=\"num\">")
            .append(bk.refs())
            .append("</td></tr>");
      }
      b.append("</tbody></table>");
    }
    return b.toString();
  }

  private static void row(StringBuilder b, String key, String value) {
    b.append("<tr><th>")
        .append(text(key))
        .append("</th><td>")
        .append(text(value))
        .append("</td></tr>");
  }

  private static void generationsTable(StringBuilder b, RepositoryAudit a) {
    b.append(
        "<table id=\"generations\"><thead><tr><th>Generation</th><th class=\"num\">Checkpoints</th>"
            + "<th>Kind</th><th>Time span</th><th>generation.json</th><th>Tip</th></tr></thead><tbody>");
    for (RepositoryAudit.Generation g : a.generations()) {
      String cls = g.isCurrent() ? "current" : g.checkpoints() < a.threshold() ? "under" : "full";
      b.append("<tr class=\"")
          .append(cls)
          .append("\"><td class=\"mono ref\">")
          .append(text(RefNames.shortName(g.ref())))
          .append("</td><td class=\"num\">")
          .append(g.checkpoints())
          .append("</td><td>")
          .append(text(g.kind()))
          .append("</td><td>")
          .append(text(span(g)))
          .append("</td><td>")
          .append(text(g.generationJson()));
      if (g.problem() != null) {
        b.append(": <span class=\"muted problem\">").append(text(g.problem())).append("</span>");
      }
      b.append("</td><td class=\"mono\">")
          .append(text(g.tip().substring(0, Math.min(10, g.tip().length()))))
          .append("</td></tr>");
    }
    b.append("</tbody></table>");
  }

  static String span(RepositoryAudit.Generation g) {
    if (g.oldest() == null || g.newest() == null) {
      return "unknown";
    }
    String from = DAY.format(g.oldest());
    String to = DAY.format(g.newest());
    return from.equals(to)
        ? from
        : from + " → " + to + " (" + days(Duration.between(g.oldest(), g.newest())) + ")";
  }

  private static String days(Duration d) {
    long h = d.toHours();
    return h < 48 ? h + " h" : d.toDays() + " days";
  }
}
