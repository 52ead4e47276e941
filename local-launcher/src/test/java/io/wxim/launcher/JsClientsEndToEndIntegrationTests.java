package io.wxim.launcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.fail;

import io.wxim.testinfra.Processes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The JS side against the real system of the end-to-end suite (two gateways): the client SDK's integration tests
 * ({@code clients/js/test/integration.mjs}), the mini-program demo's pages under a {@code wx} shim
 * ({@code clients/miniprogram-demo/test/integration.test.js}) and the browser end-to-end run ({@code clients/browser-e2e/run.mjs}, Debian
 * chromium driven by playwright-core). Both need Node.js and their {@code node_modules} ({@code ./run-tests.sh} installs
 * them); without them these tests FAIL, never skip.
 */
class JsClientsEndToEndIntegrationTests extends EndToEndTestBase {
    private static final Duration LIMIT = Duration.ofSeconds(150);

    @Test
    @Timeout(180)
    void clientSdk_integrationTestsPassAgainstTheRealServices() throws Exception {
        Path dir = Processes.findUp("clients/js", "package.json");
        requireInstalled(dir, "clients/js");
        runNode(dir, List.of("node", "--test", "test/integration.mjs"));
    }

    @Test
    @Timeout(180)
    void miniProgramDemo_pagesWorkAgainstTheRealServices_withAWxShim() throws Exception {
        Path dir = Processes.findUp("clients/miniprogram-demo", "package.json");
        requireInstalled(dir, "clients/miniprogram-demo");
        runNode(dir, List.of("node", "--test", "test/integration.test.js"));
    }

    @Test
    @Timeout(180)
    void webDemo_browserEndToEndPassesInChromium() throws Exception {
        Path dir = Processes.findUp("clients/browser-e2e", "package.json");
        requireInstalled(dir, "clients/browser-e2e");
        runNode(dir, List.of("node", "run.mjs"));
    }

    private void runNode(Path dir, List<String> command) throws IOException, InterruptedException {
        Processes.Result result;
        try {
            result = Processes.run(command, dir, Map.of("WXIM_BASE_URL", "http://127.0.0.1:" + gw1,
                    "WXIM_BASE_URL_2", "http://127.0.0.1:" + gw2), "", LIMIT);
        } catch (IOException e) {
            fail("`node` could not be started (" + e.getMessage() + "): install Node.js 18+ with npm");
            return;
        }
        assertThat(result.exit()).as("%s in %s exited with %d\nstdout:\n%s\nstderr:\n%s", command, dir, result.exit(),
                tail(result.stdout()), tail(result.stderr())).isZero();
    }

    private static void requireInstalled(Path dir, String name) {
        if (!Files.isDirectory(dir.resolve("node_modules"))) {
            fail(dir.resolve("node_modules") + " is missing: run `npm ci --prefix " + name
                    + "` in the repository root (./run-tests.sh does it)");
        }
    }

    private static String tail(String text) {
        return text.length() <= 6000 ? text : "..." + text.substring(text.length() - 6000);
    }
}
