package io.kvrelay.launcher.replay;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.kvrelay.policies.whatif.PolicyOutcome;
import io.kvrelay.policies.whatif.WhatIfSettings;
import java.io.IOException;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a replay's results: one JSON tree (replay.json) from which the CSV tables and the HTML report are derived,
 * so the three always agree.
 */
final class ReplayOutput {
    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReplayOutput() {
    }

    static JsonNode write(ReplayCommand.ReplayJob job, ReplayReport report, ReplayReport.Counts c, long records,
                          double seconds, WhatIfSettings whatIf, List<PolicyOutcome> outcomes) throws IOException {
        Map<String, Object> window = new LinkedHashMap<>();
        window.put("kvEventsTopic", job.eventsTopic());
        window.put("decisionsTopic", job.decisionsTopic());
        window.put("from", job.from() == null ? "beginning" : job.from().toString());
        window.put("to", job.to() == null ? "end" : job.to().toString());
        window.put("firstEventAt", c.firstAt() == null ? null : c.firstAt().toString());
        window.put("lastEventAt", c.lastAt() == null ? null : c.lastAt().toString());
        window.put("sampleSeconds", job.sampleEvery().toMillis() / 1000.0);
        Map<String, Object> run = new LinkedHashMap<>();
        run.put("records", records);
        run.put("eventRecords", c.eventRecords());
        run.put("decisionRecords", c.decisionRecords());
        run.put("events", c.events());
        run.put("undecodableRecords", c.undecodable());
        run.put("undecodableExamples", c.undecodableExamples());
        run.put("seconds", seconds);
        run.put("recordsPerSecond", records / Math.max(1e-9, seconds));
        run.put("eventsPerSecond", c.events() / Math.max(1e-9, seconds));
        Map<String, Object> counterfactual = new LinkedHashMap<>();
        counterfactual.put("model", whatIf.describe());
        counterfactual.put("policies", outcomes);
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("window", window);
        root.put("run", run);
        root.put("services", report.views(outcomes));
        root.put("counterfactual", counterfactual);
        JsonNode tree = JSON.valueToTree(root);
        Files.createDirectories(job.out());
        JSON.writeValue(job.out().resolve("replay.json").toFile(), tree);
        ReplayCsv.write(job.out(), tree);
        ReplayHtml.write(job.out(), tree);
        return tree;
    }
}
