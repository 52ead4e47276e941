package io.wxim.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.data.category.DefaultCategoryDataset;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * {@code report}: reads result files and writes, into one directory, per rate scenario
 * {@code delivered-vs-offered-<scenario>.png} and {@code p99-vs-offered-<scenario>.png}, then
 * {@code memory-per-connection.png} and {@code results.md} (every row, plus the ratios
 * wxim / Socket.IO for steps of the same scenario, size and offered rate). Headless.
 */
final class Report {

    private Report() {
    }

    static void run(Path outDir, List<Path> files) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<RunResult> results = new ArrayList<>();
        for (Path f : files) {
            results.add(RunResult.read(f));
        }
        Files.createDirectories(outDir);
        Map<String, XYSeriesCollection> delivered = new TreeMap<>();
        Map<String, XYSeriesCollection> p99 = new TreeMap<>();
        DefaultCategoryDataset memory = new DefaultCategoryDataset();
        for (RunResult r : results) {
            if (!r.steps().isEmpty()) {
                String started = r.startedAt().length() > 16 ? r.startedAt().substring(0, 16) : r.startedAt();
                String key = r.target() + " " + r.size() + " (" + started + ")";
                XYSeries d = new XYSeries(key);
                XYSeries p = new XYSeries(key);
                for (RunResult.Step s : r.steps()) {
                    d.add(s.offeredPerSec(), s.deliveredPerSec());
                    p.add(s.offeredPerSec(), s.latency().p99());
                }
                addSeries(delivered.computeIfAbsent(r.scenario(), k -> new XYSeriesCollection()), d);
                addSeries(p99.computeIfAbsent(r.scenario(), k -> new XYSeriesCollection()), p);
            }
            if (r.idle() != null) {
                String col = r.target() + " " + r.idle().connected() + " conns";
                if (r.idle().heapPerConnection() != -1) { // -1: not measured; a negative value is shown as measured
                    memory.addValue(r.idle().heapPerConnection() / 1024.0, "heap KB/conn", col);
                }
                if (r.idle().rssPerConnection() != -1) {
                    memory.addValue(r.idle().rssPerConnection() / 1024.0, "RSS KB/conn", col);
                }
            }
        }
        List<String> written = new ArrayList<>();
        for (String scenario : delivered.keySet()) {
            String d = "delivered-vs-offered-" + scenario + ".png";
            String p = "p99-vs-offered-" + scenario + ".png";
            save(lines(ChartFactory.createXYLineChart(scenario + ": delivered messages/s vs offered load",
                    "offered messages/s (sent)", "delivered messages/s (all recipients)", delivered.get(scenario),
                    PlotOrientation.VERTICAL, true, false, false)), outDir.resolve(d));
            save(lines(ChartFactory.createXYLineChart(scenario + ": p99 latency (from intended send time) vs offered load",
                    "offered messages/s (sent)", "p99 ms", p99.get(scenario), PlotOrientation.VERTICAL, true, false,
                    false)), outDir.resolve(p));
            written.add(d);
            written.add(p);
        }
        save(ChartFactory.createBarChart("Server memory per idle connection", "target", "KB per connection", memory,
                PlotOrientation.VERTICAL, true, false, false), outDir.resolve("memory-per-connection.png"));
        written.add("memory-per-connection.png");
        Files.writeString(outDir.resolve("results.md"), markdown(results));
        written.add("results.md");
        System.out.println("wrote into " + outDir + ": " + String.join(", ", written));
    }

    private static void addSeries(XYSeriesCollection c, XYSeries s) {
        // two runs with the same label (same minute) would clash: keep both, numbered
        String key = (String) s.getKey();
        int n = 2;
        while (c.getSeriesIndex(s.getKey()) >= 0) {
            s.setKey(key + " #" + n++);
        }
        c.addSeries(s);
    }

    /** Points on the lines, white background: readable when printed. */
    private static JFreeChart lines(JFreeChart chart) {
        org.jfree.chart.plot.XYPlot plot = chart.getXYPlot();
        plot.setBackgroundPaint(java.awt.Color.WHITE);
        plot.setDomainGridlinePaint(java.awt.Color.LIGHT_GRAY);
        plot.setRangeGridlinePaint(java.awt.Color.LIGHT_GRAY);
        plot.setRenderer(new org.jfree.chart.renderer.xy.XYLineAndShapeRenderer(true, true));
        return chart;
    }

    private static void save(JFreeChart chart, Path file) throws IOException {
        ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 600);
    }

    /** All rows, then ratios wxim / socketio where both ran the same scenario, size and offered rate. */
    static String markdown(List<RunResult> results) {
        StringBuilder b = new StringBuilder(RunResult.markdownHeader()).append('\n');
        for (RunResult r : results) {
            r.markdownRows().forEach(row -> b.append(row).append('\n'));
        }
        Map<String, Map<String, RunResult.Step>> byKey = new TreeMap<>();
        for (RunResult r : results) {
            for (RunResult.Step s : r.steps()) {
                String key = String.format(Locale.ROOT, "%s | %s | %.0f", r.scenario(), r.size(), s.offeredPerSec());
                byKey.computeIfAbsent(key, k -> new LinkedHashMap<>()).put(r.target(), s);
            }
        }
        StringBuilder ratios = new StringBuilder();
        byKey.forEach((key, m) -> {
            RunResult.Step w = m.get("wxim");
            RunResult.Step s = m.get("socketio");
            if (w != null && s != null) {
                ratios.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", key,
                        ratio(w.deliveredPerSec(), s.deliveredPerSec()), ratio(w.latency().p50(), s.latency().p50()),
                        ratio(w.latency().p99(), s.latency().p99())));
            }
        });
        if (ratios.length() > 0) {
            b.append("\nRatios wxim / Socket.IO (same scenario, size and offered rate):\n\n")
                    .append("| scenario | size | offered/s | delivered/s ratio | p50 ratio | p99 ratio |\n")
                    .append("|---|---|---:|---:|---:|---:|\n").append(ratios);
        }
        return b.toString();
    }

    static String ratio(double ours, double theirs) {
        return theirs <= 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", ours / theirs);
    }
}
