package io.kvrelay.router.openai;

/** A pod's serving address as the bridge reports it: {@code host:port}, or {@code [v6 address]:port}. */
record PodAddress(String host, int port) {
    static PodAddress parse(String address) {
        int colon = address.lastIndexOf(':');
        if (colon <= 0 || colon == address.length() - 1) {
            throw new IllegalArgumentException("not host:port: " + address);
        }
        String host = address.substring(0, colon);
        if (host.startsWith("[") && host.endsWith("]")) {
            host = host.substring(1, host.length() - 1);
        }
        return new PodAddress(host, Integer.parseInt(address.substring(colon + 1)));
    }
}
