package io.kvrelay.ingest.fleet;

import io.kvrelay.schemas.KafkaClients;
import io.kvrelay.schemas.PodKey;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.utils.Utils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This bridge's share of the fleet, from Kafka's group membership: the bridges form a consumer group over the
 * bridge-fleet topic (never written), each partition is a slot, and a pod belongs to slot
 * {@code murmur2(pod id) mod slots} (the same hash as the event topic's partitioner). Kafka decides who owns which
 * slot, notices a bridge that died (after {@code fleet.sessionTimeoutMs}) and moves its slots to the others.
 *
 * <p>Hand-over without loss or duplicate: a bridge losing slots stops their pods' workers and waits until Kafka
 * acknowledged what they read, all inside the revocation callback; the cooperative protocol assigns the slots to
 * another bridge only after that callback returned, and the new owner reads each worker's position from the event
 * topic's tail (position recovery), so it resumes right after. A killed bridge hands nothing over: what it sent is
 * in Kafka or not, and the next owner resumes after what is.
 *
 * <p>The callbacks run on this class's own thread (the consumer's poll loop).
 */
public final class FleetMembership implements Ownership, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FleetMembership.class);

    /** Told on the membership thread; both calls must finish what they do before returning. */
    public interface Listener {
        /** Slots were taken away: stop the pods this bridge no longer owns and hand their output over. */
        void released(Set<Integer> slots);

        /** Slots were given: start the pods this bridge now owns. */
        void assigned(Set<Integer> slots);
    }

    private final Consumer<byte[], byte[]> consumer;
    private final String topic;
    private final Listener listener;
    private final Set<Integer> owned = ConcurrentHashMap.newKeySet();
    private final CountDownLatch firstAssignment = new CountDownLatch(1);
    private final Thread thread;
    private volatile int slots;
    private volatile boolean running = true;
    private volatile boolean started;

    public FleetMembership(FleetConfig config, KafkaClients clients, String topicPrefix, String instanceId,
                           String topic, Listener listener) {
        this.topic = topic;
        this.listener = listener;
        int session = config.sessionTimeoutMs();
        this.consumer = clients.consumer(instanceId + "-fleet", Map.of(), Map.of(
                ConsumerConfig.GROUP_ID_CONFIG, config.groupIdOr(topicPrefix),
                // The classic protocol: its session timeout is the member's to choose (the consumer protocol's is
                // the broker's, 45 s by default), and the cooperative assignor moves only the slots that must move.
                ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic",
                ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName(),
                ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, String.valueOf(session),
                ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, String.valueOf(Math.max(300, session / 4)),
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false",
                ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, "false"));
        this.thread = new Thread(this::run, "fleet-membership");
        this.thread.setDaemon(true);
    }

    /** Joins the group; slots arrive later, on the membership thread. */
    public FleetMembership start() {
        slots = consumer.partitionsFor(topic, Duration.ofSeconds(30)).size();
        if (slots == 0) {
            throw new IllegalStateException("topic " + topic + " has no partitions");
        }
        consumer.subscribe(List.of(topic), new Rebalance());
        started = true;
        thread.start();
        return this;
    }

    @Override
    public boolean owns(PodKey pod) {
        int n = slots;
        return n > 0 && owned.contains(slotOf(pod, n)); // before start: nothing
    }

    /** The slot a pod belongs to, of {@code slots}. */
    public static int slotOf(PodKey pod, int slots) {
        return Utils.toPositive(Utils.murmur2(pod.toKafkaKey())) % slots;
    }

    public int slots() {
        return slots;
    }

    /** Still in the group: false once its thread ended (closed, or failed: then it owns nothing). */
    public boolean alive() {
        return thread.isAlive();
    }

    /** The slots this bridge owns now, sorted. */
    public Set<Integer> ownedSlots() {
        return new TreeSet<>(owned);
    }

    /** Waits for this bridge's first assignment (possibly empty). @return false on timeout */
    public boolean awaitAssignment(Duration timeout) throws InterruptedException {
        return firstAssignment.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    private void run() {
        try {
            while (running) {
                consumer.poll(Duration.ofMillis(500)); // nothing to read: the poll keeps the membership alive
            }
        } catch (WakeupException e) {
            // closing
        } catch (RuntimeException e) {
            log.error("fleet membership failed; this bridge releases its pods", e);
            release(Set.copyOf(owned));
        } finally {
            // Leaving the group revokes every slot first (the callback hands the pods over), then tells the others.
            try {
                consumer.close(Duration.ofSeconds(30));
            } catch (RuntimeException e) {
                log.warn("fleet consumer did not close cleanly: {}", e.toString());
            }
        }
    }

    private void release(Set<Integer> gone) {
        owned.removeAll(gone);
        if (!gone.isEmpty()) {
            listener.released(gone);
        }
    }

    private final class Rebalance implements ConsumerRebalanceListener {
        @Override
        public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
            Set<Integer> gone = slotsOf(partitions);
            if (!gone.isEmpty()) {
                log.info("fleet: handing over slots {}", gone);
            }
            release(gone);
        }

        @Override
        public void onPartitionsLost(Collection<TopicPartition> partitions) {
            // This bridge was out of the group (frozen, cut off): the slots may already be someone else's.
            log.warn("fleet: lost slots {} (this bridge missed its session timeout); stopping their pods",
                    slotsOf(partitions));
            release(slotsOf(partitions));
        }

        @Override
        public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
            Set<Integer> got = slotsOf(partitions);
            owned.addAll(got);
            if (!got.isEmpty()) {
                log.info("fleet: took slots {}; owning {} of {}", got, owned.size(), slots);
                listener.assigned(got);
            }
            firstAssignment.countDown();
        }
    }

    private static Set<Integer> slotsOf(Collection<TopicPartition> partitions) {
        Set<Integer> out = new TreeSet<>();
        partitions.forEach(p -> out.add(p.partition()));
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        if (!started) {
            consumer.close();
            return;
        }
        consumer.wakeup();
        if (Thread.currentThread() != thread) {
            thread.join(60_000);
        }
    }
}
