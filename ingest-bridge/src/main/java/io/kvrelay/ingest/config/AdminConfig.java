package io.kvrelay.ingest.config;

/**
 * The bridge's HTTP endpoint: health, Prometheus metrics, and pod management.
 *
 * @param host  bind address (default 127.0.0.1: set 0.0.0.0 or the pod's address to reach it from elsewhere)
 * @param port  port; 0 picks a free one
 * @param token POST and DELETE need {@code Authorization: Bearer <token>}; unset, they are refused (403); reads
 *              stay open for probes and scrapers
 */
public record AdminConfig(String host, int port, String token) {
    public AdminConfig {
        if (host == null || host.isBlank()) {
            host = "127.0.0.1";
        }
        if (token != null && token.isBlank()) {
            token = null;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("admin.port must be 0..65535, got " + port);
        }
    }

    public AdminConfig(String host, int port) {
        this(host, port, null);
    }

    public static AdminConfig defaults() {
        return new AdminConfig("127.0.0.1", 8081, null);
    }
}
