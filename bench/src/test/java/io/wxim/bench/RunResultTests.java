package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunResultTests {

    private static RunResult.Step step(double offered, double delivered, double p99) {
        LatencyStats.Summary lat = new LatencyStats.Summary(100, 1.5, 3, p99, p99, p99 + 1, 2);
        return new RunResult.Step(offered, 10, 100, 100, 1000, 990, 10, 1.0, delivered, lat,
                LatencyStats.Summary.EMPTY, Map.of("rate_limited", 2L), Map.of("gw", 55.0, "bench", 10.0));
    }

    private static RunResult fanout(String target, double delivered) {
        return new RunResult("fanout", target, "2026-12-03T00:00:00Z", Map.of("cores", "2"),
                Map.of("receivers", "100", "senders", "10"), List.of(step(10, delivered, 12.5)), null, null,
                List.of("smoke"));
    }

    @Test
    void roundTripsThroughJson(@TempDir Path dir) throws Exception {
        RunResult r = fanout("wxim", 99);
        Path file = dir.resolve("sub/r.json");
        r.write(file);
        assertThat(Files.readString(file)).contains("\"scenario\" : \"fanout\"", "\"p99\" : 12.5");
        assertThat(RunResult.read(file)).isEqualTo(r);

        RunResult idle = new RunResult("idle", "socketio", "t", null, null, null,
                new RunResult.Idle(10, 10, 0, 5, 100, 2148, 10, 1034, 204.8, 102.4, 0.5, Map.of(), 200.0, 100.0), null, null);
        assertThat(RunResult.fromJson(idle.toJson())).isEqualTo(idle);
    }

    @Test
    void rendersOneMarkdownRowPerStep() {
        List<String> rows = fanout("wxim", 99).markdownRows();
        assertThat(rows).containsExactly(
                "| fanout | wxim | 100 rcv / 10 snd | 10 | 99.0 | 1.00 | 1.5 | 3.0 | 12.5 | 13.5 | bench 10, gw 55 |");
        assertThat(RunResult.markdownHeader().lines().count()).isEqualTo(2);
    }

    @Test
    void rendersIdleAndStormRows() {
        RunResult idle = new RunResult("idle", "wxim", "t", null, null, null,
                new RunResult.Idle(1000, 998, 2, 30, 0, 0, 0, 0, 61_440, -1, 3, Map.of(), 51_200, -1), null, null);
        assertThat(idle.markdownRows().get(0)).contains("1000 conns", "heap/conn n/a (marginal n/a)",
                "RSS/conn 60.0 KB (marginal 50.0 KB)",
                "connected 998");
        RunResult storm = new RunResult("storm", "wxim", "t", null, null, null, null,
                new RunResult.Storm(100, 100, 2.5, new LatencyStats.Summary(100, 800, 1900, 2400, 2450, 2500, 900),
                        3, "SIGKILL pid 1", Map.of("gw", 80.0)), null);
        assertThat(storm.markdownRows().get(0)).contains("| storm | wxim | 100 clients |", "all in 2.50 s");
    }

    @Test
    void reportsRatiosAgainstTheSocketIoPeer() {
        String md = Report.markdown(List.of(fanout("wxim", 50), fanout("socketio", 100)));
        assertThat(md).contains("Ratios wxim / Socket.IO")
                .contains("| fanout | 100 rcv / 10 snd | 10 | 0.50 | 1.00 | 1.00 |");
        assertThat(Report.ratio(1, 0)).isEqualTo("n/a");
    }

    @Test
    void parsesCpuTimeFromAStatLine_withSpacesInTheName() {
        String stat = "1234 (java main (x)) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 30 0 100 0 0";
        assertThat(ProcStats.cpuSecondsFromStat(stat)).isEqualTo(3.0);
    }
}
