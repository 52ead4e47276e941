package io.wxim.bench;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** What a result records about the machine and the server processes, and the server-side memory probes. */
final class Env {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient PROBE = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(3)).build();

    private Env() {
    }

    /** {@code --server-pids gw=1234,peer=5678} (or bare pids): label -> pid; the generator itself is {@code bench}. */
    static Map<String, Long> processes(Args a) {
        Map<String, Long> out = new LinkedHashMap<>();
        for (String item : a.list("server-pids", "")) {
            int eq = item.indexOf('=');
            String label = eq > 0 ? item.substring(0, eq) : "pid" + item;
            out.put(label, Long.parseLong(eq > 0 ? item.substring(eq + 1) : item));
        }
        out.put("bench", ProcStats.selfPid());
        return out;
    }

    static long[] pids(Map<String, Long> processes) {
        return processes.values().stream().mapToLong(Long::longValue).toArray();
    }

    static Map<String, Double> cpu(Map<String, Long> processes, double[] percent) {
        Map<String, Double> out = new LinkedHashMap<>();
        int i = 0;
        for (String label : processes.keySet()) {
            out.put(label, percent[i++]);
        }
        return out;
    }

    static Map<String, String> machine(Map<String, Long> processes) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("cpusOnline", read("/sys/devices/system/cpu/online"));
        m.put("coresAvailableToBench", String.valueOf(Runtime.getRuntime().availableProcessors()));
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.version"));
        m.put("cpuModel", cpuModel());
        m.put("loadavgAtStart", read("/proc/loadavg"));
        processes.forEach((label, pid) -> m.put("cpus." + label, String.valueOf(ProcStats.cpusAllowed(pid))));
        return m;
    }

    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip()).orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }

    private static String read(String file) {
        try {
            return Files.readString(Path.of(file)).strip();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /**
     * Used heap in bytes summed over {@code urls}: wxim's actuator
     * ({@code /actuator/metrics/jvm.memory.used?tag=area:heap}: {@code measurements[].value}) or the peer's
     * {@code /stats} ({@code heapUsed}); -1 if none answers.
     */
    static long heapUsed(List<String> urls) {
        long total = -1;
        for (String url : urls) {
            try {
                HttpResponse<String> r = PROBE.send(HttpRequest.newBuilder(URI.create(url))
                        .timeout(Duration.ofSeconds(5)).GET().build(), HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() != 200) {
                    System.err.println("heap probe " + url + ": HTTP " + r.statusCode());
                    continue;
                }
                long v = heapFrom(JSON.readTree(r.body()));
                if (v >= 0) {
                    total = Math.max(total, 0) + v;
                }
            } catch (IOException | RuntimeException e) {
                System.err.println("heap probe " + url + ": " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return total;
            }
        }
        return total;
    }

    static long heapFrom(JsonNode n) {
        if (n.has("measurements")) {
            for (JsonNode m : n.path("measurements")) {
                if ("VALUE".equals(m.path("statistic").asString())) {
                    return (long) m.path("value").asDouble();
                }
            }
            return -1;
        }
        return n.has("heapUsed") ? n.path("heapUsed").asLong() : -1;
    }

    /** {@code jcmd <pid> GC.run} for each pid (Java servers), so heap figures are closer to live data. */
    static void gc(Iterable<Long> pids) {
        for (long pid : pids) {
            if (pid == ProcStats.selfPid()) {
                continue;
            }
            try {
                Process p = new ProcessBuilder("jcmd", String.valueOf(pid), "GC.run").redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
                p.waitFor(20, java.util.concurrent.TimeUnit.SECONDS);
            } catch (IOException e) {
                System.err.println("jcmd GC.run " + pid + ": " + e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    static long rss(Map<String, Long> processes) {
        long total = -1;
        for (Map.Entry<String, Long> e : processes.entrySet()) {
            if (!"bench".equals(e.getKey())) {
                long r = ProcStats.rssBytes(e.getValue());
                if (r >= 0) {
                    total = Math.max(total, 0) + r;
                }
            }
        }
        return total;
    }

    static void sleep(Duration d) {
        try {
            Thread.sleep(d.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
