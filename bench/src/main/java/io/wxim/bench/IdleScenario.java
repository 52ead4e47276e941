package io.wxim.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code idle}: C connections that only send heartbeats. Server RSS ({@code /proc/<pid>/status}) and used heap (the
 * gateway's actuator, the peer's {@code /stats}) are taken before connecting, after the first half connected and after
 * the hold; the difference over the connections that stayed open is the memory per connection, and the second half
 * alone gives the marginal figure (no one-time growth of a fresh process in it).
 */
final class IdleScenario {

    private final Args a;

    IdleScenario(Args a) {
        this.a = a;
    }

    RunResult run() {
        Fleet.Target target = Fleet.target(a.string("target", "wxim"));
        List<String> urls = a.list("url", "http://127.0.0.1:8080");
        int connections = a.integer("connections", 1000);
        Duration hold = Duration.ofMillis((long) (a.decimal("hold-seconds", 30) * 1000));
        List<String> heapUrls = a.list("heap-url", "");
        boolean gc = a.flag("gc");
        Map<String, Long> procs = Env.processes(a);
        String runId = a.string("run-id", Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36));
        Map<String, String> params = new LinkedHashMap<>();
        params.put("urls", String.join(",", urls));
        params.put("sourceAddresses", String.join(",", a.list("source-addresses", "")));
        params.put("connections", String.valueOf(connections));
        params.put("holdSeconds", String.valueOf(hold.toMillis() / 1000.0));
        params.put("connsPerUser", String.valueOf(a.integer("conns-per-user", 1)));
        params.put("gcBeforeMeasuring", String.valueOf(gc));
        params.put("runId", runId);
        List<String> notes = new ArrayList<>();
        String startedAt = Instant.now().toString();
        Map<String, String> machine = Env.machine(procs);

        if (gc) {
            Env.gc(procs.values());
        }
        long rssBefore = Env.rss(procs);
        long heapBefore = Env.heapUsed(heapUrls);
        LongAdder closed = new LongAdder();
        java.util.concurrent.ConcurrentSkipListMap<Integer, LongAdder> closeCodes = new java.util.concurrent.ConcurrentSkipListMap<>();
        BenchClient.Listener listener = new BenchClient.Listener() {
            @Override
            public void onMessage(BenchClient receiver, BodyCodec.Body body, long arrivedNanos) {
            }

            @Override
            public void onClosed(BenchClient client, int code) {
                closed.increment();
                closeCodes.computeIfAbsent(code, c -> new LongAdder()).increment();
            }
        };
        try (Fleet fleet = new Fleet(target, urls, a.integer("loop-threads", 1), runId)
                .connectConcurrency(a.integer("connect-concurrency", 64))
                .sourceAddresses(a.list("source-addresses", ""))
                .connsPerUser(a.integer("conns-per-user", 1))) {
            long loginStart = System.nanoTime();
            fleet.prepare(connections);
            System.out.printf("idle %s: %d users signed in in %.1f s (not part of the connect time)%n", target,
                    connections, (System.nanoTime() - loginStart) / 1e9);
            long t0 = System.nanoTime();
            fleet.startHeartbeats(Duration.ofSeconds(a.integer("heartbeat-seconds", 25)));
            Duration connectTimeout = Duration.ofSeconds(a.integer("connect-timeout-seconds", 30));
            int firstHalf = connections / 2;
            List<BenchClient> open = new ArrayList<>(fleet.open(firstHalf, connectTimeout, listener));
            double firstConnectSeconds = (System.nanoTime() - t0) / 1e9;
            if (gc) {
                Env.gc(procs.values());
            }
            int openAtHalf = (int) fleet.openCount();
            long rssHalf = Env.rss(procs);
            long heapHalf = Env.heapUsed(heapUrls);
            long t1 = System.nanoTime();
            open.addAll(fleet.open(connections - firstHalf, connectTimeout, listener));
            double connectSeconds = firstConnectSeconds + (System.nanoTime() - t1) / 1e9;
            System.out.printf("idle %s: %d of %d connected in %.1f s (%d in the first half); holding %d s%n", target,
                    open.size(), connections, connectSeconds, openAtHalf, hold.toSeconds());
            long closedAtStart = closed.sum();
            ProcStats.CpuWindow cpu = new ProcStats.CpuWindow(Env.pids(procs));
            Env.sleep(hold);
            double[] cpuPercent = cpu.percent();
            long closedDuringHold = closed.sum() - closedAtStart;
            int stillOpen = (int) fleet.openCount();
            if (gc) {
                Env.gc(procs.values());
            }
            long rssAfter = Env.rss(procs);
            long heapAfter = Env.heapUsed(heapUrls);
            if (!closeCodes.isEmpty()) {
                notes.add("connections closed, by close code: " + closeCodes);
            }
            if (heapUrls.isEmpty()) {
                notes.add("no --heap-url: heap per connection not measured");
            }
            double rssPer = perConnection(rssBefore, rssAfter, stillOpen);
            double heapPer = perConnection(heapBefore, heapAfter, stillOpen);
            int secondHalf = stillOpen - openAtHalf;
            double rssMarginal = perConnection(rssHalf, rssAfter, secondHalf);
            double heapMarginal = perConnection(heapHalf, heapAfter, secondHalf);
            RunResult.Idle idle = new RunResult.Idle(connections, stillOpen, (int) closedDuringHold,
                    hold.toMillis() / 1000.0, rssBefore, rssAfter, heapBefore, heapAfter,
                    Math.round(rssPer), Math.round(heapPer), Math.round(connectSeconds * 100) / 100.0,
                    Env.cpu(procs, cpuPercent), Math.round(rssMarginal), Math.round(heapMarginal));
            return new RunResult("idle", target.name().toLowerCase(), startedAt, machine, params, null, idle, null,
                    notes);
        }
    }

    /** Memory growth from {@code from} to {@code to} per connection; -1 when a figure is unknown or no connection. */
    private static double perConnection(long from, long to, int connections) {
        return from < 0 || to < 0 || connections <= 0 ? -1 : (double) (to - from) / connections;
    }
}
