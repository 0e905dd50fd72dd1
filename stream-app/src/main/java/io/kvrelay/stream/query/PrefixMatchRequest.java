package io.kvrelay.stream.query;

import java.util.List;

/**
 * A prefix-match query: which workers of a service hold how much of this chain of block keys.
 *
 * @param namespace  the service's namespace
 * @param service    the service (one model): only its workers are candidates, so models never mix
 * @param keys       block keys of the prompt, in order (from {@code BlockKeys.chain})
 * @param pods       candidate pod names within the service, or empty for every pod of the service
 */
public record PrefixMatchRequest(String namespace, String service, long[] keys, List<String> pods) {
    public static final int MAX_KEYS = 65_536;
    public static final int MAX_PODS = 10_000;

    public PrefixMatchRequest {
        require(namespace, "namespace");
        require(service, "service");
        if (keys == null || keys.length == 0) {
            throw new IllegalArgumentException("keys must hold at least one block key");
        }
        if (keys.length > MAX_KEYS) {
            throw new IllegalArgumentException("at most " + MAX_KEYS + " keys, got " + keys.length);
        }
        pods = pods == null ? List.of() : List.copyOf(pods);
        if (pods.size() > MAX_PODS) {
            throw new IllegalArgumentException("at most " + MAX_PODS + " pods, got " + pods.size());
        }
    }

    private static void require(String v, String name) {
        if (v == null || v.isBlank() || v.indexOf('/') >= 0) {
            throw new IllegalArgumentException(name + " is required and contains no '/'");
        }
    }
}
