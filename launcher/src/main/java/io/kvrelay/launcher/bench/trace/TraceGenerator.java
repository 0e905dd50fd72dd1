package io.kvrelay.launcher.bench.trace;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A synthetic multi-turn trace in the Mooncake format, seeded. A request is either the next turn of an open session
 * (chance {@code followUpProbability}) or the first turn of a new one, which starts with one of the shared prefixes
 * (documents, system prompts) with chance {@code sharedPrefixProbability}. A first turn is the prefix plus its own
 * lognormal number of tokens; turn t+1's prompt is turn t's prompt + turn t's output + new user tokens, so it shares
 * turn t's FULL 512-token blocks (the same hash ids) while turn t's partial last block, whose content has grown, gets
 * a new id like every block after it. A session whose next prompt would exceed {@code maxPromptTokens} ends and a new
 * one takes its place. Arrivals are Poisson, evenly spaced or gamma (bursty) at {@code rate}.
 */
public final class TraceGenerator {
    private static final int BLOCK = TraceRecord.BLOCK_TOKENS;

    /** An open session: what its next turn extends. */
    private static final class Session {
        final String id;
        int[] fullIds;
        int promptTokens;
        int outputTokens;

        Session(String id) {
            this.id = id;
        }
    }

    private final TraceGenSpec spec;
    private final SplittableRandom random;
    private final int[][] prefixIds;
    private final List<Session> open = new ArrayList<>();
    private int nextId;
    private int nextSession;

    private TraceGenerator(TraceGenSpec spec) {
        this.spec = spec;
        this.random = new SplittableRandom(spec.seed());
        // Only a prefix's full blocks are shared: a partial last block continues with each session's own text.
        prefixIds = new int[spec.sharedPrefixes()][];
        for (int k = 0; k < prefixIds.length; k++) {
            prefixIds[k] = freshIds(spec.sharedPrefixTokens() / BLOCK);
        }
    }

    public static List<TraceRecord> generate(TraceGenSpec spec) {
        return new TraceGenerator(spec).all();
    }

    private List<TraceRecord> all() {
        List<TraceRecord> out = new ArrayList<>(spec.requests());
        double nowMs = 0;
        for (int i = 0; i < spec.requests(); i++) {
            if (i > 0) {
                nowMs += gapMs();
            }
            out.add(next(Math.round(nowMs)));
        }
        return out;
    }

    private TraceRecord next(long timestampMs) {
        if (!open.isEmpty() && random.nextDouble() < spec.followUpProbability()) {
            int slot = random.nextInt(open.size());
            Session s = open.get(slot);
            int user = Math.max(1, (int) Math.round(lognormal(spec.userTokensMean(), TraceGenSpec.USER_TOKENS_CV)));
            long prompt = (long) s.promptTokens + s.outputTokens + user;
            if (prompt <= spec.maxPromptTokens()) {
                int[] ids = Arrays.copyOf(s.fullIds, blocksCovering((int) prompt));
                fillFresh(ids, s.fullIds.length);
                return turn(s, ids, (int) prompt, timestampMs);
            }
            open.remove(slot); // too long for another turn: it ends, and a new session starts instead
        }
        Session s = new Session("session-" + nextSession++);
        if (open.size() >= spec.sessions()) {
            open.set(random.nextInt(open.size()), s);
        } else {
            open.add(s);
        }
        int[] prefix = new int[0];
        int prefixTokens = 0;
        if (prefixIds.length > 0 && random.nextDouble() < spec.sharedPrefixProbability()) {
            prefix = prefixIds[random.nextInt(prefixIds.length)];
            prefixTokens = spec.sharedPrefixTokens();
        }
        int own = Math.max(1, (int) Math.round(lognormal(spec.promptTokensMean(), spec.promptTokensCv())));
        int prompt = (int) Math.min((long) prefixTokens + own, spec.maxPromptTokens());
        int[] ids = Arrays.copyOf(prefix, blocksCovering(prompt));
        fillFresh(ids, prefix.length);
        return turn(s, ids, prompt, timestampMs);
    }

    private TraceRecord turn(Session s, int[] ids, int promptTokens, long timestampMs) {
        int output = Math.max(1, (int) Math.round(lognormal(spec.outputTokensMean(), spec.outputTokensCv())));
        s.fullIds = Arrays.copyOf(ids, promptTokens / BLOCK);
        s.promptTokens = promptTokens;
        s.outputTokens = output;
        return new TraceRecord(timestampMs, promptTokens, output, ids, s.id);
    }

    private static int blocksCovering(int tokens) {
        return (tokens + BLOCK - 1) / BLOCK;
    }

    private int[] freshIds(int n) {
        int[] ids = new int[n];
        fillFresh(ids, 0);
        return ids;
    }

    private void fillFresh(int[] ids, int from) {
        for (int i = from; i < ids.length; i++) {
            ids[i] = nextId++;
        }
    }

    /** A lognormal draw with this mean and coefficient of variation (the mean itself when cv is 0). */
    private double lognormal(double mean, double cv) {
        if (cv == 0) {
            return mean;
        }
        double sigma2 = Math.log1p(cv * cv);
        return Math.exp(Math.log(mean) - sigma2 / 2 + Math.sqrt(sigma2) * random.nextGaussian());
    }

    private double gapMs() {
        double mean = 1_000.0 / spec.rate();
        return switch (spec.arrival()) {
            case UNIFORM -> mean;
            case POISSON -> -Math.log1p(-random.nextDouble()) * mean;
            case GAMMA -> {
                double cv2 = spec.burstiness() * spec.burstiness();
                yield gamma(1 / cv2) * mean * cv2;
            }
        };
    }

    /** A Gamma(shape, 1) draw: Marsaglia and Tsang's squeeze method, boosted for shape below 1. */
    private double gamma(double shape) {
        if (shape < 1) {
            return gamma(shape + 1) * Math.pow(random.nextDouble(), 1 / shape);
        }
        double d = shape - 1.0 / 3;
        double c = 1 / Math.sqrt(9 * d);
        while (true) {
            double x = random.nextGaussian();
            double v = 1 + c * x;
            if (v <= 0) {
                continue;
            }
            v = v * v * v;
            double u = random.nextDouble();
            if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) {
                return d * v;
            }
        }
    }
}
