package io.wxim.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * One run of one scenario against one target, as written to the JSON result file (and read back by {@code report}).
 * Latencies are in milliseconds, memory in bytes, CPU in percent of one core.
 */
public record RunResult(String scenario, String target, String startedAt, Map<String, String> machine,
                        Map<String, String> params, List<Step> steps, Idle idle, Storm storm, List<String> notes) {

    public RunResult {
        machine = machine == null ? Map.of() : Map.copyOf(machine);
        params = params == null ? Map.of() : Map.copyOf(params);
        steps = steps == null ? List.of() : List.copyOf(steps);
        notes = notes == null ? List.of() : List.copyOf(notes);
    }

    /**
     * One rate step of fanout or direct. {@code expected} = sent x recipients per message; {@code lost} = expected -
     * delivered within the step plus its drain time (a late delivery counts as lost); {@code cpu}: process label -> %.
     */
    public record Step(double offeredPerSec, double seconds, long sent, long acked, long expected, long delivered,
                       long lost, double lossPercent, double deliveredPerSec, LatencyStats.Summary latency,
                       LatencyStats.Summary ackLatency, Map<String, Long> errors, Map<String, Double> cpu) {

        public Step {
            errors = errors == null ? Map.of() : Map.copyOf(errors);
            cpu = cpu == null ? Map.of() : Map.copyOf(cpu);
        }
    }

    /**
     * Idle connections: server memory before and after, per connection ({@code -1} where unknown). The marginal
     * figures are the second half of the connections alone (memory after all minus memory after the first half, over
     * the second half): what one more connection costs, without one-time growth (tables, buffers, caches) that the
     * first connections of a fresh process pay.
     */
    public record Idle(int requested, int connected, int closedDuringHold, double holdSeconds, long rssBefore,
                       long rssAfter, long heapBefore, long heapAfter, double rssPerConnection,
                       double heapPerConnection, double connectSeconds, Map<String, Double> cpu,
                       double marginalRssPerConnection, double marginalHeapPerConnection) {

        public Idle {
            cpu = cpu == null ? Map.of() : Map.copyOf(cpu);
        }
    }

    /** Reconnect storm: how long until the clients of a killed gateway were connected and synced again. */
    public record Storm(int clients, int resynced, double secondsToAll, LatencyStats.Summary perClient,
                        long failedAttempts, String killedWith, Map<String, Double> cpu) {

        public Storm {
            cpu = cpu == null ? Map.of() : Map.copyOf(cpu);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

    public String toJson() {
        return JSON.writeValueAsString(this);
    }

    public static RunResult fromJson(String json) {
        return JSON.readValue(json, RunResult.class);
    }

    public static RunResult read(Path file) throws IOException {
        return fromJson(Files.readString(file));
    }

    public void write(Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, toJson() + "\n");
    }

    /** Header of the Markdown table {@link #markdownRows} fills. */
    public static String markdownHeader() {
        return "| scenario | target | size | offered/s | delivered/s | loss % | p50 ms | p95 ms | p99 ms | max ms | "
                + "CPU % |\n|---|---|---|---:|---:|---:|---:|---:|---:|---:|---|";
    }

    /** One row per step (fanout, direct), or one row for idle and storm. */
    public List<String> markdownRows() {
        String size = size();
        if (idle != null) {
            return List.of(String.format(Locale.ROOT,
                    "| idle | %s | %d conns | - | - | - | heap/conn %s (marginal %s) | RSS/conn %s (marginal %s) "
                            + "| connected %d | closed %d | %s |",
                    target, idle.requested(), bytes(idle.heapPerConnection()), bytes(idle.marginalHeapPerConnection()),
                    bytes(idle.rssPerConnection()), bytes(idle.marginalRssPerConnection()),
                    idle.connected(), idle.closedDuringHold(), cpu(idle.cpu())));
        }
        if (storm != null) {
            LatencyStats.Summary s = storm.perClient();
            return List.of(String.format(Locale.ROOT,
                    "| storm | %s | %d clients | - | resynced %d | all in %.2f s | %.1f | %.1f | %.1f | %.1f | %s |",
                    target, storm.clients(), storm.resynced(), storm.secondsToAll(), s.p50(), s.p95(), s.p99(),
                    s.max(), cpu(storm.cpu())));
        }
        return steps.stream().map(st -> String.format(Locale.ROOT,
                "| %s | %s | %s | %.0f | %.1f | %.2f | %.1f | %.1f | %.1f | %.1f | %s |", scenario, target, size,
                st.offeredPerSec(), st.deliveredPerSec(), st.lossPercent(), st.latency().p50(), st.latency().p95(),
                st.latency().p99(), st.latency().max(), cpu(st.cpu()))).toList();
    }

    /** The scenario's size in words: receivers and senders, or pairs. */
    public String size() {
        if (params.containsKey("receivers")) {
            return params.get("receivers") + " rcv / " + params.getOrDefault("senders", "?") + " snd";
        }
        if (params.containsKey("pairs")) {
            return params.get("pairs") + " pairs";
        }
        return "";
    }

    private static String cpu(Map<String, Double> cpu) {
        if (cpu.isEmpty()) {
            return "-";
        }
        StringBuilder b = new StringBuilder();
        cpu.entrySet().stream().sorted(Map.Entry.comparingByKey()).forEach(e -> {
            if (b.length() > 0) {
                b.append(", ");
            }
            b.append(e.getKey()).append(' ').append(String.format(Locale.ROOT, "%.0f", e.getValue()));
        });
        return b.toString();
    }

    private static String bytes(double v) {
        if (v == -1) {
            return "n/a"; // not measured
        }
        return Math.abs(v) >= 1024 ? String.format(Locale.ROOT, "%.1f KB", v / 1024) : String.format(Locale.ROOT, "%.0f B", v);
    }
}
