package io.kvrelay.launcher.demo;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Seeded chat conversations with the reuse that makes prefix-aware routing matter, as text an OpenAI client sends: a
 * few system prompts shared by many conversations, and multi-turn conversations whose next request repeats every
 * message so far (the answers included) and adds one. A conversation waits for its answer before its next turn.
 * Thread-safe.
 */
final class ChatConversations {
    private static final String[] WORDS = ("the of and to in is for on with as by at from that this be are it or an "
            + "was can will not have which has but all more one new data model cache pod router request token block "
            + "prefix user service stream event kafka index query latency throughput memory prompt answer system "
            + "turn load queue batch decode prefill node cluster metric alert replay topic offset partition record "
            + "schema avro store state restart worker rank publisher subscriber socket message frame sequence gap "
            + "reset window report decision link sticky redis score cost time first second minute hour day week "
            + "engine server client gateway fleet deploy image config secret token health ready live probe scale "
            + "shard replica leader follower commit log compact retention segment format version release test").split(" ");
    private static final int SYSTEM_PROMPTS = 4;
    private static final int SYSTEM_WORDS = 240;
    private static final double CONTINUE = 0.6;
    private static final double WITH_SYSTEM = 0.8;
    /** A conversation this long (in words, about two tokens each) ends, and its next turn starts a new one. */
    private static final int MAX_WORDS = 3_000;
    private static final int MAX_OPEN = 256;

    /** One request: the conversation (names its user), its turn, and every message so far. */
    record Turn(long conversation, int turn, List<Map<String, String>> messages) {
    }

    private final SplittableRandom random;
    private final String[] systemPrompts = new String[SYSTEM_PROMPTS];
    /** Conversations waiting for their next turn (their last answer arrived). */
    private final List<Conversation> idle = new ArrayList<>();
    private long conversations;

    private static final class Conversation {
        final long id;
        final List<Map<String, String>> messages = new ArrayList<>();
        int words;
        int turns;

        Conversation(long id) {
            this.id = id;
        }
    }

    ChatConversations(long seed) {
        this.random = new SplittableRandom(seed);
        for (int i = 0; i < SYSTEM_PROMPTS; i++) {
            systemPrompts[i] = "You are assistant " + i + ". " + words(SYSTEM_WORDS);
        }
    }

    /** The next request: an idle conversation's next turn, or a new conversation. */
    synchronized Turn next() {
        Conversation c;
        if (!idle.isEmpty() && random.nextDouble() < CONTINUE) {
            c = idle.remove(random.nextInt(idle.size()));
            if (c.words > MAX_WORDS) {
                c = start();
            }
        } else {
            c = start();
        }
        String text = words(8 + random.nextInt(56));
        c.messages.add(Map.of("role", "user", "content", text));
        c.words += text.length() / 5;
        c.turns++;
        return new Turn(c.id, c.turns, List.copyOf(c.messages));
    }

    /** The answer to {@code turn} arrived: the conversation may go on. */
    synchronized void answered(Turn turn, String answer) {
        Conversation c = new Conversation(turn.conversation());
        c.messages.addAll(turn.messages());
        c.messages.add(Map.of("role", "assistant", "content", answer));
        c.turns = turn.turn();
        c.words = c.messages.stream().mapToInt(m -> m.get("content").length() / 5).sum();
        if (idle.size() >= MAX_OPEN) {
            idle.remove(0);
        }
        idle.add(c);
    }

    private Conversation start() {
        Conversation c = new Conversation(conversations++);
        if (random.nextDouble() < WITH_SYSTEM) {
            String system = systemPrompts[random.nextInt(SYSTEM_PROMPTS)];
            c.messages.add(Map.of("role", "system", "content", system));
            c.words += SYSTEM_WORDS;
        }
        return c;
    }

    private String words(int n) {
        StringBuilder sb = new StringBuilder(n * 7);
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : " ").append(WORDS[random.nextInt(WORDS.length)]);
        }
        return sb.toString();
    }
}
