package io.kvrelay.router.links;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where the links live, shared by every router replica. Each operation is atomic on its own; links expire when not
 * touched for the store's TTL. Implementations are thread-safe.
 *
 * <p>Every method throws {@link LinksUnavailableException} when the store cannot answer; nothing else is thrown for
 * a healthy store.
 */
public interface LinkStore {

    /** The pod the link points to, if there is one. Does not refresh its TTL. */
    Optional<String> get(LinkKey key);

    /** Like {@link #get}, and if the link exists its TTL starts again: the read of a link about to be used. */
    Optional<String> touch(LinkKey key);

    /** Creates the link to {@code pod} if there is none; either way, returns the link that now exists. */
    LinkWrite setIfAbsent(LinkKey key, String pod);

    /**
     * Points the link at {@code newPod} only if it still points at {@code expectedPod}; on success its TTL starts
     * again. On failure the result says where the link points now (or null when it is gone).
     */
    LinkWrite compareAndSet(LinkKey key, String expectedPod, String newPod);

    /**
     * Creates again a link this router knows but the store lost (data loss, not a decision), if there is none and the
     * user's links were not deleted on purpose lately. Returns the link that now exists; not written with a null pod
     * when the user's links were deleted on purpose.
     */
    LinkWrite restore(LinkKey key, String pod);

    /** Deletes every link of the user in the namespace (marking it deleted on purpose); returns how many there were. */
    int delete(String namespace, String user);

    /** Every live link of the user in the namespace: service → pod. */
    Map<String, String> servicesOf(String namespace, String user);

    /** For one service, which of {@code users} are linked to which pod: pod → users. Unlinked users are left out. */
    Map<String, List<String>> batchGet(String namespace, String service, Collection<String> users);
}
