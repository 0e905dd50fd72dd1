package io.kvrelay.router.config;

import io.kvrelay.http.HttpLimits;
import io.kvrelay.router.links.LinkConfig;
import io.kvrelay.router.openai.OpenAiConfig;
import io.kvrelay.router.scoring.CostModel;
import io.kvrelay.schemas.KafkaClients;
import java.util.List;
import java.util.Map;

/**
 * router-api's settings, validated at construction; a number left at 0 (or absent) takes its default.
 *
 * @param routerId          names this replica in decisions and logs
 * @param httpHost          interface the API binds
 * @param httpPort          its port (0 = any free port)
 * @param httpThreads       threads for requests that wait on Redis or Kafka (the rest run on the event loops)
 * @param streamAppUrls     one or more stream-app instances; the rest are discovered from {@code /v1/instances}
 * @param fanOutTimeoutMs   deadline for the prefix-index fan-out; past it the decision goes on without the index
 *                          (for long prompts the deadline grows, see {@code indexWaitShare})
 * @param stateRefreshMs    pod-state cache refresh interval
 * @param defaultBlockSize  block size when no pod of the service has reported one
 * @param links             Redis and the sticky-link rules
 * @param cost              the cost model: predicted time to first token (null = {@link CostModel#defaults()})
 * @param kafkaBootstrap    where decisions are published; null or empty = not published
 * @param topicPrefix       topic prefix ({@code <prefix>.route-decisions})
 * @param decisionBuffer    bound of the decision queue; when full, decisions are dropped and counted
 * @param adminToken        bearer token for admin operations (drain/undrain a pod) and for any namespace's links;
 *                          empty = admin operations refused
 * @param shareInFlight     count other replicas' decisions (read from the route-decisions topic) as in-flight work on
 *                          their pods; null = yes when decisions are published ({@code kafkaBootstrap} set)
 * @param indexWaitShare    the fan-out deadline is at least this share of the prompt's whole prefill time (its blocks
 *                          × {@code cost.prefillMsPerBlock}): the index can save up to that time, so waiting a tenth
 *                          of it for the answer pays, where a fixed deadline fails long prompts on a busy stream-app
 *                          (null = 0.1; 0 = the fixed deadline alone)
 * @param namespaceTokens   namespace → bearer token. A namespace with a token: every call naming it (route, links)
 *                          needs it (or {@code adminToken}). Without one: routing and link reads are open, link writes
 *                          need {@code adminToken}. So a client of namespace A cannot write namespace B's links
 * @param http              limits and timeouts of the HTTP server ({@link HttpLimits}; null = defaults)
 * @param kafka             client settings for the decision log's producer and reader and the drain writer
 *                          (security.protocol, SASL, SSL, config providers, tuning); null = none
 * @param openai            the OpenAI-compatible front door: model → service, the user header, timeouts
 *                          ({@link OpenAiConfig}; null = defaults)
 */
