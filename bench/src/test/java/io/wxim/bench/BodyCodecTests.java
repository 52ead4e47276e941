package io.wxim.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BodyCodecTests {

    @Test
    void findsTheBodyInAWximMessageFrame() {
        String body = BodyCodec.encode(2, 17, -123456789L, 42, 0);
        String frame = "{\"type\":\"message\",\"conv\":\"r:x\",\"seq\":5,\"id\":\"i\",\"from\":{\"id\":\"u\",\"nickname\":\"n\"},"
                + "\"cmid\":\"b17.1\",\"kind\":\"text\",\"body\":\"" + body + "\",\"ts\":1}";
        assertThat(BodyCodec.find(frame)).isEqualTo(new BodyCodec.Body(2, 17, -123456789L, 42));
        assertThat(BodyCodec.type(frame)).isEqualTo("message");
    }

    @Test
    void findsTheBodyInASocketIoEvent_withPadding() {
        String body = BodyCodec.encode(0, 3, 99, 7, 5);
        assertThat(body).endsWith("|xxxxx");
        String frame = "42[\"message\",{\"from\":\"u\",\"cmid\":\"b3.7\",\"body\":\"" + body + "\",\"ts\":2}]";
        assertThat(BodyCodec.find(frame)).isEqualTo(new BodyCodec.Body(0, 3, 99, 7));
    }

    @Test
    void ignoresFramesWithoutOurBody() {
        assertThat(BodyCodec.find("{\"type\":\"message\",\"body\":\"hello\"}")).isNull();
        assertThat(BodyCodec.find("{\"type\":\"message\",\"body\":\"B1|1|2\"}")).isNull();
        assertThat(BodyCodec.find("{\"type\":\"pong\"}")).isNull();
        assertThat(BodyCodec.type("3")).isNull();
    }
}
