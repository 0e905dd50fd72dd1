package io.kvrelay.stream.query;

import java.util.List;

/**
 * One stream-app instance as routers see it: where its query API is ({@code application.server}) and which partitions
 * of the event log it holds, active and standby. {@code indexPort}, the binary prefix-match API, is known for this
 * instance only (null for the others): a router asks each instance for its own.
 */
public record InstanceInfo(String host, int port, boolean self, List<Integer> activePartitions,
                           List<Integer> standbyPartitions, Integer indexPort) {
    public String baseUrl() {
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
