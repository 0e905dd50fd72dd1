package io.kvrelay.router.links;

/**
 * What a conditional link write found: the pod the link points to afterwards, and whether this call put it there.
 * When {@code written} is false the link belongs to someone else (another router won the race), and {@code pod} is
 * what it points to now, or null if there is no link at all (a compare-and-set on a link that has since expired).
 */
public record LinkWrite(String pod, boolean written) {
}
