package io.kvrelay.policies.whatif;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A recorded multi-turn chat workload for counterfactual tests: each service has a few shared system prompts, each
 * conversation starts from one and every turn extends the previous prompt by a few new blocks; conversations overlap
 * in time. The recorded router picked a random candidate; candidates come in a shuffled order, as a ranking would.
 */
final class RecordedWorkload {
    private RecordedWorkload() {
    }

    static List<RecordedRequest> generate(int requests, int podsPerService, long seed) {
        Random random = new Random(seed);
        List<String> services = List.of("ns/a", "ns/b");
        long[][][] systemPrompts = new long[services.size()][3][];
        for (long[][] perService : systemPrompts) {
            for (int p = 0; p < perService.length; p++) {
                perService[p] = random.longs(24).toArray();
            }
        }
        List<long[]> active = new ArrayList<>();
        List<String> users = new ArrayList<>();
        List<Integer> serviceOf = new ArrayList<>();
        List<Integer> turnsLeft = new ArrayList<>();
        int conversations = 0;
        List<RecordedRequest> out = new ArrayList<>(requests);
        for (int i = 0; i < requests; i++) {
            if (active.size() < 16) {
                int s = random.nextInt(services.size());
                long[][] prompts = systemPrompts[s];
                active.add(prompts[random.nextInt(prompts.length)]);
                users.add("user-" + conversations++);
                serviceOf.add(s);
                turnsLeft.add(3 + random.nextInt(5));
            }
            int c = random.nextInt(active.size());
            long[] prev = active.get(c);
            long[] prompt = Arrays.copyOf(prev, prev.length + 3 + random.nextInt(8));
            for (int b = prev.length; b < prompt.length; b++) {
                prompt[b] = random.nextLong();
            }
            String service = services.get(serviceOf.get(c));
            String prefix = service.substring(service.indexOf('/') + 1) + "-";
            List<String> candidates = new ArrayList<>();
            for (int p = 0; p < podsPerService; p++) {
                candidates.add(prefix + p);
            }
            Collections.shuffle(candidates, random);
            out.add(new RecordedRequest(1_700_000_000_000L + 50L * i, service, users.get(c), prompt,
                    candidates.get(random.nextInt(candidates.size())), candidates));
            if (turnsLeft.get(c) == 1) {
                active.remove(c);
                users.remove(c);
                serviceOf.remove(c);
                turnsLeft.remove(c);
            } else {
                active.set(c, prompt);
                turnsLeft.set(c, turnsLeft.get(c) - 1);
            }
        }
        return out;
    }
}
