package io.kvrelay.router.decide;

/**
 * One request to route.
 *
 * @param userId  optional: with it, the user's sticky link takes part
 * @param tokens  the prompt's token ids
 * @param lora    the LoRA adapter, or null for the base model (keys differ per adapter, so prefixes never mix)
 */
public record RouteRequest(String namespace, String service, String userId, int[] tokens, String lora) {
    public static final int MAX_TOKENS = 1 << 20;

    public RouteRequest {
        segment("namespace", namespace);
        segment("service", service);
        if (userId != null && userId.isBlank()) {
            userId = null;
        }
        if (tokens == null) {
            throw new IllegalArgumentException("tokens is required (the prompt's token ids)");
        }
        if (tokens.length > MAX_TOKENS) {
            throw new IllegalArgumentException("at most " + MAX_TOKENS + " tokens, got " + tokens.length);
        }
    }

    private static void segment(String name, String v) {
        if (v == null || v.isBlank() || v.indexOf('/') >= 0) {
            throw new IllegalArgumentException(name + " is required and contains no '/'");
        }
    }
}
