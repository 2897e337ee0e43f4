package dev.checkpointguard.server;

import dev.checkpointguard.admin.RepositoryAudit;
import dev.checkpointguard.core.RefNames;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;

/**
 * A repository's generations as one inline SVG, drawn on the server:
 *
 * <ul>
 *   <li>top, <em>checkpoints</em>: one bar per generation in archive-number order, {@code
 *       /full/current} last, its height the checkpoints it holds, against a dashed line at the
 *       threshold. Green: an archive at or above the threshold; red: below it (the v0.6.0 damage);
 *       blue: {@code /full/current}.
 *   <li>bottom, <em>time span</em>: the same generations top to bottom on a shared time axis, each
 *       a bar from its oldest to its newest checkpoint. Healthy archives form a staircase; an
 *       archive out of chronological order, or one that overlaps others, breaks it.
 * </ul>
 *
 * Each bar carries a {@code <title>} (ref, count, kind, span) that browsers show on hover. All text
 * is encoded by {@link StatusHtml#text}.
 */
final class GenerationChart {
  static final String FULL = "#2da44e";
  static final String UNDER = "#cf222e";
  static final String CURRENT = "#0969da";

  static final String LEGEND =
      "<p class=\"legend muted\"><span><i class=\"swatch\" style=\"background:"
          + FULL
          + "\"></i>archived, at or above"
          + " the threshold</span><span><i class=\"swatch\" style=\"background:"
          + UNDER
          + "\"></i>archived, below the"
          + " threshold</span><span><i class=\"swatch\" style=\"background:"
          + CURRENT
          + "\"></i>/full/current</span>"
          + "<span>dashed line: threshold</span></p>";

  private static final DateTimeFormatter DAY =
      DateTimeFormatter.ofPattern("yyyy-MM-dd", Locale.ROOT).withZone(ZoneOffset.UTC);

  private static final int LEFT = 56;
  private static final int RIGHT = 16;
  private static final int PLOT = 760;
  private static final int BARS_TOP = 28;
  private static final int BARS_H = 180;
  private static final int SPAN_TOP = BARS_TOP + BARS_H + 58;
  private static final int SPAN_H = 150;
  private static final int WIDTH = LEFT + PLOT + RIGHT;
  private static final int HEIGHT = SPAN_TOP + SPAN_H + 34;

  private GenerationChart() {}

  static String svg(RepositoryAudit a) {
    List<RepositoryAudit.Generation> all = a.generations();
    List<RepositoryAudit.Generation> gens =
        all.size() > StatusHtml.CHART_MAX
            ? all.subList(all.size() - StatusHtml.CHART_MAX, all.size())
            : all;
    int n = gens.size();
    int max = a.threshold();
    for (RepositoryAudit.Generation g : gens) {
      max = Math.max(max, g.checkpoints());
    }
    double yMax = max * 1.1;
    double step = (double) PLOT / Math.max(n, 1);
    double barW = Math.max(Math.min(step * 0.8, 40), Math.min(step, 1));
    StringBuilder b = new StringBuilder(600 + n * 420);
    b.append(
            "<svg id=\"generations-chart\" xmlns=\"http://www.w3.org/2000/svg\" role=\"img\" viewBox=\"0 0 ")
        .append(WIDTH)
        .append(' ')
        .append(HEIGHT)
        .append("\" width=\"")
        .append(WIDTH)
        .append("\" height=\"")
        .append(HEIGHT)
        .append("\" font-family=\"system-ui,sans-serif\" font-size=\"11\">");
    b.append("<title>")
        .append(
            StatusHtml.text(
                n
                    + " generations: checkpoints against the threshold "
                    + a.threshold()
                    + ", and time spans"))
        .append("</title>");
    if (all.size() > n) {
      b.append("<text x=\"")
          .append(LEFT)
          .append("\" y=\"14\" fill=\"#656d76\">newest ")
          .append(n)
          .append(" of ")
          .append(all.size())
          .append(" generations</text>");
    } else {
      b.append("<text x=\"")
          .append(LEFT)
          .append("\" y=\"14\" font-weight=\"600\">checkpoints per generation</text>");
    }
    // y axis and grid of the bar panel
    int base = BARS_TOP + BARS_H;
    b.append(line(LEFT, BARS_TOP, LEFT, base, "#8c959f"));
    b.append(line(LEFT, base, LEFT + PLOT, base, "#8c959f"));
    for (int tick : ticks(max)) {
      double y = base - tick / yMax * BARS_H;
      b.append("<text x=\"")
          .append(LEFT - 6)
          .append("\" y=\"")
          .append(fmt(y + 4))
          .append("\" text-anchor=\"end\" fill=\"#656d76\">")
          .append(tick)
          .append("</text>");
    }
    int labelEvery = Math.max(1, (int) Math.ceil(n / 24.0));
    for (int i = 0; i < n; i++) {
      RepositoryAudit.Generation g = gens.get(i);
      double x = LEFT + i * step + (step - barW) / 2;
      double h = g.checkpoints() / yMax * BARS_H;
      String color = g.isCurrent() ? CURRENT : g.checkpoints() < a.threshold() ? UNDER : FULL;
      b.append("<rect class=\"bar\" data-ref=\"")
          .append(StatusHtml.attr(g.ref()))
          .append("\" data-count=\"")
          .append(g.checkpoints())
          .append("\" x=\"")
          .append(fmt(x))
          .append("\" y=\"")
          .append(fmt(base - h))
          .append("\" width=\"")
          .append(fmt(barW))
          .append("\" height=\"")
          .append(fmt(h))
          .append("\" fill=\"")
          .append(color)
          .append("\"><title>")
          .append(StatusHtml.text(tooltip(g)))
          .append("</title></rect>");
      if (i % labelEvery == 0 || i == n - 1) {
        double cx = x + barW / 2;
        b.append("<text x=\"")
            .append(fmt(cx))
            .append("\" y=\"")
            .append(base + 14)
            .append("\" text-anchor=\"middle\" fill=\"#1f2328\">")
            .append(StatusHtml.text(label(g)))
            .append("</text>");
      }
    }
    double ty = base - a.threshold() / yMax * BARS_H;
    b.append("<line id=\"threshold\" x1=\"")
        .append(LEFT)
        .append("\" y1=\"")
        .append(fmt(ty))
        .append("\" x2=\"")
        .append(LEFT + PLOT)
        .append("\" y2=\"")
        .append(fmt(ty))
        .append("\" stroke=\"#9a6700\" stroke-width=\"1.5\" stroke-dasharray=\"6 4\"/>");
    b.append("<text x=\"")
        .append(LEFT + PLOT)
        .append("\" y=\"")
        .append(fmt(ty - 4))
        .append("\" text-anchor=\"end\" fill=\"#9a6700\">threshold ")
        .append(a.threshold())
        .append("</text>");

    spans(b, gens);
    return b.append("</svg>").toString();
  }

