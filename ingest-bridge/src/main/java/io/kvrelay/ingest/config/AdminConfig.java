package io.kvrelay.ingest.config;

/**
 * The bridge's HTTP endpoint: health, Prometheus metrics, and pod management.
 *
 * @param host bind address
 * @param port port; 0 picks a free one
 */
public record AdminConfig(String host, int port) {
    public AdminConfig {
        if (host == null || host.isBlank()) {
            host = "0.0.0.0";
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("admin.port must be 0..65535, got " + port);
        }
    }

    public static AdminConfig defaults() {
        return new AdminConfig("0.0.0.0", 8081);
    }
}
