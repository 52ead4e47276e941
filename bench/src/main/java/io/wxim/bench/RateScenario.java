package io.wxim.bench;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * {@code fanout}: N receivers and S senders in one room, S senders share a fixed total rate, stepped up.
 * {@code direct}: P pairs; message k goes from pair {@code k % P}, alternately A->B and B->A.
 * Each step runs an open-loop schedule for its duration, then waits the drain time; deliveries of a step that arrive
 * later count as lost. Stepping stops at saturation (loss or p99 over the limits).
 */
final class RateScenario {
    /** Joins sent at once while a fan-out room fills (1,100 at once made chat-service's first seconds a queue). */
    private static final int JOINS_IN_FLIGHT = 64;
    private static final int JOIN_ATTEMPTS = 5;
    /** Above the gateway's 10 s wait for chat-service's answer, after which it answers {@code unavailable} itself. */
    private static final Duration JOIN_ANSWER_WAIT = Duration.ofSeconds(12);
    private static final Duration JOIN_RETRY_DELAY = Duration.ofSeconds(1);


    /** Counters of one step; listeners find it by the step number carried in the body. */
    static final class Tally {
        final LatencyStats latency = new LatencyStats();
        final LatencyStats ackLatency = new LatencyStats();
        final LongAdder delivered = new LongAdder();
        final LongAdder acked = new LongAdder();
        final LongAdder late = new LongAdder();
        final Map<String, LongAdder> errors = new ConcurrentHashMap<>();
        volatile boolean open = true;
    }

    private final boolean fanout;
    private final Args a;

    RateScenario(boolean fanout, Args a) {
        this.fanout = fanout;
        this.a = a;
    }

