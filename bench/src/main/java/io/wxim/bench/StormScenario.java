package io.wxim.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * {@code storm}: K clients on one gateway ({@code --url}); the gateway is killed ({@code --kill-pid}: SIGKILL, or
 * {@code --kill-cmd}: a shell command); every client reconnects to {@code --fallback-url} (round-robin) with
 * exponential backoff and full jitter, then syncs (wxim: {@code sync} answered; the peer: its connect ack).
 * Measures, from the kill, the time until each client is back and synced, and until all are.
 */
final class StormScenario {

    private final Args a;

    StormScenario(Args a) {
        this.a = a;
    }

    RunResult run() throws Exception {
        Fleet.Target target = Fleet.target(a.string("target", "wxim"));
        String victim = a.required("url");
        List<String> fallbacks = a.list("fallback-url", "");
        if (fallbacks.isEmpty()) {
            throw new IllegalArgumentException("--fallback-url is required (where clients reconnect)");
        }
        int clients = a.integer("clients", 100);
        String killPid = a.string("kill-pid", null);
        String killCmd = a.string("kill-cmd", null);
        if ((killPid == null) == (killCmd == null)) {
            throw new IllegalArgumentException("give exactly one of --kill-pid and --kill-cmd");
        }
        long baseMs = a.longValue("backoff-base-ms", 100);
        long capMs = a.longValue("backoff-max-ms", 2000);
        Duration timeout = Duration.ofSeconds(a.integer("timeout-seconds", 60));
        // How long one attempt (handshake, welcome, sync) may take before the client gives up and tries again; the JS
        // SDK waits two heartbeats (50 s) for the handshake and welcome.
        int attemptSeconds = a.integer("attempt-timeout-seconds", 10);
        Map<String, Long> procs = Env.processes(a);
        String runId = a.string("run-id", Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36));
        Map<String, String> params = new LinkedHashMap<>();
        params.put("url", victim);
        params.put("fallbackUrls", String.join(",", fallbacks));
        params.put("clients", String.valueOf(clients));
        params.put("sourceAddresses", String.join(",", a.list("source-addresses", "")));
        params.put("backoffBaseMs", String.valueOf(baseMs));
        params.put("backoffMaxMs", String.valueOf(capMs));
        params.put("attemptTimeoutSeconds", String.valueOf(attemptSeconds));
        params.put("runId", runId);
        List<String> notes = new ArrayList<>();
        String startedAt = Instant.now().toString();
        Map<String, String> machine = Env.machine(procs);

