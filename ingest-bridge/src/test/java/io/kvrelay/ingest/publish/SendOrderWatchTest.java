package io.kvrelay.ingest.publish;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class SendOrderWatchTest {
    private static final byte[] POD_A = "ns/svc/a".getBytes(StandardCharsets.UTF_8);
    private static final byte[] POD_B = "ns/svc/b".getBytes(StandardCharsets.UTF_8);
    private static final String EVENTS = "kvrelay.kv-events";
    private final SendOrderWatch watch = new SendOrderWatch();

    @Test
    void shouldSeeNothingWhenEachPodIsAcknowledgedInOrder() {
        SendOrderWatch.Ticket a0 = watch.sent(EVENTS, POD_A, 0, 0);
        SendOrderWatch.Ticket b0 = watch.sent(EVENTS, POD_B, 0, 0);
        SendOrderWatch.Ticket a1 = watch.sent(EVENTS, POD_A, 1, 0);
        assertThat(watch.done(b0, true, 1)).isFalse(); // another pod may go first
        assertThat(watch.done(a0, true, 1)).isFalse();
        assertThat(watch.done(a1, true, 1)).isFalse();
        assertThat(watch.overtakes()).isZero();
        assertThat(watch.inFlight()).isZero();
        assertThat(watch.stuck(Long.MAX_VALUE, 0)).isEmpty();
    }

    @Test
    void shouldReportARecordOvertakenAndStillInFlightAfterTheGraceOnce() {
        SendOrderWatch.Ticket a0 = watch.sent(EVENTS, POD_A, 7, 0);
        SendOrderWatch.Ticket a1 = watch.sent(EVENTS, POD_A, 8, 0);
        assertThat(watch.done(a1, true, 100)).as("seq 8 acknowledged before seq 7").isTrue();
        assertThat(watch.overtakes()).isEqualTo(1);
        assertThat(watch.stuck(150, 100)).as("within the grace").isEmpty();
        assertThat(watch.stuck(200, 100)).singleElement().satisfies(t -> {
            assertThat(t.sequence).isEqualTo(7);
            assertThat(t.pod()).isEqualTo("ns/svc/a");
        });
        assertThat(watch.stuck(300, 100)).as("reported once").isEmpty();
        assertThat(watch.overtakenInFlight()).isEqualTo(1);
        watch.done(a0, true, 400); // late, not lost
        assertThat(watch.overtakenInFlight()).isZero();
        assertThat(watch.inFlight()).isZero();
    }

    @Test
    void shouldForgetAnOvertakenRecordThatArrivesWithinTheGrace() {
        SendOrderWatch.Ticket a0 = watch.sent(EVENTS, POD_A, 0, 0);
        SendOrderWatch.Ticket a1 = watch.sent(EVENTS, POD_A, 1, 0);
        watch.done(a1, true, 10);
        watch.done(a0, true, 20);
        assertThat(watch.stuck(1_000, 100)).isEmpty();
    }

    @Test
    void shouldNotTakeARefusalWhileEarlierRecordsWaitForAnOvertake() {
        SendOrderWatch.Ticket a0 = watch.sent(EVENTS, POD_A, 0, 0);
        SendOrderWatch.Ticket refused = watch.sent(EVENTS, POD_A, 1, 0); // buffer full while Kafka is away: retried later
        assertThat(watch.done(refused, false, 10)).isFalse();
        assertThat(watch.stuck(Long.MAX_VALUE, 0)).isEmpty();
        SendOrderWatch.Ticket retried = watch.sent(EVENTS, POD_A, 1, 20);
        watch.done(a0, true, 30);
        watch.done(retried, true, 40);
        assertThat(watch.overtakes()).isZero();
        assertThat(watch.inFlight()).isZero();
    }

    @Test
    void shouldTellAPodsTopicsApartTheyAreDifferentPartitions() {
        SendOrderWatch.Ticket status = watch.sent("kvrelay.pod-status", POD_A, -1, 0); // retried: leader moved
        SendOrderWatch.Ticket events = watch.sent(EVENTS, POD_A, 0, 0);
        assertThat(watch.done(events, true, 10)).isFalse();
        watch.done(status, true, 20);
        assertThat(watch.overtakes()).isZero();
    }
}
