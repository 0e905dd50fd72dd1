package io.kvrelay.router.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonFactory;
import io.kvrelay.router.decide.RouteRequest;
import io.kvrelay.schemas.BlockKeys;
import java.nio.charset.StandardCharsets;
import java.util.List;
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
    void shouldReadTheCacheSaltAndMultimodalItems() {
        RouteRequest r = read("{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":[" + "1,".repeat(39) + "1],"
                + "\"cacheSalt\":\"tenant-a\",\"multimodal\":[{\"identifier\":\"img-2\",\"offset\":30,\"length\":4,"
                + "\"modality\":\"image\"},{\"length\":8,\"offset\":10,\"identifier\":\"img-1\"}]}");
        assertThat(r.extras().salted()).isTrue();
        assertThat(r.extras().items()).containsExactly(new BlockKeys.MmItem("img-1", 10, 8),
                new BlockKeys.MmItem("img-2", 30, 4));
        assertThat(r.lora()).isNull();
        assertThat(BlockKeys.keys(r.tokens(), 16, r.extras())).containsExactly(BlockKeys.keys(r.tokens(), 16,
                BlockKeys.Extras.of(null, "tenant-a", List.of(new BlockKeys.MmItem("img-2", 30, 4),
                        new BlockKeys.MmItem("img-1", 10, 8)))));

        RouteRequest none = read("{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":[1],\"cacheSalt\":null,"
                + "\"multimodal\":null}");
        assertThat(none.extras().plain()).isTrue();
        assertThat(read("{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":[1],\"cacheSalt\":\"\"}")
                .extras().salted()).as("vLLM ignores an empty salt").isFalse();
    }

    @Test
    void shouldNameTheMultimodalFieldThatIsWrong() {
        String head = "{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":[" + "1,".repeat(31) + "1],";
        assertThatThrownBy(() -> read(head + "\"cacheSalt\":5}")).hasMessageContaining("cacheSalt must be a string");
        assertThatThrownBy(() -> read(head + "\"multimodal\":{}}")).hasMessageContaining("multimodal must be an array");
        assertThatThrownBy(() -> read(head + "\"multimodal\":[7]}")).hasMessageContaining("multimodal[0] must be an object");
        assertThatThrownBy(() -> read(head + "\"multimodal\":[{\"offset\":0,\"length\":1}]}"))
                .hasMessageContaining("multimodal[0].identifier is required");
        assertThatThrownBy(() -> read(head + "\"multimodal\":[{\"identifier\":\"a\",\"offset\":0}]}"))
                .hasMessageContaining("multimodal[0]: offset and length are required");
        assertThatThrownBy(() -> read(head + "\"multimodal\":[{\"identifier\":\"a\",\"offset\":\"0\",\"length\":1}]}"))
                .hasMessageContaining("multimodal[0].offset must be an int");
        assertThatThrownBy(() -> read(head + "\"multimodal\":[{\"identifier\":\"a\",\"offset\":-1,\"length\":1}]}"))
                .hasMessageContaining("multimodal[0]: offset must be >= 0");
        assertThatThrownBy(() -> read(head + "\"multimodal\":[{\"identifier\":\"\",\"offset\":0,\"length\":1}]}"))
                .hasMessageContaining("multimodal[0]: identifier is required");
        assertThatThrownBy(() -> read(head + "\"multimodal\":[{\"identifier\":\"a\",\"offset\":0,\"length\":4},"
                + "{\"identifier\":\"b\",\"offset\":3,\"length\":4}]}")).hasMessageContaining("overlap");
        assertThatThrownBy(() -> read(head + "\"multimodal\":[{\"identifier\":\"a\",\"offset\":30,\"length\":4}]}"))
                .hasMessageContaining("past the prompt's 32");
        StringBuilder many = new StringBuilder(head + "\"multimodal\":[");
        for (int i = 0; i <= BlockKeys.Extras.MAX_ITEMS; i++) {
            many.append(i == 0 ? "" : ",").append("{\"identifier\":\"i\",\"offset\":0,\"length\":1}");
        }
        assertThatThrownBy(() -> read(many.append("]}").toString())).hasMessageContaining("at most 1024 multimodal");
    }

    @Test
    void shouldRejectWhatIsNotAJsonObject() {
        assertThatThrownBy(() -> read("[1,2]")).hasMessageContaining("body must be a JSON object");
        assertThatThrownBy(() -> read("{\"namespace\":\"ns\",")).hasMessageContaining("invalid JSON");
        assertThatThrownBy(() -> read("")).hasMessageContaining("body must be a JSON object");
        assertThatThrownBy(() -> read("{\"tokens\":[1,2")).hasMessageContaining("invalid JSON");
    }

    /** The byte scan and Jackson alone agree on every body, valid or not: same request, or both refuse. */
    @Test
    void theTokenScanReadsWhatJacksonReads() {
        TokenArrayScan.Found plain = TokenArrayScan.find("{\"namespace\":\"ns\",\"tokens\":[ 0, 17,2147483647\n]}"
                .getBytes(StandardCharsets.UTF_8));
        assertThat(plain).isNotNull();
        assertThat(plain.tokens()).containsExactly(0, 17, Integer.MAX_VALUE);
        java.util.Random rnd = new java.util.Random(11);
        String[] pieces = {"1", "0", "007", "-3", "2147483647", "2147483648", "99999999999", "1.5", "1e3", " ", "\n",
                ",", ",,", "]", "[", "\"x\"", "null", "{}", "\"tokens\"", ":"};
        for (int i = 0; i < 20_000; i++) {
            StringBuilder arr = new StringBuilder("[");
            int n = rnd.nextInt(6);
            for (int k = 0; k < n; k++) {
                arr.append(rnd.nextInt(4) == 0 ? pieces[rnd.nextInt(pieces.length)] : String.valueOf(rnd.nextInt(50_000)));
                if (k < n - 1) {
                    arr.append(rnd.nextInt(10) == 0 ? pieces[rnd.nextInt(pieces.length)] : ",");
                }
            }
            arr.append(rnd.nextInt(20) == 0 ? "" : "]");
            String[] shapes = {
                "{\"namespace\":\"ns\",\"service\":\"svc\",\"tokens\":" + arr + "}",
                "{\"tokens\" : " + arr + ", \"namespace\":\"ns\",\"service\":\"svc\"}",
                "{\"namespace\":\"ns\",\"service\":\"svc\",\"x\":{\"tokens\":" + arr + "},\"tokens\":[5]}",
                "{\"namespace\":\"n\\\"s\",\"service\":\"svc\",\"tokens\":" + arr + ",\"tokens\":[5]}",
                "{\"namespace\":\"ns\",\"service\":\"svc\",\"tok\\u0065ns\":" + arr + "}",
                "{\"namespace\":\"ns\",\"service\":\"svc\",\"userId\":\"\\\"tokens\\\":[1]\",\"tokens\":" + arr + "}",
                "[{\"tokens\":" + arr + "}]",
            };
            for (String body : shapes) {
                byte[] raw = body.getBytes(StandardCharsets.UTF_8);
                String fast = outcome(() -> RouteRequestJson.read(FACTORY, raw));
                String jackson = outcome(() -> RouteRequestJson.read(FACTORY, raw, null));
                assertThat(fast).as(body).isEqualTo(jackson);
            }
        }
    }

    private static String outcome(java.util.function.Supplier<RouteRequest> read) {
        try {
            RouteRequest r = read.get();
            return r.namespace() + "|" + r.service() + "|" + r.userId() + "|" + java.util.Arrays.toString(r.tokens());
        } catch (IllegalArgumentException e) {
            return "refused";
        }
    }
}
