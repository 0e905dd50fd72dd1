package io.kvrelay.policies.whatif;

import io.kvrelay.policies.RoutedRequest;
import io.kvrelay.schemas.BlockKeys;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One routing request as the route-decisions topic recorded it, replayed under other policies.
 *
 * @param atMs       when the router decided, epoch ms
 * @param service    {@code namespace/service}
 * @param userId     null when the request named no user
 * @param blockKeys  the prompt's block keys ({@code BlockKeys.chain}), first block first; not copied, do not change
 * @param chosenPod  the pod name the router answered, null when it found none
 * @param candidates pod names the router considered (its routable pods), in its order (best first)
 */
public record RecordedRequest(long atMs, String service, String userId, long[] blockKeys, String chosenPod,
                              List<String> candidates) implements RoutedRequest {
    public RecordedRequest {
        Objects.requireNonNull(service, "service");
        Objects.requireNonNull(blockKeys, "blockKeys");
        candidates = List.copyOf(candidates); // rejects null names
        if (atMs < 0) {
            throw new IllegalArgumentException("atMs must be >= 0, got " + atMs);
        }
        if (service.isBlank()) {
            throw new IllegalArgumentException("service must not be blank");
        }
        if (chosenPod != null && chosenPod.isBlank()) {
            throw new IllegalArgumentException("chosenPod must be null or a pod name, got a blank one");
        }
    }

    /** The request behind one recorded decision. */
    public static RecordedRequest of(RouteDecision d) {
        List<Long> keys = d.getBlockKeys();
        long[] blockKeys = new long[keys.size()];
        for (int i = 0; i < blockKeys.length; i++) {
            blockKeys[i] = keys.get(i);
        }
        List<String> candidates = new ArrayList<>(d.getCandidates().size());
        for (CandidateScore c : d.getCandidates()) {
            candidates.add(c.getPod());
        }
        return new RecordedRequest(d.getAtMicros() / 1000, d.getNamespace() + "/" + d.getService(), d.getUserId(),
                blockKeys, chosenPodName(d), candidates);
    }

    /**
     * The chosen pod's name, as the candidates name pods. router-api records {@code chosenPod} as the pod id
     * ({@code namespace/service/pod}, also the record's key) but each candidate's {@code pod} as the bare name.
     */
    public static String chosenPodName(RouteDecision d) {
        String chosen = d.getChosenPod();
        return chosen == null ? null : chosen.substring(chosen.lastIndexOf('/') + 1);
    }

    @Override
    public int promptBlocks() {
        return blockKeys.length;
    }

    @Override
    public long firstBlockKey() {
        return blockKeys.length == 0 ? BlockKeys.NO_KEY : blockKeys[0];
    }

    @Override
    public double timeMs() {
        return atMs;
    }
}
