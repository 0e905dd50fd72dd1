package io.kvrelay.launcher;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
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

    @Test
    void shouldRefuseAnUnknownOptionWithAUsageError() {
        StringWriter err = new StringWriter();
        int code = new CommandLine(new KvrelayMain()).setErr(new PrintWriter(err)).execute("demo", "--no-such");
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("Unknown option: '--no-such'");
    }
}
