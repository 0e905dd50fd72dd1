package io.kvrelay.router.admin;

import io.kvrelay.router.state.PodSource;
import io.kvrelay.router.state.PodInfo;
import io.kvrelay.router.state.ServiceStateCache;
import io.kvrelay.schemas.PodCommandWriter;
import io.kvrelay.schemas.avro.PodCommand;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Drains and undrains pods from the router: writes the operator's command to the pod-status topic (where stream-app
 * applies it, the one owner of pod state), then re-reads the service's state until stream-app shows it, so this
 * router's next decision already respects it. Other routers see it at their next state refresh.
 */
public final class PodDrainer implements AutoCloseable {
    private static final Duration POLL = Duration.ofMillis(50);

    private final PodCommandWriter commands;
    private final ServiceStateCache states;
    private final Duration applyTimeout;
    private final Clock clock;

    /** What became of a command: written (always, or an exception), and whether stream-app shows it yet. */
    public record Outcome(String pod, boolean drained, boolean applied, PodInfo state) {
    }

    public PodDrainer(PodCommandWriter commands, ServiceStateCache states, Duration applyTimeout, Clock clock) {
        this.commands = commands;
        this.states = states;
        this.applyTimeout = applyTimeout;
        this.clock = clock;
    }

    /**
     * @return applied=false when stream-app did not show the command within the timeout (it is written, and applies
     *         when stream-app reads it) or does not know the pod yet
     * @throws Exception when Kafka did not take the command
     */
    public Outcome set(String ns, String service, String pod, boolean drain, String operator, String reason)
            throws Exception {
        commands.send(new PodCommand(ns, service, pod, drain, operator == null ? "" : operator,
                reason == null ? "" : reason, clock.millis() * 1_000));
        long deadline = System.nanoTime() + applyTimeout.toNanos();
        Optional<PodInfo> seen = Optional.empty();
        while (true) {
            try {
                seen = states.refresh(ns, service).stream().filter(p -> p.pod().equals(pod)).findFirst();
            } catch (PodSource.Unavailable e) {
                seen = Optional.empty(); // stream-app away: the command waits in Kafka, report not applied
            }
            if (seen.isPresent() && seen.get().draining() == drain) {
                return new Outcome(ns + "/" + service + "/" + pod, drain, true, seen.get());
            }
            if (System.nanoTime() > deadline) {
                return new Outcome(ns + "/" + service + "/" + pod, drain, false, seen.orElse(null));
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    @Override
    public void close() {
        commands.close();
    }
}
