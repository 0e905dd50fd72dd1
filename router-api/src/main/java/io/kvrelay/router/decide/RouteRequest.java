package io.kvrelay.router.decide;

import io.kvrelay.schemas.BlockKeys;

/**
 * One request to route.
 *
 * @param userId  optional: with it, the user's sticky link takes part
 * @param tokens  the prompt's token ids
 * @param extras  what besides the tokens makes a block's identity, as vLLM hashes it: the LoRA adapter, the cache salt
 *                and the multimodal items (null = none). Keys differ per adapter, salt and image, so such prompts never
 *                match each other's blocks
 * @throws IllegalArgumentException naming the field: a bad namespace or service, no tokens, too many, or a
 *                                  multimodal item past the prompt's end
 */
public record RouteRequest(String namespace, String service, String userId, int[] tokens, BlockKeys.Extras extras) {
    public static final int MAX_TOKENS = 1 << 20;
    /** Kubernetes' bound on a name. */
    public static final int MAX_NAME = 253;
    public static final int MAX_USER_ID = 512;

    public RouteRequest {
        segment("namespace", namespace);
        segment("service", service);
        if (userId != null && userId.isBlank()) {
            userId = null;
        }
        if (userId != null && userId.length() > MAX_USER_ID) {
            throw new IllegalArgumentException("userId must be at most " + MAX_USER_ID + " characters, got "
                    + userId.length());
        }
        if (tokens == null) {
            throw new IllegalArgumentException("tokens is required (the prompt's token ids)");
        }
        if (tokens.length > MAX_TOKENS) {
            throw new IllegalArgumentException("at most " + MAX_TOKENS + " tokens, got " + tokens.length);
        }
        extras = extras == null ? BlockKeys.Extras.NONE : extras;
        extras.requireWithin(tokens.length);
    }

    /** A request with only a LoRA adapter (null for the base model) besides its tokens. */
    public static RouteRequest of(String namespace, String service, String userId, int[] tokens, String lora) {
        return new RouteRequest(namespace, service, userId, tokens, BlockKeys.Extras.lora(lora));
    }

    /** The LoRA adapter, or null for the base model. */
    public String lora() {
        return extras.loraName();
    }

    private static void segment(String name, String v) {
        if (v == null || v.isBlank() || v.indexOf('/') >= 0) {
            throw new IllegalArgumentException(name + " is required and contains no '/'");
        }
        if (v.length() > MAX_NAME) {
            throw new IllegalArgumentException(name + " must be at most " + MAX_NAME + " characters, got "
                    + v.length());
        }
    }
}
