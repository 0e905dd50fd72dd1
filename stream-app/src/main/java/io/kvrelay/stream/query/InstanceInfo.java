package io.kvrelay.stream.query;

import java.util.List;

/**
 * One stream-app instance as routers see it: where its query API is ({@code application.server}) and which partitions
 * of the event log it holds, active and standby.
 */
public record InstanceInfo(String host, int port, boolean self, List<Integer> activePartitions,
                           List<Integer> standbyPartitions) {
    public String baseUrl() {
        return "http://" + (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port;
    }
}
