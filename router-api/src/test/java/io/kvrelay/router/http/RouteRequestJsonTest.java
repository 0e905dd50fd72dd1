package io.kvrelay.router.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import io.kvrelay.router.decide.RouteRequest;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class RouteRequestJsonTest {
    private static final JsonFactory FACTORY = new JsonFactory();

    private static RouteRequest read(String json) {
        return RouteRequestJson.read(FACTORY, json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void shouldReadEveryFieldAndSkipUnknownOnes() {
        RouteRequest r = read("{\"namespace\":\"ns\",\"extra\":{\"a\":[1,{\"b\":2}]},\"service\":\"svc\","
                + "\"userId\":\"alice\",\"lora\":\"sql\",\"tokens\":[1,2,-3,2147483647]}");
        assertThat(r.namespace()).isEqualTo("ns");
        assertThat(r.service()).isEqualTo("svc");
        assertThat(r.userId()).isEqualTo("alice");
        assertThat(r.lora()).isEqualTo("sql");
        assertThat(r.tokens()).containsExactly(1, 2, -3, Integer.MAX_VALUE);
    }

    @Test
    void shouldGrowPastTheInitialTokenBuffer() {
        StringBuilder sb = new StringBuilder("{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":[");
        for (int i = 0; i < 5000; i++) {
            sb.append(i == 0 ? "" : ",").append(i);
        }
        RouteRequest r = read(sb.append("]}").toString());
        assertThat(r.tokens()).hasSize(5000);
        assertThat(r.tokens()[4999]).isEqualTo(4999);
        assertThat(r.userId()).isNull();
        assertThat(r.lora()).isNull();
    }

    @Test
    void shouldNameTheFieldThatIsWrong() {
        assertThatThrownBy(() -> read("{\"namespace\":\"ns\",\"service\":\"svc\"}"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokens is required");
        assertThatThrownBy(() -> read("{\"service\":\"svc\",\"tokens\":[]}"))
                .hasMessageContaining("namespace is required");
        assertThatThrownBy(() -> read("{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":[1,\"x\"]}"))
                .hasMessageContaining("tokens[1] must be an int");
        assertThatThrownBy(() -> read("{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":[1,4294967296]}"))
                .hasMessageContaining("tokens[1] must be an int");
        assertThatThrownBy(() -> read("{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":[1.5]}"))
                .hasMessageContaining("tokens[0] must be an int");
        assertThatThrownBy(() -> read("{\"namespace\":7,\"service\":\"svc\",\"tokens\":[]}"))
                .hasMessageContaining("namespace must be a string");
        assertThatThrownBy(() -> read("{\"namespace\":\"a/b\",\"service\":\"svc\",\"tokens\":[]}"))
                .hasMessageContaining("namespace is required and contains no '/'");
    }

    @Test
    void shouldRejectWhatIsNotAJsonObject() {
        assertThatThrownBy(() -> read("[1,2]")).hasMessageContaining("body must be a JSON object");
        assertThatThrownBy(() -> read("{\"namespace\":\"ns\",")).hasMessageContaining("invalid JSON");
        assertThatThrownBy(() -> read("")).hasMessageContaining("body must be a JSON object");
        assertThatThrownBy(() -> read("{\"tokens\":[1,2")).hasMessageContaining("invalid JSON");
    }
}