  /** The time-span panel. */
  private static void spans(StringBuilder b, List<RepositoryAudit.Generation> gens) {
    Instant min = null;
    Instant max = null;
    for (RepositoryAudit.Generation g : gens) {
      if (g.oldest() != null && g.newest() != null) {
        min = min == null || g.oldest().isBefore(min) ? g.oldest() : min;
        max = max == null || g.newest().isAfter(max) ? g.newest() : max;
      }
    }
    b.append("<text x=\"")
        .append(LEFT)
        .append("\" y=\"")
        .append(SPAN_TOP - 10)
        .append(
            "\" font-weight=\"600\">time span of each generation (oldest → newest checkpoint)</text>");
    int bottom = SPAN_TOP + SPAN_H;
    b.append(line(LEFT, SPAN_TOP, LEFT, bottom, "#8c959f"));
    b.append(line(LEFT, bottom, LEFT + PLOT, bottom, "#8c959f"));
    if (min == null) {
      b.append("<text x=\"")
          .append(LEFT + 8)
          .append("\" y=\"")
          .append(SPAN_TOP + 20)
          .append("\" fill=\"#656d76\">no generation has known times</text>");
      return;
    }
    long t0 = min.getEpochSecond();
    long range = Math.max(1, max.getEpochSecond() - t0);
    double row = (double) SPAN_H / gens.size();
    double barH = Math.max(Math.min(row * 0.7, 14), Math.min(row, 0.5));
    for (int i = 0; i < gens.size(); i++) {
      RepositoryAudit.Generation g = gens.get(i);
      if (g.oldest() == null || g.newest() == null) {
        continue;
      }
      double x1 = LEFT + (g.oldest().getEpochSecond() - t0) * (double) PLOT / range;
      double x2 = LEFT + (g.newest().getEpochSecond() - t0) * (double) PLOT / range;
      String color = g.isCurrent() ? CURRENT : "#57606a";
      b.append("<rect class=\"span\" data-ref=\"")
          .append(StatusHtml.attr(g.ref()))
          .append("\" x=\"")
          .append(fmt(x1))
          .append("\" y=\"")
          .append(fmt(SPAN_TOP + i * row + (row - barH) / 2))
          .append("\" width=\"")
          .append(fmt(Math.max(2, x2 - x1)))
          .append("\" height=\"")
          .append(fmt(barH))
          .append("\" fill=\"")
          .append(color)
          .append("\"><title>")
          .append(StatusHtml.text(tooltip(g)))
          .append("</title></rect>");
    }
    b.append("<text x=\"")
        .append(LEFT)
        .append("\" y=\"")
        .append(bottom + 16)
        .append("\" fill=\"#656d76\">")
        .append(DAY.format(min))
        .append("</text>");
    b.append("<text x=\"")
        .append(LEFT + PLOT)
        .append("\" y=\"")
        .append(bottom + 16)
        .append("\" text-anchor=\"end\" fill=\"#656d76\">")
        .append(DAY.format(max))
        .append("</text>");
  }

  private static String tooltip(RepositoryAudit.Generation g) {
    return RefNames.shortName(g.ref())
        + ": "
        + g.checkpoints()
        + (g.checkpoints() == 1 ? " checkpoint, " : " checkpoints, ")
        + g.kind()
        + ", "
        + StatusHtml.span(g);
  }

  private static String label(RepositoryAudit.Generation g) {
    return g.isCurrent() ? "current" : "#" + g.number();
  }

  private static String line(double x1, double y1, double x2, double y2, String color) {
    return "<line x1=\""
        + fmt(x1)
        + "\" y1=\""
        + fmt(y1)
        + "\" x2=\""
        + fmt(x2)
        + "\" y2=\""
        + fmt(y2)
        + "\" stroke=\""
        + color
        + "\"/>";
  }

  private static int[] ticks(int max) {
    int stepV =
        max <= 10
            ? 2
            : max <= 50 ? 10 : max <= 200 ? 25 : (int) Math.pow(10, Math.floor(Math.log10(max)));
    int count = max / stepV + 1;
    int[] out = new int[count];
    for (int i = 0; i < count; i++) {
      out[i] = i * stepV;
    }
    return out;
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }
}