public record RouterConfig(String routerId, String httpHost, int httpPort, int httpThreads, List<String> streamAppUrls,
                           long fanOutTimeoutMs, long stateRefreshMs, int defaultBlockSize, LinkConfig links,
                           CostModel cost, String kafkaBootstrap, String topicPrefix, int decisionBuffer,
                           String adminToken, Boolean shareInFlight, Double indexWaitShare,
                           Map<String, String> namespaceTokens, HttpLimits http, Map<String, String> kafka,
                           OpenAiConfig openai) {
    public RouterConfig {
        openai = openai == null ? OpenAiConfig.defaults() : openai;
        kafka = kafka == null ? Map.of() : Map.copyOf(kafka);
        routerId = blank(routerId) ? "router" : routerId;
        httpHost = blank(httpHost) ? "127.0.0.1" : httpHost;
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("httpPort must be 0..65535, got " + httpPort);
        }
        httpThreads = httpThreads == 0 ? 16 : httpThreads;
        if (streamAppUrls == null || streamAppUrls.isEmpty()) {
            throw new IllegalArgumentException("streamAppUrls needs at least one stream-app URL (http://host:port)");
        }
        for (String u : streamAppUrls) {
            if (u == null || !(u.startsWith("http://") || u.startsWith("https://"))) {
                throw new IllegalArgumentException("streamAppUrls: '" + u + "' is not an http(s) URL");
            }
        }
        streamAppUrls = List.copyOf(streamAppUrls);
        fanOutTimeoutMs = fanOutTimeoutMs == 0 ? 50 : fanOutTimeoutMs;
        stateRefreshMs = stateRefreshMs == 0 ? 500 : stateRefreshMs;
        defaultBlockSize = defaultBlockSize == 0 ? 16 : defaultBlockSize;
        positive("httpThreads", httpThreads);
        positive("fanOutTimeoutMs", fanOutTimeoutMs);
        positive("stateRefreshMs", stateRefreshMs);
        positive("defaultBlockSize", defaultBlockSize);
        if (links == null) {
            throw new IllegalArgumentException("links is required (at least redisHost and redisPort)");
        }
        cost = cost == null ? CostModel.defaults() : cost;
        topicPrefix = blank(topicPrefix) ? io.kvrelay.schemas.Topics.DEFAULT_PREFIX : topicPrefix;
        decisionBuffer = decisionBuffer == 0 ? 10_000 : decisionBuffer;
        positive("decisionBuffer", decisionBuffer);
        adminToken = adminToken == null ? "" : adminToken;
        namespaceTokens = namespaceTokens == null ? Map.of() : Map.copyOf(namespaceTokens);
        namespaceTokens.forEach((ns, token) -> {
            if (token == null || token.isBlank()) {
                throw new IllegalArgumentException("namespaceTokens." + ns + " is empty");
            }
        });
        http = (http == null ? HttpLimits.defaults() : http).withWorkerThreads(httpThreads);
        boolean publishing = !blank(kafkaBootstrap);
        if (Boolean.TRUE.equals(shareInFlight) && !publishing) {
            throw new IllegalArgumentException("shareInFlight needs kafkaBootstrap: replicas share decisions through Kafka");
        }
        shareInFlight = shareInFlight == null ? publishing : shareInFlight;
        indexWaitShare = indexWaitShare == null ? 0.1 : indexWaitShare;
        if (!(indexWaitShare >= 0 && indexWaitShare <= 1)) {
            throw new IllegalArgumentException("indexWaitShare must be in [0, 1], got " + indexWaitShare);
        }
    }

    /** Without the front door's settings: their defaults. */
    public RouterConfig(String routerId, String httpHost, int httpPort, int httpThreads, List<String> streamAppUrls,
                        long fanOutTimeoutMs, long stateRefreshMs, int defaultBlockSize, LinkConfig links,
                        CostModel cost, String kafkaBootstrap, String topicPrefix, int decisionBuffer,
                        String adminToken, Boolean shareInFlight, Double indexWaitShare,
                        Map<String, String> namespaceTokens, HttpLimits http, Map<String, String> kafka) {
        this(routerId, httpHost, httpPort, httpThreads, streamAppUrls, fanOutTimeoutMs, stateRefreshMs,
                defaultBlockSize, links, cost, kafkaBootstrap, topicPrefix, decisionBuffer, adminToken, shareInFlight,
                indexWaitShare, namespaceTokens, http, kafka, null);
    }

    /** This configuration with the front door's settings. */
    public RouterConfig withOpenAi(OpenAiConfig o) {
        return new RouterConfig(routerId, httpHost, httpPort, httpThreads, streamAppUrls, fanOutTimeoutMs,
                stateRefreshMs, defaultBlockSize, links, cost, kafkaBootstrap, topicPrefix, decisionBuffer, adminToken,
                shareInFlight, indexWaitShare, namespaceTokens, http, kafka, o);
    }

    /** Without Kafka client settings. */
    public RouterConfig(String routerId, String httpHost, int httpPort, int httpThreads, List<String> streamAppUrls,
                        long fanOutTimeoutMs, long stateRefreshMs, int defaultBlockSize, LinkConfig links,
                        CostModel cost, String kafkaBootstrap, String topicPrefix, int decisionBuffer,
                        String adminToken, Boolean shareInFlight, Double indexWaitShare,
                        Map<String, String> namespaceTokens, HttpLimits http) {
        this(routerId, httpHost, httpPort, httpThreads, streamAppUrls, fanOutTimeoutMs, stateRefreshMs,
                defaultBlockSize, links, cost, kafkaBootstrap, topicPrefix, decisionBuffer, adminToken, shareInFlight,
                indexWaitShare, namespaceTokens, http, null);
    }

    /** The router's Kafka clients (decisions, the drain writer); empty when decisions are not published. */
    public java.util.Optional<KafkaClients> kafkaClients() {
        return blank(kafkaBootstrap) ? java.util.Optional.empty()
                : java.util.Optional.of(new KafkaClients(kafkaBootstrap, kafka));
    }

    /** Without tokens per namespace and HTTP limits: their defaults. */
    public RouterConfig(String routerId, String httpHost, int httpPort, int httpThreads, List<String> streamAppUrls,
                        long fanOutTimeoutMs, long stateRefreshMs, int defaultBlockSize, LinkConfig links,
                        CostModel cost, String kafkaBootstrap, String topicPrefix, int decisionBuffer,
                        String adminToken, Boolean shareInFlight, Double indexWaitShare) {
        this(routerId, httpHost, httpPort, httpThreads, streamAppUrls, fanOutTimeoutMs, stateRefreshMs,
                defaultBlockSize, links, cost, kafkaBootstrap, topicPrefix, decisionBuffer, adminToken, shareInFlight,
                indexWaitShare, null, null);
    }

    /** Without {@code indexWaitShare}: its default. */
    public RouterConfig(String routerId, String httpHost, int httpPort, int httpThreads, List<String> streamAppUrls,
                        long fanOutTimeoutMs, long stateRefreshMs, int defaultBlockSize, LinkConfig links,
                        CostModel cost, String kafkaBootstrap, String topicPrefix, int decisionBuffer,
                        String adminToken, Boolean shareInFlight) {
        this(routerId, httpHost, httpPort, httpThreads, streamAppUrls, fanOutTimeoutMs, stateRefreshMs,
                defaultBlockSize, links, cost, kafkaBootstrap, topicPrefix, decisionBuffer, adminToken, shareInFlight,
                null);
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private static void positive(String name, long v) {
        if (v <= 0) {
            throw new IllegalArgumentException(name + " must be > 0, got " + v);
        }
    }
}
