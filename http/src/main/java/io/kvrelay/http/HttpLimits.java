package io.kvrelay.http;

/**
 * What one HTTP server accepts from its clients, validated at construction; a number left at 0 takes its default.
 * The defaults hold against the hostile clients a public port meets: a slow client (headers a byte at a time) holds
 * a socket, never a thread, and is closed after {@code requestTimeoutMs}; a crowd of them is capped at
 * {@code maxConnections}; a huge body is refused with 413 before it is read ({@code Content-Length}) or as soon as it
 * passes the limit (chunked).
 *
 * @param maxConnections   open connections at once; past it a new connection is closed at once (default 1024)
 * @param maxHeaderBytes   all header lines of a request (default 16 KiB; past it 431)
 * @param maxLineBytes     the request line (default 8 KiB; past it 414)
 * @param maxBodyBytes     a body, for endpoints that set no limit of their own (default 1 MiB; past it 413)
 * @param requestTimeoutMs a request must arrive whole within this time of its first byte (default 10 s; past it 408)
 * @param idleTimeoutMs    a keep-alive connection with no request is closed after this (default 60 s)
 * @param workerThreads    threads for handlers that block (admin writes, Kafka sends); handlers that do not block run
 *                         on the event loop (default 16)
 * @param workerQueue      blocking calls waiting for a worker; past it 503 (default 1024)
 */
public record HttpLimits(int maxConnections, int maxHeaderBytes, int maxLineBytes, int maxBodyBytes,
                         long requestTimeoutMs, long idleTimeoutMs, int workerThreads, int workerQueue) {
    public HttpLimits {
        maxConnections = or(maxConnections, 1024);
        maxHeaderBytes = or(maxHeaderBytes, 16 * 1024);
        maxLineBytes = or(maxLineBytes, 8 * 1024);
        maxBodyBytes = or(maxBodyBytes, 1024 * 1024);
        requestTimeoutMs = requestTimeoutMs == 0 ? 10_000 : requestTimeoutMs;
        idleTimeoutMs = idleTimeoutMs == 0 ? 60_000 : idleTimeoutMs;
        workerThreads = or(workerThreads, 16);
        workerQueue = or(workerQueue, 1024);
        positive("maxConnections", maxConnections);
        positive("maxHeaderBytes", maxHeaderBytes);
        positive("maxLineBytes", maxLineBytes);
        positive("maxBodyBytes", maxBodyBytes);
        positive("requestTimeoutMs", requestTimeoutMs);
        positive("idleTimeoutMs", idleTimeoutMs);
        positive("workerThreads", workerThreads);
        positive("workerQueue", workerQueue);
    }

    public static HttpLimits defaults() {
        return new HttpLimits(0, 0, 0, 0, 0, 0, 0, 0);
    }

    public HttpLimits withWorkerThreads(int threads) {
        return new HttpLimits(maxConnections, maxHeaderBytes, maxLineBytes, maxBodyBytes, requestTimeoutMs,
                idleTimeoutMs, threads, workerQueue);
    }

    public HttpLimits withMaxBodyBytes(int bytes) {
        return new HttpLimits(maxConnections, maxHeaderBytes, maxLineBytes, bytes, requestTimeoutMs, idleTimeoutMs,
                workerThreads, workerQueue);
    }

    public HttpLimits withTimeouts(long requestMs, long idleMs) {
        return new HttpLimits(maxConnections, maxHeaderBytes, maxLineBytes, maxBodyBytes, requestMs, idleMs,
                workerThreads, workerQueue);
    }

    public HttpLimits withMaxConnections(int connections) {
        return new HttpLimits(connections, maxHeaderBytes, maxLineBytes, maxBodyBytes, requestTimeoutMs,
                idleTimeoutMs, workerThreads, workerQueue);
    }

    private static int or(int v, int dflt) {
        return v == 0 ? dflt : v;
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }
}
