package io.kvrelay.router.inflight;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.router.scoring.InFlight;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class InFlightLedgerTest {
    private final AtomicLong now = new AtomicLong(10_000);
    private final InFlightLedger ledger = new InFlightLedger(2_000, now::get);

    @Test
    void shouldQueuePrefillsOneAfterAnotherAndDrainThemWithTime() {
        ledger.add("ns/svc/a", 10_000, 300);
        ledger.add("ns/svc/a", 10_000, 200);
        assertThat(ledger.view("ns", "svc").queuedMs("a")).isEqualTo(500.0);
        now.set(10_400);
        assertThat(ledger.view("ns", "svc").queuedMs("a")).isEqualTo(100.0);
        now.set(11_000);
        assertThat(ledger.view("ns", "svc").queuedMs("a")).as("drained").isZero();
        // A request sent to an idle pod starts at once: the queue does not remember idle time.
        ledger.add("ns/svc/a", 11_000, 50);
        assertThat(ledger.view("ns", "svc").queuedMs("a")).isEqualTo(50.0);
    }

    @Test
    void shouldCountSentRequestsAsUnreportedForTheReportLagOnly() {
        ledger.add("ns/svc/a", 10_000, 10);
        now.set(11_000);
        ledger.add("ns/svc/a", 11_000, 10);
        assertThat(ledger.view("ns", "svc").unreported("a")).isEqualTo(2);
        now.set(12_000);
        assertThat(ledger.view("ns", "svc").unreported("a")).as("the first is in the pod's reports by now").isEqualTo(1);
        now.set(13_500);
        assertThat(ledger.view("ns", "svc").unreported("a")).isZero();
    }

    @Test
    void shouldKeepPodsAndServicesApartAndKnowNothingOfUnknownPods() {
        ledger.add("ns/svc/a", 10_000, 100);
        InFlight other = ledger.view("ns", "other");
        assertThat(other.queuedMs("a")).isZero();
        assertThat(other.unreported("a")).isZero();
        assertThat(other.meanPrefillMs("a")).isNaN();
        assertThat(ledger.view("ns", "svc").queuedMs("b")).isZero();
    }

    @Test
    void shouldFollowTheMeanPrefillOfRecentRequests() {
        ledger.add("ns/svc/a", 10_000, 100);
        assertThat(ledger.view("ns", "svc").meanPrefillMs("a")).isEqualTo(100.0);
        for (int i = 0; i < 50; i++) {
            ledger.add("ns/svc/a", 10_000, 300);
        }
        assertThat(ledger.view("ns", "svc").meanPrefillMs("a")).isCloseTo(300.0, org.assertj.core.data.Offset.offset(1.0));
    }

    @Test
    void shouldIgnoreNonsensePredictions() {
        ledger.add("ns/svc/a", 10_000, Double.NaN);
        ledger.add("ns/svc/a", 10_000, -5);
        ledger.add("ns/svc/a", 10_000, Double.POSITIVE_INFINITY);
        assertThat(ledger.size()).isZero();
    }

    /** Another replica's decision arrives a few ms late, stamped with its own (earlier) instant. */
    @Test
    void shouldCountALateDecisionFromItsOwnInstant() {
        now.set(10_030);
        ledger.add("ns/svc/a", 10_000, 100);
        assertThat(ledger.view("ns", "svc").queuedMs("a")).isEqualTo(70.0);
    }

    @Test
    void shouldCountProxiedRequestsUntilEachIsReleasedOnce() {
        Runnable first = ledger.open("ns/svc/a");
        Runnable second = ledger.open("ns/svc/a");
        ledger.open("ns/svc/b");
        assertThat(ledger.view("ns", "svc").open("a")).isEqualTo(2);
        first.run();
        first.run(); // a second release of the same request changes nothing
        assertThat(ledger.view("ns", "svc").open("a")).isEqualTo(1);
        now.set(now.get() + 3_600_000); // long after, with enough decisions to sweep idle pods out
        for (int i = 0; i < 5_000; i++) {
            ledger.add("ns/svc/c", now.get(), 1);
        }
        // An open request is never forgotten (pod b, idle as long, has one too).
        assertThat(ledger.view("ns", "svc").open("a")).isEqualTo(1);
        second.run();
        assertThat(ledger.view("ns", "svc").open("a")).isZero();
        assertThat(ledger.view("ns", "svc").open("b")).isEqualTo(1);
    }
}
