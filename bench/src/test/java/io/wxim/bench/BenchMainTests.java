package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ConnectException;
import org.junit.jupiter.api.Test;

class BenchMainTests {

    @Test
    void aFailureIsToldByItsInnermostCause() {
        Exception wrapped = new IllegalStateException("Retries exhausted: 3/3",
                new RuntimeException("connect failed", new ConnectException("Connection refused")));
        assertThat(BenchMain.rootCause(wrapped)).isEqualTo("ConnectException: Connection refused");
        assertThat(BenchMain.rootCause(new NullPointerException())).isEqualTo("NullPointerException");
    }
}
