package io.kvrelay.router.links;

/**
 * One sticky link's identity: a user of a service in a namespace. Namespace and service are Kubernetes names and may
 * not contain {@code ':'} (the Redis key separator); the user id is opaque and goes last in the key, so it may contain
 * anything.
 *
 * @throws IllegalArgumentException when a part is missing or malformed (HTTP 400)
 */
public record LinkKey(String namespace, String user, String service) {
    /** Bounds the size of a Redis key built from a client-supplied id. */
    public static final int MAX_USER_LENGTH = 512;

    public LinkKey {
        requireName("namespace", namespace);
        requireName("service", service);
        requireUser(user);
    }

    static void requireName(String what, String value) {
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException(what + " is required");
        }
        if (value.indexOf(':') >= 0) {
            throw new IllegalArgumentException(what + " must not contain ':', got '" + value + "'");
        }
    }

    static void requireUser(String user) {
        if (user == null || user.isEmpty()) {
            throw new IllegalArgumentException("user id is required");
        }
        if (user.length() > MAX_USER_LENGTH) {
            throw new IllegalArgumentException("user id must be at most " + MAX_USER_LENGTH + " characters, got "
                    + user.length());
        }
    }

    static void requirePod(String pod) {
        if (pod == null || pod.isBlank()) {
            throw new IllegalArgumentException("pod is required");
        }
    }
}
