package io.kvrelay.policies;

import io.kvrelay.router.links.LinkConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * In-process sticky links, one per (service, user) as router-api keys them; a request without a user has none. A link
 * unused for router-api's default link TTL (30 min of the requests' clock) is gone, as in Redis: it matters for a
 * replayed log of hours, not for a two-minute bench run. Not thread-safe.
 */
final class StickyLinks {
    private record Link(String pod, double lastUsedMs) {
    }

    private final Map<String, Link> links = new HashMap<>();

    /**
     * The index in {@code candidates} of the pod the request's user is linked to; -1 if none, expired or not a
     * candidate. Reading a link uses it (its idle time starts again), as the router's lookup does.
     */
    int linkedIndex(RoutedRequest request, List<? extends PodView<?>> candidates) {
        if (request.userId() == null) {
            return -1;
        }
        String key = key(request);
        Link link = links.get(key);
        if (link == null || request.timeMs() - link.lastUsedMs() > LinkConfig.DEFAULT_REDIS_TTL_MS) {
            return -1;
        }
        links.put(key, new Link(link.pod(), request.timeMs()));
        for (int i = 0; i < candidates.size(); i++) {
            if (candidates.get(i).name().equals(link.pod())) {
                return i;
            }
        }
        return -1;
    }

    /** Links the request's user to {@code pod}; does nothing for a request without a user. */
    void link(RoutedRequest request, String pod) {
        if (request.userId() != null) {
            links.put(key(request), new Link(pod, request.timeMs()));
        }
    }

    private static String key(RoutedRequest request) {
        return request.service() + '\u0000' + request.userId();
    }
}
