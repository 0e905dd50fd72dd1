package io.kvrelay.http;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The two questions an orchestrator asks every part, as Kubernetes asks them: {@code GET /livez} (is the process
 * working? its event loop answering is the proof: 200, always; a failure here means restart it) and
 * {@code GET /readyz} (can it do its job now? 200, or 503 with the reason and {@code Retry-After}: keep traffic away,
 * do not restart). Each part says what "ready" means for it.
 */
public final class Probes {
    private Probes() {
    }

    /**
     * Adds both probes to {@code routes}.
     *
     * @param notReady why the part cannot do its job now, or null when it can; called on the event loop, so it must
     *                 only read state the part keeps up to date
     */
    public static Routes add(Routes routes, Supplier<String> notReady) {
        return routes.get("/livez", r -> Reply.ok(Map.of("status", "UP")))
                .get("/readyz", r -> {
                    String why = notReady.get();
                    if (why != null) {
                        Map<String, Object> details = new LinkedHashMap<>();
                        details.put("status", "NOT_READY");
                        details.put("reason", why);
                        details.put("retryAfterMs", 1000);
                        throw new HttpError(503, why, details);
                    }
                    return Reply.ok(Map.of("status", "READY"));
                });
    }
}
