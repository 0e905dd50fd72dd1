package io.kvrelay.launcher.bench;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.launcher.KvrelayMain;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine;

/**
 * The "Trace-driven benchmark" section of docs/routing-benchmark.md as a test: every {@code java -jar ...} command of
 * it runs (in this JVM, {@code /tmp/kvrelay-trace} replaced by a temporary directory) and prints every line of the
 * {@code text} block after it; the {@code json} block is the start of the trace written; the trace-gen table states
 * the command's real defaults; the bad-trace message is what bench-routing says.
 */
class TraceBenchmarkDocTest {
    private static final Path DOC = Path.of("..", "docs", "routing-benchmark.md");
    private static final String DOC_DIR = "/tmp/kvrelay-trace";
    private static final String JAR = "java -jar launcher/target/kvrelay.jar ";

    @TempDir
    Path tmp;

    private record Block(String lang, List<String> lines) {
    }

    private static String section() throws IOException {
        String doc = Files.readString(DOC);
        int start = doc.indexOf("## Trace-driven benchmark");
        assertThat(start).as("the section exists").isNotNegative();
        int end = doc.indexOf("\n## ", start + 1);
        return end < 0 ? doc.substring(start) : doc.substring(start, end);
    }

    private static List<Block> blocks(String text) {
        List<Block> out = new ArrayList<>();
        String lang = null;
        List<String> lines = null;
        for (String line : text.split("\n", -1)) {
            if (line.startsWith("```")) {
                if (lang == null) {
                    lang = line.substring(3).trim();
                    lines = new ArrayList<>();
                } else {
                    out.add(new Block(lang, lines));
                    lang = null;
                }
            } else if (lang != null) {
                lines.add(line);
            }
        }
        return out;
    }

    @Test
    void shouldPrintWhatTheDocsShowForEveryCommand() throws IOException {
        List<Block> blocks = blocks(section());
        int commands = 0;
        for (int i = 0; i < blocks.size(); i++) {
            Block b = blocks.get(i);
            if (!b.lang().equals("bash") || b.lines().stream().noneMatch(l -> l.startsWith(JAR))) {
                continue;
            }
            StringBuilder printed = new StringBuilder();
            for (String cmd : b.lines()) {
                if (cmd.startsWith(JAR)) {
                    printed.append(run(cmd.substring(JAR.length()).replace(DOC_DIR, tmp.toString()).split(" ")));
                    commands++;
                }
            }
            Block expected = blocks.get(i + 1);
            assertThat(expected.lang()).as("a text block follows each command block").isEqualTo("text");
            List<String> out = Arrays.asList(printed.toString().replace(tmp.toString(), DOC_DIR).split("\n"));
            for (String line : expected.lines()) {
                if (!line.isBlank()) {
                    assertThat(out).as("printed by: " + b.lines()).contains(line);
                }
            }
        }
        assertThat(commands).as("the quick check and the full-size run, two commands each").isEqualTo(4);

        Block json = blocks.stream().filter(x -> x.lang().equals("json")).findFirst().orElseThrow();
        List<String> written = Files.readAllLines(tmp.resolve("trace.jsonl"));
        assertThat(written.subList(0, json.lines().size())).as("the start of the default trace")
                .isEqualTo(json.lines());
    }

    @Test
    void shouldStateTraceGenDefaultsAsTheCommandHasThem() throws IOException {
        String s = section();
        String table = s.substring(s.indexOf("### `kvrelay trace-gen`"), s.indexOf("### Commands"));
        CommandLine traceGen = new CommandLine(new KvrelayMain()).getSubcommands().get("trace-gen");
        int rows = 0;
        for (String row : table.split("\n")) {
            if (!row.startsWith("| `--")) {
                continue;
            }
            String[] cells = row.split("\\|");
            String name = cells[1].trim().replace("`", "");
            String documented = cells[2].trim();
            OptionSpec option = traceGen.getCommandSpec().findOption(name);
            assertThat(option).as(name).isNotNull();
            assertThat(option.required() ? "required" : option.defaultValue()).as(name).isEqualTo(documented);
            rows++;
        }
        assertThat(rows).as("every option but --help and --version").isEqualTo(
                traceGen.getCommandSpec().options().size() - 2);
    }

    @Test
    void shouldNameTheLineOfABadTraceWithoutAStackTrace() throws IOException {
        Path bad = tmp.resolve("t.jsonl");
        Files.writeString(bad, """
                {"timestamp": 0, "input_length": 10, "output_length": 1, "hash_ids": [1]}

                {"timestamp": 5, "input_length": 10, "output_length": 1, "hash_ids": [1, "x"]}
                """);
        PrintStream saved = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = new CommandLine(new KvrelayMain()).execute("bench-routing", "--skip-kvrelay", "--trace",
                    bad.toString(), "--out", tmp.resolve("out").toString());
        } finally {
            System.setErr(saved);
        }
        assertThat(code).isEqualTo(2);
        String message = err.toString(StandardCharsets.UTF_8);
        assertThat(message).startsWith("bench-routing: cannot read the trace: ")
                .contains("t.jsonl line 3: hash_ids[1] must be a 32-bit int, got \"x\"").doesNotContain("\tat ");
        assertThat(section()).as("the docs quote it").contains(
                "`bench-routing:\ncannot read the trace: t.jsonl line 3: hash_ids[1] must be a 32-bit int, got \"x\"`");
    }

    /** Runs one kvrelay command in this JVM; returns its stdout. */
    private static String run(String... args) {
        PrintStream saved = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        System.setOut(new PrintStream(buf, true, StandardCharsets.UTF_8));
        try {
            assertThat(new CommandLine(new KvrelayMain()).execute(args)).as(String.join(" ", args)).isZero();
        } finally {
            System.setOut(saved);
        }
        return buf.toString(StandardCharsets.UTF_8);
    }
}
