package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTests {

    @Test
    void rendersThePlotsAndTheTable_fromResultFiles(@TempDir Path dir) throws Exception {
        LatencyStats.Summary lat = new LatencyStats.Summary(10, 1, 2, 3, 3, 4, 1.5);
        RunResult fanout = new RunResult("fanout", "wxim", "t1", null, Map.of("receivers", "100", "senders", "5"),
                List.of(new RunResult.Step(10, 5, 50, 50, 5000, 5000, 0, 0, 1000, lat, lat, null, null),
                        new RunResult.Step(20, 5, 100, 100, 10000, 9990, 10, 0.1, 1998, lat, lat, null, null)),
                null, null, null);
        RunResult idle = new RunResult("idle", "socketio", "t2", null, null, null,
                new RunResult.Idle(100, 100, 0, 5, 0, 2_048_000, 0, 1_024_000, 20_480, 10_240, 1, null, 20_000, 10_000), null, null);
        fanout.write(dir.resolve("a.json"));
        idle.write(dir.resolve("b.json"));

        Report.run(dir.resolve("out"), List.of(dir.resolve("a.json"), dir.resolve("b.json")));

        for (String png : List.of("delivered-vs-offered-fanout.png", "p99-vs-offered-fanout.png", "memory-per-connection.png")) {
            byte[] bytes = Files.readAllBytes(dir.resolve("out").resolve(png));
            assertThat(bytes.length).isGreaterThan(1000);
            assertThat(new String(bytes, 1, 3, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("PNG");
        }
        assertThat(Files.readString(dir.resolve("out/results.md")))
                .contains("| fanout | wxim | 100 rcv / 5 snd | 20 | 1998.0 |", "| idle | socketio | 100 conns |");
    }
}
