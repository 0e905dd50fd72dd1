package io.kvrelay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class KvrelayMainTest {
    @Test
    void shouldListEveryCommandAndExplainEveryDemoOption() {
        CommandLine cli = new CommandLine(new KvrelayMain());
        assertThat(cli.getSubcommands()).containsKeys("demo", "ingest-bridge", "kvrelay-stream", "kvrelay-router",
                "vllm-sim", "bench-routing", "trace-gen", "help");
        String demoHelp = cli.getSubcommands().get("demo").getUsageMessage();
        for (String option : new String[] {"--services", "--pods-per-service", "--rate", "--duration",
                "--keep-running", "--router-port", "--capacity-blocks", "--admin-token", "--seed"}) {
            assertThat(demoHelp).contains(option);
        }
    }

    @Test
    void shouldExplainEveryBenchOption() {
        String help = new CommandLine(new KvrelayMain()).getSubcommands().get("bench-routing").getUsageMessage();
        for (String option : new String[] {"--services", "--pods-per-service", "--users", "--follow-up-probability",
                "--max-prompt-tokens", "--system-prompts", "--system-prompt-tokens", "--user-tokens-min",
                "--user-tokens-max", "--output-tokens", "--capacity-blocks", "--rate", "--duration", "--seed",
                "--prefill-ms-per-block", "--overhead-ms", "--decode-ms-per-token", "--sample-ms", "--trace", "--time-scale",
                "--limit", "--out"}) {
            assertThat(help).contains(option);
        }
    }

    /** vllm-sim/README.md's run command is the launcher's, with options the simulator has. */
    @Test
    void shouldAcceptTheSimulatorReadmesCommand() throws Exception {
        String readme = Files.readString(Path.of("..", "vllm-sim", "README.md"));
        assertThat(readme).as("no path outside the repository").doesNotContain("/work/");
        Matcher m = Pattern.compile("(?m)^java -jar launcher/target/kvrelay\\.jar (vllm-sim .*)$").matcher(readme);
        assertThat(m.find()).as("the run command").isTrue();
        CommandLine.ParseResult parsed = new CommandLine(new KvrelayMain()).parseArgs(m.group(1).split(" "));
        assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("vllm-sim");
        assertThat(parsed.subcommand().matchedOptions()).isNotEmpty();
    }

    /** Defaults that write files never point into the working directory (a clone, when run from the README). */
    @Test
    void shouldWriteOutputsOutsideTheWorkingDirectoryByDefault() {
        CommandLine cli = new CommandLine(new KvrelayMain());
        String replayOut = cli.getSubcommands().get("replay").getCommandSpec().findOption("--out").defaultValue();
        assertThat(Path.of(replayOut).startsWith(Path.of(System.getProperty("java.io.tmpdir")))).as(replayOut).isTrue();
        // bench-routing: no fixed default; each run writes into its own directory under the temp root.
        assertThat(cli.getSubcommands().get("bench-routing").getCommandSpec().findOption("--out").defaultValue())
                .isNull();
    }

    @Test
    void shouldRefuseAnUnknownOptionWithAUsageError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new KvrelayMain()).setErr(new PrintWriter(err)).execute("demo", "--no-such");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--no-such'");
    }
}
