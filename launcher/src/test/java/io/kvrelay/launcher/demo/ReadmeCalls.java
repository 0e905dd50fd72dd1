package io.kvrelay.launcher.demo;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The curl lines of one README code block, run as written against a running demo: only the ports the test's demo
 * took (any free ones, not the defaults a user's demo has) and the admin token are put in. Running the lines
 * themselves, not a Java paraphrase, is what keeps the README true.
 */
final class ReadmeCalls {
    static final Path README = Path.of("..", "README.md");

    /** One call: the line as the README has it, the HTTP status and the body. */
    record Answer(String line, int status, String body) {
    }

    private ReadmeCalls() {
    }

    /** The curl lines of the first bash block after {@code marker}, continuation lines joined. */
    static List<String> after(String marker) throws IOException {
        String readme = Files.readString(README);
        int at = readme.indexOf(marker);
        if (at < 0) {
            throw new IllegalStateException("README has no \"" + marker + "\"");
        }
        int start = readme.indexOf("```bash\n", at) + "```bash\n".length();
        String block = readme.substring(start, readme.indexOf("```", start));
        List<String> calls = new ArrayList<>();
        StringBuilder current = null;
        for (String line : block.split("\n")) {
            if (current != null) {
                current.append(' ').append(line.strip());
            } else if (line.startsWith("curl ")) {
                current = new StringBuilder(line);
            } else {
                continue;
            }
            if (current.toString().endsWith("\\")) {
                current.setLength(current.length() - 1);
            } else {
                calls.add(current.toString());
                current = null;
            }
        }
        return calls;
    }

    /**
     * Runs one README line with bash and curl, {@code localhost:<readme port>} pointed at the demo's port.
     *
     * @param ports README port → the test demo's port
     */
    static Answer run(String line, Map<Integer, Integer> ports, String token) throws Exception {
        String cmd = line.replaceAll("\\s+#\\s.*$", "");  // the comment would swallow the options added below
        for (Map.Entry<Integer, Integer> p : ports.entrySet()) {
            cmd = cmd.replace("localhost:" + p.getKey() + "/", "127.0.0.1:" + p.getValue() + "/");
        }
        cmd = cmd.replace("<adminToken>", token) + " -w '\\n%{http_code}'";
        ProcessBuilder pb = new ProcessBuilder("bash", "-c", cmd).redirectErrorStream(true);
        pb.environment().put("TOKEN", token);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IllegalStateException("no answer within 60 s: " + cmd);
        }
        int nl = out.lastIndexOf('\n');
        String code = out.substring(nl + 1).strip();
        int status = code.matches("\\d{3}") ? Integer.parseInt(code) : -1;
        return new Answer(line, status, nl < 0 ? out : out.substring(0, nl));
    }
}
