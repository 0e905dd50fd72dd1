package io.kvrelay.launcher.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * In-process sticky links, one per (service, user) as router-api keys them; a request without a user has none. Links
 * never expire: a run is shorter than any sensible link TTL. Not thread-safe.
 */
final class StickyLinks {
    private final Map<String, String> pods = new HashMap<>();

    /** The index in {@code candidates} of the pod the request's user is linked to; -1 if none or not a candidate. */
    int linkedIndex(RoutedRequest request, List<? extends PodView<?>> candidates) {
        String pod = request.userId() == null ? null : pods.get(key(request));
        if (pod != null) {
            for (int i = 0; i < candidates.size(); i++) {
                if (candidates.get(i).name().equals(pod)) {
                    return i;
                }
            }
        }
        return -1;
    }

    /** Links the request's user to {@code pod}; does nothing for a request without a user. */
    void link(RoutedRequest request, String pod) {
        if (request.userId() != null) {
            pods.put(key(request), pod);
        }
    }

    private static String key(RoutedRequest request) {
        return request.service() + '\u0000' + request.userId();
    }
}
