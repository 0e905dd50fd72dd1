package io.kvrelay.router.links;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * An in-memory {@link LinkStore} with the same atomic semantics as Redis (minus TTLs), that can be taken down and
 * can let "another router" write just before each of our conditional writes, to stage races.
 */
final class FakeLinkStore implements LinkStore {
    final Map<LinkKey, String> links = new ConcurrentHashMap<>();
    final AtomicInteger touches = new AtomicInteger();
    final AtomicInteger gets = new AtomicInteger();
    final AtomicInteger writes = new AtomicInteger();
    volatile boolean down;
    /** Runs before each setIfAbsent / compareAndSet: the competing router. */
    volatile Consumer<LinkKey> beforeWrite = k -> { };

    @Override
    public Optional<String> get(LinkKey key) {
        check();
        gets.incrementAndGet();
        return Optional.ofNullable(links.get(key));
    }

    @Override
    public Optional<String> touch(LinkKey key) {
        check();
        touches.incrementAndGet();
        return Optional.ofNullable(links.get(key));
    }

    @Override
    public synchronized LinkWrite setIfAbsent(LinkKey key, String pod) {
        check();
        beforeWrite.accept(key);
        writes.incrementAndGet();
        String existing = links.putIfAbsent(key, pod);
        return existing == null ? new LinkWrite(pod, true) : new LinkWrite(existing, false);
    }

    @Override
    public synchronized LinkWrite compareAndSet(LinkKey key, String expectedPod, String newPod) {
        check();
        beforeWrite.accept(key);
        writes.incrementAndGet();
        return links.replace(key, expectedPod, newPod) ? new LinkWrite(newPod, true)
                : new LinkWrite(links.get(key), false);
    }

    /** Users whose links were deleted on purpose (the store's deletion mark). */
    final java.util.Set<String> deletedUsers = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @Override
    public synchronized LinkWrite restore(LinkKey key, String pod) {
        check();
        writes.incrementAndGet();
        if (deletedUsers.contains(key.namespace() + '/' + key.user())) {
            return new LinkWrite(null, false);
        }
        String existing = links.putIfAbsent(key, pod);
        return existing == null ? new LinkWrite(pod, true) : new LinkWrite(existing, false);
    }

    @Override
    public int delete(String namespace, String user) {
        check();
        deletedUsers.add(namespace + '/' + user);
        List<LinkKey> mine = links.keySet().stream()
                .filter(k -> k.namespace().equals(namespace) && k.user().equals(user)).toList();
        mine.forEach(links::remove);
        return mine.size();
    }

    @Override
    public Map<String, String> servicesOf(String namespace, String user) {
        check();
        Map<String, String> out = new TreeMap<>();
        links.forEach((k, pod) -> {
            if (k.namespace().equals(namespace) && k.user().equals(user)) {
                out.put(k.service(), pod);
            }
        });
        return out;
    }

    @Override
    public Map<String, List<String>> batchGet(String namespace, String service, Collection<String> users) {
        check();
        Map<String, List<String>> out = new TreeMap<>();
        for (String user : users) {
            String pod = links.get(new LinkKey(namespace, user, service));
            if (pod != null) {
                out.computeIfAbsent(pod, p -> new ArrayList<>()).add(user);
            }
        }
        return out;
    }

    private void check() {
        if (down) {
            throw new LinksUnavailableException("fake Redis is down", null);
        }
    }
}
