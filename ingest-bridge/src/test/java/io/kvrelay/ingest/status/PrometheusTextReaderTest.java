package io.kvrelay.ingest.status;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PrometheusTextReaderTest {
    private record Sample(String name, double value) {
    }

    private static List<Sample> samples(String text, int expectedMalformed) {
        List<Sample> out = new ArrayList<>();
        PrometheusTextReader.Summary s = PrometheusTextReader.read(text, (n, v) -> out.add(new Sample(n, v)));
        assertThat(s.malformedLines()).as("malformed lines in:\n" + text).isEqualTo(expectedMalformed);
        assertThat(s.samples()).isEqualTo(out.size());
        return out;
    }

    @Test
    void shouldSkipCommentsAndBlankLinesAndReadBareAndLabelledSamples() {
        String page = """
                # HELP vllm:num_requests_running Number of requests in model execution batches.
                # TYPE vllm:num_requests_running gauge
                vllm:num_requests_running{engine="0",model_name="m"} 3.0

                   # indented comment
                process_open_fds 12
                vllm:num_requests_waiting{} 1
                """;

        assertThat(samples(page, 0)).containsExactly(new Sample("vllm:num_requests_running", 3.0),
                new Sample("process_open_fds", 12), new Sample("vllm:num_requests_waiting", 1));
    }

    @Test
    void shouldNotBeDerailedByQuotedLabelValues() {
        String page = "m{model_name=\"a b, c=\\\"d\\\" {x} \\\\\",engine=\"0\",} 2.5\n"
                + "m{ model_name = \"spaces around\" , engine=\"1\" } 0.5 1712345678901\n"
                + "m{path=\"C:\\\\dir\\nnext\"}\t7\n";

        assertThat(samples(page, 0)).extracting(Sample::value).containsExactly(2.5, 0.5, 7.0);
    }

    @Test
    void shouldReadEveryFloatFormPrometheusWrites() {
        String page = """
                a 1e-3
                b -2.5E+2
                c .5
                d 7.
                e NaN
                f +Inf
                g -Inf
                h inf
                i 0
                """;

        List<Sample> s = samples(page, 0);
        assertThat(s).extracting(Sample::value).containsExactly(0.001, -250.0, 0.5, 7.0, Double.NaN,
                Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.POSITIVE_INFINITY, 0.0);
    }

    @Test
    void shouldCountMalformedLinesAndKeepTheGoodOnesAroundThem() {
        String page = String.join("\n",
                "good 1",
                "no_value",
                "no_value_with_labels{a=\"b\"}",
                "unterminated{a=\"b} 3",
                "unclosed{a=\"b\" 3",
                "label_without_quotes{a=b} 3",
                "bad_label_name{1a=\"x\"} 3",
                "not_a_number abc",
                "java_suffix 1.0d",
                "hex 0x1p3",
                "double_sign --1",
                "exponent_without_digits 1e",
                "name-1",
                "3starts_with_digit 1",
                "trailing garbage 1 2 3",
                "bad_timestamp 1 12.5",
                "<html><body>not found</body></html>",
                "also_good{x=\"y\"} 2");

        PrometheusTextReader.Summary s = PrometheusTextReader.read(page, (n, v) -> { });
        assertThat(samples(page, 16)).containsExactly(new Sample("good", 1), new Sample("also_good", 2));
        assertThat(s.firstMalformedLine()).isEqualTo("no_value");
    }

    @Test
    void shouldAcceptWindowsLineEndsAndAMissingLastNewline() {
        assertThat(samples("a 1\r\n# c\r\nb 2", 0)).containsExactly(new Sample("a", 1), new Sample("b", 2));
        assertThat(samples("", 0)).isEmpty();
    }
}
