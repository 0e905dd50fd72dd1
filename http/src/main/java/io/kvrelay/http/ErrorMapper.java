package io.kvrelay.http;

/**
 * A part's own exceptions turned into statuses, in one place per part: e.g. the router maps "Redis unavailable" to
 * 503. Returns null for an exception it does not know; then {@link IllegalArgumentException} and malformed JSON are
 * 400 and anything else is a logged 500.
 */
@FunctionalInterface
public interface ErrorMapper {
    HttpError map(Throwable t);

    ErrorMapper NONE = t -> null;
}