    RunResult run() {
        Fleet.Target target = Fleet.target(a.string("target", "wxim"));
        List<String> urls = a.list("url", "http://127.0.0.1:8080");
        int receivers = a.integer("receivers", 100);
        int senders = a.integer("senders", 10);
        int pairs = a.integer("pairs", 50);
        List<Double> rates = a.decimals("rates", fanout ? "10,20,40" : "50,100,200");
        Duration step = Duration.ofMillis((long) (a.decimal("step-seconds", 10) * 1000));
        Duration drain = Duration.ofMillis((long) (a.decimal("drain-seconds", 3) * 1000));
        Duration warmup = Duration.ofMillis((long) (a.decimal("warmup-seconds", 0) * 1000));
        double stopLoss = a.decimal("stop-loss-percent", 1.0);
        double stopP99 = a.decimal("stop-p99-ms", 1000);
        int padding = a.integer("body-padding", 0);
        double perConnLimit = a.decimal("per-connection-limit", 20);
        int loopThreads = a.integer("loop-threads", 1);
        Duration connectTimeout = Duration.ofSeconds(a.integer("connect-timeout-seconds", 20));
        Map<String, Long> procs = Env.processes(a);
        String runId = a.string("run-id", Long.toString(System.currentTimeMillis() % 1_000_000_000L, 36));

        Map<String, String> params = new LinkedHashMap<>();
        params.put("urls", String.join(",", urls));
        params.put("sourceAddresses", String.join(",", a.list("source-addresses", "")));
        if (fanout) {
            params.put("receivers", String.valueOf(receivers));
            params.put("senders", String.valueOf(senders));
        } else {
            params.put("pairs", String.valueOf(pairs));
        }
        params.put("rates", rates.toString());
        params.put("stepSeconds", String.valueOf(step.toMillis() / 1000.0));
        params.put("drainSeconds", String.valueOf(drain.toMillis() / 1000.0));
        params.put("warmupSeconds", String.valueOf(warmup.toMillis() / 1000.0));
        params.put("bodyPadding", String.valueOf(padding));
        params.put("loopThreads", String.valueOf(loopThreads));
        params.put("runId", runId);
        List<String> notes = new ArrayList<>();
        String startedAt = Instant.now().toString();
        Map<String, String> machine = Env.machine(procs);

        int maxSteps = rates.size();
        Tally[] tallies = new Tally[maxSteps + 1]; // the last one is the warm-up's, never reported
        for (int i = 0; i <= maxSteps; i++) {
            tallies[i] = new Tally();
        }
        AtomicLong current = new AtomicLong(-1);
        int senderCount = fanout ? senders : 2 * pairs;
        boolean[] counted = new boolean[(fanout ? receivers + senders : 2 * pairs) + 16];

        BenchClient.Listener listener = new BenchClient.Listener() {
            @Override
            public void onMessage(BenchClient receiver, BodyCodec.Body body, long arrived) {
                if (body.step() < 0 || body.step() >= tallies.length || body.sender() == receiver.index
                        || receiver.index >= counted.length || !counted[receiver.index]) {
                    return;
                }
                Tally t = tallies[body.step()];
                if (t.open) {
                    t.delivered.increment();
                    t.latency.recordNanos(arrived - body.intendedNanos());
                } else {
                    t.late.increment();
                }
            }

            @Override
            public void onAck(BenchClient sender, long intended, long acked) {
                long s = current.get();
                if (s >= 0 && tallies[(int) s].open) {
                    tallies[(int) s].acked.increment();
                    tallies[(int) s].ackLatency.recordNanos(acked - intended);
                }
            }

            @Override
            public void onError(BenchClient client, String code) {
                long s = current.get();
                if (s >= 0) {
                    tallies[(int) s].errors.computeIfAbsent(code, k -> new LongAdder()).increment();
                }
            }
        };

        List<RunResult.Step> steps = new ArrayList<>();
        try (Fleet fleet = new Fleet(target, urls, loopThreads, runId)
                .connectConcurrency(a.integer("connect-concurrency", 64))
                .connectRetries(a.integer("connect-retries", 8)) // the rate runs need the clients they were given
                .sourceAddresses(a.list("source-addresses", ""))) {
            List<BenchClient> sendersList;
            List<BenchClient> receiversList;
            String room = null;
            if (fanout) {
                sendersList = fleet.open(senders, connectTimeout, listener);
                receiversList = fleet.open(receivers, connectTimeout, listener);
                if (sendersList.isEmpty()) {
                    throw new IllegalStateException("no sender connected");
                }
                room = sendersList.get(0).createRoom("bench-" + runId).get(30, TimeUnit.SECONDS);
                List<BenchClient> joiners = new ArrayList<>(sendersList.subList(1, sendersList.size()));
                joiners.addAll(receiversList);
                Set<BenchClient> joined = joinAll(joiners, room, notes);
                receiversList = receiversList.stream().filter(joined::contains).toList(); // only members receive
                receiversList.forEach(c -> counted[c.index] = true);
            } else {
                List<BenchClient> all = fleet.open(2 * pairs, connectTimeout, listener);
                sendersList = all;
                receiversList = all;
                all.forEach(c -> counted[c.index] = true);
            }
            fleet.startHeartbeats(Duration.ofSeconds(a.integer("heartbeat-seconds", 25)));
            params.put("connectedReceivers", String.valueOf(receiversList.size()));
            params.put("connectedSenders", String.valueOf(sendersList.size()));
            System.out.printf("%s %s: %d receivers, %d senders connected%s%n", a.string("scenario", ""), target,
                    receiversList.size(), sendersList.size(), room == null ? "" : ", room " + room);

            if (!warmup.isZero()) {
                RunResult.Step w = runStep(maxSteps, rates.get(0), warmup, drain, tallies[maxSteps], current, procs,
                        sendersList, receiversList.size(), room, padding);
                notes.add(String.format("warm-up (not reported): %.0f s at %.0f/s, delivered %d of %d",
                        warmup.toMillis() / 1000.0, rates.get(0), w.delivered(), w.expected()));
            }
            for (int i = 0; i < maxSteps; i++) {
                double rate = rates.get(i);
                double perConnection = rate / (fanout ? sendersList.size() : sendersList.size());
                if (target == Fleet.Target.WXIM && perConnection > perConnLimit) {
                    String n = String.format("step %d: %.1f msg/s per sending connection exceeds the gateway's rate "
                            + "limit (%.0f/s; im.gateway.ws.rate-per-second): expect rate_limited errors", i,
                            perConnection, perConnLimit);
                    System.err.println("WARNING " + n);
                    notes.add(n);
                }
                RunResult.Step result = runStep(i, rate, step, drain, tallies[i], current, procs, sendersList,
                        receiversList.size(), room, padding);
                steps.add(result);
                Double benchCpu = result.cpu().get("bench");
                if (benchCpu != null && benchCpu > 80.0 * loopThreads) {
                    notes.add(String.format("step %d: the generator used %.0f %% CPU (%d loop threads): this step may be "
                            + "generator-bound; add --loop-threads or cores", i, benchCpu, loopThreads));
                }
                System.out.println(new RunResult(fanout ? "fanout" : "direct", target.name().toLowerCase(),
                        startedAt, machine, params, List.of(result), null, null, null).markdownRows().get(0));
                if (result.lossPercent() > stopLoss || result.latency().p99() > stopP99) {
                    notes.add(String.format("saturated at step %d (%.0f/s offered): loss %.2f %%, p99 %.1f ms; "
                            + "later steps not run", i, rate, result.lossPercent(), result.latency().p99()));
                    break;
                }
            }
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("setup failed: " + e, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return new RunResult(fanout ? "fanout" : "direct", target.name().toLowerCase(), startedAt, machine, params,
                steps, null, null, notes);
    }

    private RunResult.Step runStep(int index, double rate, Duration duration, Duration drain, Tally tally,
                                   AtomicLong current, Map<String, Long> procs, List<BenchClient> senders,
                                   int receiverCount, String room, int padding) {
        ProcStats.CpuWindow cpu = new ProcStats.CpuWindow(Env.pids(procs));
        current.set(index);
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
        OpenLoopSchedule schedule = new OpenLoopSchedule(start, rate, duration);
        long sent = 0;
        long dropped = 0;
        int s = senders.size();
        while (!schedule.done()) {
            long now = System.nanoTime();
            while (schedule.due(now)) {
                long k = schedule.take();
                long intended = schedule.intendedTime(k);
                boolean ok;
                if (fanout) {
                    BenchClient from = senders.get((int) (k % s));
                    ok = from.sendToRoom(room, BodyCodec.encode(index, from.index, intended, k, padding), intended);
                } else {
                    int pair = (int) (k % (s / 2));
                    boolean aToB = (k / (s / 2)) % 2 == 0;
                    BenchClient from = senders.get(aToB ? 2 * pair : 2 * pair + 1);
                    BenchClient to = senders.get(aToB ? 2 * pair + 1 : 2 * pair);
                    ok = from.sendDirect(to, BodyCodec.encode(index, from.index, intended, k, padding), intended);
                }
                if (ok) {
                    sent++;
                } else {
                    dropped++;
                }
            }
            long wait = schedule.nanosUntilNext(System.nanoTime());
            if (wait > 0) {
                LockSupport.parkNanos(Math.min(wait, TimeUnit.MILLISECONDS.toNanos(1)));
            }
        }
        Env.sleep(drain);
        tally.open = false;
        double[] cpuPercent = cpu.percent();
        long perMessage = fanout ? receiverCount : 1;
        long expected = sent * perMessage;
        long delivered = tally.delivered.sum();
        long lost = Math.max(0, expected - delivered);
        double seconds = duration.toMillis() / 1000.0;
        Map<String, Long> errors = new LinkedHashMap<>();
        tally.errors.forEach((k, v) -> errors.put(k, v.sum()));
        if (dropped > 0) {
            errors.put("generator_queue_full", dropped);
        }
        return new RunResult.Step(rate, seconds, sent, tally.acked.sum(), expected, delivered, lost,
                expected == 0 ? 0 : Math.round(lost * 10000.0 / expected) / 100.0,
                Math.round(delivered / seconds * 10) / 10.0,
                LatencyStats.summarize(tally.latency.snapshot()), LatencyStats.summarize(tally.ackLatency.snapshot()),
                errors, Env.cpu(procs, cpuPercent));
    }

    /**
     * Joins every client to the room, {@link #JOINS_IN_FLIGHT} at a time; a join answered with an error is sent again
     * (a real client retries {@code unavailable}) while its connection is open, for at most {@link #JOIN_ATTEMPTS}
     * attempts of at most {@link #JOIN_ANSWER_WAIT} each. Since a command that waited past its deadline is not run
     * (architecture ADR-26), a join that timed out no longer happens late by itself. Returns the clients that joined:
     * the others are not members, and are left out of the receivers counted.
     */
    private static Set<BenchClient> joinAll(List<BenchClient> clients, String room, List<String> notes)
            throws InterruptedException {
        Set<BenchClient> joined = new HashSet<>();
        long started = System.nanoTime();
        long chainSeconds = JOIN_ATTEMPTS * (JOIN_ANSWER_WAIT.toSeconds() + JOIN_RETRY_DELAY.toSeconds());
        for (int from = 0; from < clients.size(); from += JOINS_IN_FLIGHT) {
            List<BenchClient> batch = clients.subList(from, Math.min(clients.size(), from + JOINS_IN_FLIGHT));
            List<CompletableFuture<Void>> joins = new ArrayList<>();
            for (BenchClient c : batch) {
                joins.add(joinRetrying(c, room, JOIN_ATTEMPTS).orTimeout(chainSeconds, TimeUnit.SECONDS));
            }
            for (int i = 0; i < batch.size(); i++) {
                try {
                    joins.get(i).get(chainSeconds + 5, TimeUnit.SECONDS);
                    joined.add(batch.get(i));
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // counted below
                }
            }
        }
        String took = String.format("joined %d of %d in %.1f s (%d at a time)", joined.size(), clients.size(),
                (System.nanoTime() - started) / 1e9, JOINS_IN_FLIGHT);
        System.out.println(took);
        notes.add(took);
        int failed = clients.size() - joined.size();
        if (failed > 0) {
            String n = failed + " of " + clients.size() + " joins failed (" + JOIN_ATTEMPTS
                    + " attempts at most); those receivers are not counted";
            System.err.println(n);
            notes.add(n);
        }
        return joined;
    }

    private static CompletableFuture<Void> joinRetrying(BenchClient c, String room, int attempts) {
        CompletableFuture<Void> join = c.join(room).orTimeout(JOIN_ANSWER_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        if (attempts <= 1) {
            return join;
        }
        return join.exceptionallyCompose(e -> !c.isOpen() ? CompletableFuture.failedFuture(e) : CompletableFuture
                .runAsync(() -> { }, CompletableFuture.delayedExecutor(JOIN_RETRY_DELAY.toMillis(), TimeUnit.MILLISECONDS))
                .thenCompose(x -> joinRetrying(c, room, attempts - 1)));
    }
}
