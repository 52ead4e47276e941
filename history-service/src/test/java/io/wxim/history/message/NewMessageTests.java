package io.wxim.history.message;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class NewMessageTests {
    private static final int MAX_BODY = 4000;

    @Test
    void acceptsTextMessage_whenAllFieldsValid() {
        NewMessage m = NewMessage.of("r:lobby", "u1", "Ann", null, "c-1", "text", "hi", MAX_BODY);
        assertThat(m.from().id()).isEqualTo("u1");
        assertThat(m.from().avatarUrl()).isNull();
    }

    @Test
    void countsCodePoints_whenBodyHasEmoji() {
        String emoji = "\uD83D\uDE00"; // one character, two UTF-16 units
        assertThat(NewMessage.of("r:a", "u1", null, null, "c", "text", emoji.repeat(MAX_BODY), MAX_BODY).body())
                .hasSize(2 * MAX_BODY);
    }

    @Test
    void rejects_whenAnyFieldInvalid() {
        assertInvalid("bad conv", "u1", "c", "text", "hi");
        assertInvalid("r:a", "", "c", "text", "hi");
        assertInvalid("r:a", "u1", "bad cmid!", "text", "hi");
        assertInvalid("r:a", "u1", "c", "image", "hi");
        assertInvalid("r:a", "u1", "c", "text", "");
        assertInvalid("r:a", "u1", "c", "text", "x".repeat(MAX_BODY + 1));
    }

    @Test
    void acceptsImageAndAudio_withTheirMediaFields() {
        NewMessage image = NewMessage.of("r:a", "u1", null, null, "c", "image", null, "m_1", null, MAX_BODY);
        NewMessage audio = NewMessage.of("d:a", "u1", null, null, "c", "audio", null, "m_2", 3000, MAX_BODY);
        assertThat(image.mediaId()).isEqualTo("m_1");
        assertThat(audio.duration()).isEqualTo(3000);
    }

    @Test
    void rejectsMediaFieldsThatDoNotFitTheKind() {
        assertInvalidMedia("image", "hi", "m1", null);        // body on an image
        assertInvalidMedia("image", null, null, null);        // no media
        assertInvalidMedia("image", null, "$where", null);    // not an id
        assertInvalidMedia("image", null, "m1", 100);         // duration on an image
        assertInvalidMedia("audio", null, "m1", null);        // audio without duration
        assertInvalidMedia("audio", null, "m1", 0);
        assertInvalidMedia("audio", null, "m1", 600_001);
        assertInvalidMedia("text", "hi", "m1", null);         // media on text
        assertInvalidMedia("video", null, "m1", null);
    }

    private static void assertInvalidMedia(String kind, String body, String media, Integer duration) {
        assertThatThrownBy(() -> NewMessage.of("r:a", "u1", null, null, "c", kind, body, media, duration, MAX_BODY))
                .isInstanceOf(InvalidRequestException.class);
    }

    private static void assertInvalid(String conv, String from, String cmid, String kind, String body) {
        assertThatThrownBy(() -> NewMessage.of(conv, from, null, null, cmid, kind, body, MAX_BODY))
                .isInstanceOf(InvalidRequestException.class);
    }
}
