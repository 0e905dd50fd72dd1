package io.kvrelay.launcher.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.testkit.RequiredTools;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The alert rules and the dashboard's queries as Prometheus reads them: {@code promtool check rules}. */
class AlertRulesIT {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

    @Test
    void promtoolAcceptsTheRules() throws Exception {
        RequiredTools.require("promtool", "apt-get install prometheus");
        Process p = new ProcessBuilder("promtool", "check", "rules",
                ROOT.resolve("deploy/prometheus/kvrelay-alerts.yml").toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as(out).isZero();
        assertThat(out).contains("SUCCESS: 11 rules found");
    }
}
