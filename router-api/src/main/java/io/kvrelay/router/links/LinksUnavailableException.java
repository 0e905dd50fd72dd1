package io.kvrelay.router.links;

/**
 * The link store (Redis) could not answer: down, unreachable, too slow, or refusing the command. Nothing was decided;
 * the caller may retry later (HTTP 503). Routing itself never sees this: {@link LinkService#computeLinkedPod} answers
 * without stickiness instead.
 */
public final class LinksUnavailableException extends RuntimeException {
    public LinksUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
