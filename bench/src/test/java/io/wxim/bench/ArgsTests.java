package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ArgsTests {

    @Test
    void readsOptionsFlagsListsAndPositionals() {
        Args a = new Args(new String[] {"--rates", "10,20, 40", "--gc", "--url=http://h:1", "a.json", "--typo", "x"});
        assertThat(a.decimals("rates", "")).containsExactly(10.0, 20.0, 40.0);
        assertThat(a.flag("gc")).isTrue();
        assertThat(a.list("url", "")).containsExactly("http://h:1");
        assertThat(a.integer("receivers", 100)).isEqualTo(100);
        assertThat(a.positional()).containsExactly("a.json");
        assertThat(a.unused()).containsExactly("typo");
    }
}