        LatencyStats perClient = new LatencyStats();
        AtomicInteger resynced = new AtomicInteger();
        LongAdder failedAttempts = new LongAdder();
        AtomicIntegerArray live = new AtomicIntegerArray(clients + 1);
        AtomicInteger rr = new AtomicInteger();
        long[] killedAt = {Long.MAX_VALUE};
        Fleet[] fleetRef = new Fleet[1];
        java.util.concurrent.atomic.AtomicLong firstClose = new java.util.concurrent.atomic.AtomicLong(Long.MAX_VALUE);
        java.util.concurrent.atomic.AtomicLong lastClose = new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE);

        BenchClient.Listener listener = new BenchClient.Listener() {
            @Override
            public void onMessage(BenchClient receiver, BodyCodec.Body body, long arrivedNanos) {
            }

            @Override
            public void onClosed(BenchClient client, int code) {
                if (client.index < clients && live.compareAndSet(client.index, 1, 0)) {
                    long now = System.nanoTime();
                    firstClose.accumulateAndGet(now, Math::min);
                    lastClose.accumulateAndGet(now, Math::max);
                    reconnect(client, 0);
                }
            }

            private void reconnect(BenchClient c, int attempt) {
                long ceiling = Math.min(capMs, baseMs << Math.min(attempt, 20));
                long delay = ThreadLocalRandom.current().nextLong(ceiling + 1);
                fleetRef[0].timer.schedule(() -> {
                    String url = fallbacks.get(Math.floorMod(rr.getAndIncrement(), fallbacks.size()));
                    c.connect(url).thenCompose(x -> c.resync()).orTimeout(attemptSeconds, TimeUnit.SECONDS)
                            .whenComplete((x, e) -> {
                                if (e != null) {
                                    failedAttempts.increment();
                                    c.close();
                                    reconnect(c, attempt + 1);
                                } else if (live.compareAndSet(c.index, 0, 1)) {
                                    perClient.recordNanos(System.nanoTime() - killedAt[0]);
                                    resynced.incrementAndGet();
                                }
                            });
                }, delay, TimeUnit.MILLISECONDS);
            }
        };

        try (Fleet fleet = new Fleet(target, List.of(victim), a.integer("loop-threads", 1), runId)
                .connectConcurrency(a.integer("connect-concurrency", 64))
                .sourceAddresses(a.list("source-addresses", ""))) {
            fleetRef[0] = fleet;
            fleet.startHeartbeats(Duration.ofSeconds(a.integer("heartbeat-seconds", 25)));
            List<BenchClient> open = fleet.open(clients, Duration.ofSeconds(a.integer("connect-timeout-seconds", 30)), listener);
            open.forEach(c -> live.set(c.index, 1));
            System.out.printf("storm %s: %d of %d clients on %s; killing %s%n", target, open.size(), clients, victim,
                    killPid != null ? "pid " + killPid : "with: " + killCmd);
            if (open.size() < clients) {
                notes.add((clients - open.size()) + " clients never connected before the kill");
            }
            ProcStats.CpuWindow cpu = new ProcStats.CpuWindow(Env.pids(procs));
            killedAt[0] = System.nanoTime();
            String killedWith;
            if (killPid != null) {
                long pid = Long.parseLong(killPid);
                boolean sent = ProcessHandle.of(pid).map(ProcessHandle::destroyForcibly).orElse(false);
                killedWith = "SIGKILL pid " + pid + (sent ? "" : " (no such process)");
            } else {
                Process p = new ProcessBuilder("sh", "-c", killCmd).inheritIO().start();
                p.waitFor(30, TimeUnit.SECONDS);
                killedWith = "command: " + killCmd;
            }
            long deadline = killedAt[0] + timeout.toNanos();
            long allAt = -1;
            while (System.nanoTime() < deadline) {
                if (resynced.get() >= open.size()) {
                    allAt = System.nanoTime();
                    break;
                }
                Env.sleep(Duration.ofMillis(20));
            }
            if (allAt < 0) {
                notes.add("timeout: " + resynced.get() + " of " + open.size() + " resynced within "
                        + timeout.toSeconds() + " s");
            }
            if (lastClose.get() != Long.MIN_VALUE) {
                notes.add(String.format(java.util.Locale.ROOT, "closes seen by the clients %.0f-%.0f ms after the kill",
                        (firstClose.get() - killedAt[0]) / 1e6, (lastClose.get() - killedAt[0]) / 1e6));
            }
            Map<String, Double> cpuPercent = Env.cpu(procs, cpu.percent());
            if (cpuPercent.getOrDefault("bench", 0.0) > 80.0) {
                notes.add(String.format(java.util.Locale.ROOT, "the generator used %.0f %% CPU during the storm: the "
                        + "reconnect times may be generator-bound", cpuPercent.get("bench")));
            }
            double seconds = allAt < 0 ? -1 : Math.round((allAt - killedAt[0]) / 1e6) / 1000.0;
            RunResult.Storm storm = new RunResult.Storm(open.size(), resynced.get(), seconds,
                    LatencyStats.summarize(perClient.snapshot()), failedAttempts.sum(), killedWith,
                    cpuPercent);
            return new RunResult("storm", target.name().toLowerCase(), startedAt, machine, params, null, null, storm,
                    notes);
        }
    }
}
