package io.kvrelay.launcher.bench.trace;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class MooncakeTraceTest {
    private static List<TraceRecord> read(String text, int limit) throws IOException {
        return MooncakeTrace.read(new BufferedReader(new StringReader(text)), "t.jsonl", limit);
    }

    @Test
    void shouldReadEveryFieldAndEverySpellingOfTheSession() throws IOException {
        String text = """
                {"timestamp": 0, "input_length": 1000, "output_length": 20, "hash_ids": [1, 2]}
                {"timestamp": 27, "input_length": 600, "output_length": 5, "hash_ids": [1, 3], "session_id": "s-1"}

                {"timestamp": 27.5, "input_length": 1, "output_length": 0, "hash_ids": [9], "session": 17, "extra": [1]}
                {"timestamp": 30, "input_length": 10, "output_length": 1, "hash_ids": [4], "user_id": "alice"}
                {"timestamp": 31, "input_length": 10, "output_length": 1, "hash_ids": [], "user": 5, "session_id": null}
                """;
        List<TraceRecord> rs = read(text, Integer.MAX_VALUE);
        assertThat(rs).hasSize(5);
        TraceRecord first = rs.get(0);
        assertThat(first.timestampMs()).isZero();
        assertThat(first.inputLength()).isEqualTo(1000);
        assertThat(first.outputLength()).isEqualTo(20);
        assertThat(first.hashIds()).containsExactly(1, 2);
        assertThat(first.sessionId()).as("no session field: no user").isNull();
        assertThat(rs).extracting(TraceRecord::sessionId).containsExactly(null, "s-1", "17", "alice", "5");
        assertThat(rs.get(2).timestampMs()).isEqualTo(27.5);
        assertThat(read(text, 2)).as("limit: the first N records").hasSize(2);
    }

    @Test
    void shouldNameTheLineOfEachBadRecord() {
        String ok = "{\"timestamp\": 0, \"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n";
        assertBad(ok + "\n" + "{not json\n", "t.jsonl line 3: not JSON");
        assertBad(ok + "[1, 2]\n", "line 2: expected a JSON object");
        assertBad(ok + "{\"input_length\": 10, \"output_length\": 1, \"hash_ids\": [1]}\n",
                "line 2: timestamp must be a number >= 0");
        assertBad("{\"timestamp\": 0, \"input_length\": -3, \"output_length\": 1, \"hash_ids\": [1]}\n",
                "line 1: input_length must be an int >= 0 (tokens), got -3");
        assertBad("{\"timestamp\": 0, \"input_length\": 3, \"hash_ids\": [1]}\n",
                "line 1: output_length must be an int >= 0 (tokens), got null");
        assertBad("{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 1, \"hash_ids\": [1, \"x\"]}\n",
                "line 1: hash_ids[1] must be a 32-bit int");
        assertBad("{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 1}\n", "line 1: hash_ids must be an array");
        assertBad(ok + ok + "{\"timestamp\": 0, \"input_length\": 3, \"output_length\": 1, \"hash_ids\": [], "
                + "\"session_id\": {\"a\": 1}}\n", "line 3: session_id must be a string or an integer");
    }

    private static void assertBad(String text, String message) {
        assertThatThrownBy(() -> read(text, Integer.MAX_VALUE)).isInstanceOf(TraceFormatException.class)
                .hasMessageContaining(message);
    }

    @Test
    void shouldReadBackWhatItWrites() throws IOException {
        TraceRecord r = new TraceRecord(1234, 1500, 300, new int[] {7, 8, 9}, "session-3");
        String line = MooncakeTrace.line(r);
        assertThat(line).isEqualTo("{\"timestamp\":1234,\"input_length\":1500,\"output_length\":300,"
                + "\"hash_ids\":[7,8,9],\"session_id\":\"session-3\"}");
        TraceRecord back = read(line, 1).get(0);
        assertThat(back.timestampMs()).isEqualTo(1234);
        assertThat(back.hashIds()).containsExactly(7, 8, 9);
        assertThat(back.sessionId()).isEqualTo("session-3");
        assertThat(MooncakeTrace.line(new TraceRecord(0.5, 1, 1, new int[] {1}, null)))
                .as("no session: no field; a fractional timestamp stays one").doesNotContain("session")
                .contains("\"timestamp\":0.5");
    }

    @Test
    void shouldMeasureReuseAsBlocksWhoseWholePrefixWasSeenBefore() {
        List<TraceRecord> rs = List.of(new TraceRecord(0, 1536, 10, new int[] {1, 2, 3}, "a"),
                new TraceRecord(1000, 1536, 30, new int[] {1, 2, 4}, "a"),
                new TraceRecord(2000, 512, 20, new int[] {5}, null),
                new TraceRecord(3000, 1024, 20, new int[] {1, 9}, "b"),
                new TraceRecord(4000, 1024, 20, new int[] {9, 2}, "b"));
        TraceFacts f = TraceFacts.of(rs);
        assertThat(f.requests()).isEqualTo(5);
        assertThat(f.sessions()).isEqualTo(2);
        assertThat(f.hashBlocks()).isEqualTo(11);
        // [1, 2] of the second, [1] of the fourth; [9, 2] is a new prefix although 9 and 2 were seen elsewhere.
        assertThat(f.reuseShare()).isEqualTo(3.0 / 11);
        assertThat(f.meanInputTokens()).isEqualTo((1536 * 2 + 512 + 1024 * 2) / 5.0);
        assertThat(f.meanOutputTokens()).isEqualTo(20);
        assertThat(f.durationSeconds()).isEqualTo(4);
    }
}
