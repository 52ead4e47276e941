package io.wxim.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;

/** The bench CLI: {@code java -jar bench.jar <fanout|direct|idle|storm|report> [--option value ...]}. */
public final class BenchMain {

    static final String USAGE = """
            usage: java -jar bench/target/bench-0.1.0-SNAPSHOT-exec.jar <scenario> [options]
              fanout  --target wxim|socketio --url http://127.0.0.1:8080[,url2] --receivers 100 --senders 10
                      --rates 10,20,40 --step-seconds 10 --drain-seconds 3 [--warmup-seconds 0] [--body-padding 0]
                      [--stop-loss-percent 1] [--stop-p99-ms 1000] [--per-connection-limit 20]
              direct  --target ... --url ... --pairs 50 --rates 50,100,200 --step-seconds 10 --drain-seconds 3
              idle    --target ... --url ... --connections 1000 --hold-seconds 30 [--conns-per-user 1]
                      [--heap-url http://127.0.0.1:9080/actuator/metrics/jvm.memory.used?tag=area:heap] [--gc]
              storm   --target ... --url <victim> --fallback-url <url>[,url] --clients 100
                      (--kill-pid <gateway pid> | --kill-cmd '<shell command>') [--timeout-seconds 60]
                      [--backoff-base-ms 100] [--backoff-max-ms 2000]
              report  --out <dir> <result.json>...
            common: --server-pids label=pid,... (CPU %% and RSS from /proc)  --out <result.json>
                    --md <file to append the Markdown rows to>  --loop-threads 1  --connect-concurrency 64
                    --connect-retries 8 (fanout, direct: a failed connect is tried again, backoff 0.2-2 s; idle: never)
                    --heartbeat-seconds 25  --connect-timeout-seconds 20  --run-id <id>
                    --source-addresses 127.0.0.2,127.0.0.3 (WebSockets bind these in turn: ~28,000 ports per address)
            """;

    private BenchMain() {
    }

    public static void main(String[] argv) throws Exception {
        if (argv.length == 0 || java.util.Arrays.stream(argv).anyMatch(a -> a.equals("-h") || a.equals("--help"))) {
            System.out.printf(USAGE);
            return;
        }
        try {
            run(argv);
        } catch (IllegalArgumentException e) { // a bad option: say which, no stack trace
            System.err.println("bench: " + e.getMessage());
            System.err.printf(USAGE);
            System.exit(2);
        } catch (Exception e) { // e.g. the server is not reachable: the cause in one line
            System.err.println("bench: " + argv[0] + " failed: " + rootCause(e));
            System.exit(1);
        }
    }

    /** The innermost cause's class and message: what went wrong, without the reactive plumbing around it. */
    static String rootCause(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
    }

    private static void run(String[] argv) throws Exception {
        String scenario = argv[0];
        Args a = new Args(java.util.Arrays.copyOfRange(argv, 1, argv.length));
        if (scenario.equals("report")) {
            Path out = Path.of(a.string("out", "bench-results/report"));
            List<Path> files = a.positional().stream().map(Path::of).toList();
            if (files.isEmpty()) {
                throw new IllegalArgumentException("report: give result files");
            }
            Report.run(out, files);
            return;
        }
        a.string("scenario", scenario);
        String outOption = a.string("out", null);
        String md = a.string("md", "bench-results/results.md");
        RunResult result = switch (scenario) {
            case "fanout" -> new RateScenario(true, a).run();
            case "direct" -> new RateScenario(false, a).run();
            case "idle" -> new IdleScenario(a).run();
            case "storm" -> new StormScenario(a).run();
            default -> throw new IllegalArgumentException("unknown scenario: " + scenario);
        };
        List<String> unused = a.unused();
        if (!unused.isEmpty()) {
            System.err.println("WARNING: options not used by " + scenario + ": " + unused);
        }
        Path out = Path.of(outOption != null ? outOption : "bench-results/" + scenario + "-" + result.target() + "-"
                + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss")) + ".json");
        result.write(out);
        Path mdFile = Path.of(md);
        if (mdFile.getParent() != null) {
            Files.createDirectories(mdFile.getParent());
        }
        StringBuilder rows = new StringBuilder();
        if (!Files.exists(mdFile)) {
            rows.append(RunResult.markdownHeader()).append('\n');
        }
        result.markdownRows().forEach(r -> rows.append(r).append('\n'));
        Files.writeString(mdFile, rows, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
        System.out.println(RunResult.markdownHeader());
        result.markdownRows().forEach(System.out::println);
        result.notes().forEach(n -> System.out.println("note: " + n));
        System.out.println("result: " + out + " (rows appended to " + mdFile + ")");
        System.exit(0);
    }
}
