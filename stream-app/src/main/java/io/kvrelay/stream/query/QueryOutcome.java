package io.kvrelay.stream.query;

/**
 * What a query found. Mapped to an HTTP status in exactly one place ({@code http.QueryHttpServer}).
 * {@link Unavailable} is never a wrong answer: during a rebalance or a restore the caller is told to retry.
 */
public sealed interface QueryOutcome<T> {
    record Found<T>(T value) implements QueryOutcome<T> {
    }

    record NotFound<T>(String message) implements QueryOutcome<T> {
    }

    record Unavailable<T>(String reason, long retryAfterMs) implements QueryOutcome<T> {
    }

    static <T> QueryOutcome<T> found(T value) {
        return new Found<>(value);
    }

    static <T> QueryOutcome<T> unavailable(String reason) {
        return new Unavailable<>(reason, 1_000);
    }
}
