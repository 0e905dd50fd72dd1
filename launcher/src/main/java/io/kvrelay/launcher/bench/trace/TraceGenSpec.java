package io.kvrelay.launcher.bench.trace;

/**
 * The synthetic trace's parameters, validated at construction (see {@link TraceGenerator} for how they are used).
 *
 * @param sessions                 conversations open at once; a new one replaces a random open one when full
 * @param followUpProbability      chance a request is the next turn of an open session rather than a new session
 * @param sharedPrefixes           documents or system prompts shared across sessions
 * @param sharedPrefixTokens       tokens of each shared prefix
 * @param sharedPrefixProbability  chance a new session starts with one of the shared prefixes (chosen uniformly)
 * @param promptTokensMean         first turn's own tokens (after the shared prefix, if any), lognormal mean
 * @param promptTokensCv           ... and coefficient of variation
 * @param userTokensMean           a later turn's new user tokens, lognormal mean (cv {@link #USER_TOKENS_CV})
 * @param maxPromptTokens          a session whose next prompt would exceed this ends; a first turn is cut to it
 * @param rate                     mean arrivals per second
 * @param burstiness               gamma arrivals: coefficient of variation of the gaps (1 = Poisson)
 */
public record TraceGenSpec(int requests, long seed, int sessions, double followUpProbability, int sharedPrefixes,
                           int sharedPrefixTokens, double sharedPrefixProbability, double promptTokensMean,
                           double promptTokensCv, double userTokensMean, double outputTokensMean,
                           double outputTokensCv, int maxPromptTokens, double rate, Arrival arrival,
                           double burstiness) {
    /** Spread of the user-turn length: fixed, the mean is what shapes a session. */
    public static final double USER_TOKENS_CV = 0.5;

    /** How gaps between arrivals are drawn, all with mean 1 / rate. */
    public enum Arrival {
        /** exponential gaps */
        POISSON,
        /** equal gaps */
        UNIFORM,
        /** gamma gaps with coefficient of variation {@code burstiness} */
        GAMMA;

        /** The process named on the command line ({@code poisson}, {@code uniform} or {@code gamma}). */
        public static Arrival parse(String name) {
            for (Arrival a : values()) {
                if (a.name().equalsIgnoreCase(name)) {
                    return a;
                }
            }
            throw new IllegalArgumentException("arrival must be poisson, uniform or gamma, got " + name);
        }
    }

    public TraceGenSpec {
        require(requests > 0, "requests", "> 0", requests);
        require(sessions > 0, "sessions", "> 0", sessions);
        require(maxPromptTokens > 0, "maxPromptTokens", "> 0", maxPromptTokens);
        require(sharedPrefixes >= 0, "sharedPrefixes", ">= 0", sharedPrefixes);
        require(sharedPrefixTokens >= 0, "sharedPrefixTokens", ">= 0", sharedPrefixTokens);
        require(sharedPrefixes == 0 || sharedPrefixTokens < maxPromptTokens, "sharedPrefixTokens",
                "below maxPromptTokens " + maxPromptTokens + " (room for each session's own text)", sharedPrefixTokens);
        require(followUpProbability >= 0 && followUpProbability <= 1, "followUpProbability", "in [0, 1]",
                followUpProbability);
        require(sharedPrefixProbability >= 0 && sharedPrefixProbability <= 1, "sharedPrefixProbability", "in [0, 1]",
                sharedPrefixProbability);
        require(promptTokensMean >= 1 && promptTokensMean < 1e9, "promptTokensMean", ">= 1 token", promptTokensMean);
        require(userTokensMean >= 1 && userTokensMean < 1e9, "userTokensMean", ">= 1 token", userTokensMean);
        require(outputTokensMean >= 1 && outputTokensMean < 1e9, "outputTokensMean", ">= 1 token", outputTokensMean);
        require(promptTokensCv >= 0 && promptTokensCv < 100, "promptTokensCv", "in [0, 100)", promptTokensCv);
        require(outputTokensCv >= 0 && outputTokensCv < 100, "outputTokensCv", "in [0, 100)", outputTokensCv);
        require(rate > 0 && rate < 1e6, "rate", "in (0, 1e6) requests/s", rate);
        require(arrival != null, "arrival", "poisson, uniform or gamma", arrival);
        require(burstiness > 0 && burstiness < 100, "burstiness", "in (0, 100)", burstiness);
    }

    /** One rule for every check, so each message says what, what it must be and what it was. */
    private static void require(boolean ok, String what, String rule, Object got) {
        if (!ok) {
            throw new IllegalArgumentException(what + " must be " + rule + ", got " + got);
        }
    }
}
