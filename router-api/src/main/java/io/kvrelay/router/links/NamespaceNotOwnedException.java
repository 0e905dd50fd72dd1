package io.kvrelay.router.links;

/**
 * A link write (set, delete) was asked for in a namespace this router does not own ({@code links.ownedNamespaces}).
 * Ask a router of that namespace instead (HTTP 403).
 */
public final class NamespaceNotOwnedException extends RuntimeException {
    private final String namespace;

    public NamespaceNotOwnedException(String namespace) {
        super("this router does not own namespace '" + namespace + "': links there are written by its own routers");
        this.namespace = namespace;
    }

    public String namespace() {
        return namespace;
    }
}
