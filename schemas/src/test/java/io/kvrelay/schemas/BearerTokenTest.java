package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class BearerTokenTest {
    @Test
    void shouldAcceptOnlyTheExactBearerHeader() {
        assertThat(BearerToken.matches("Bearer s3cret", "s3cret")).isTrue();
        assertThat(BearerToken.matches("Bearer s3creT", "s3cret")).isFalse();
        assertThat(BearerToken.matches("Bearer s3cret ", "s3cret")).as("longer").isFalse();
        assertThat(BearerToken.matches("Bearer s3cre", "s3cret")).as("shorter").isFalse();
        assertThat(BearerToken.matches("s3cret", "s3cret")).as("no scheme").isFalse();
        assertThat(BearerToken.matches(null, "s3cret")).isFalse();
        assertThat(BearerToken.matches("Bearer ", "")).as("an empty token admits nobody").isFalse();
        assertThat(BearerToken.matches("Bearer x", null)).isFalse();
    }
}
