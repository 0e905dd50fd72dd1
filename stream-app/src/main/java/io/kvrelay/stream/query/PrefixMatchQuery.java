package io.kvrelay.stream.query;

/** The prefix-match query over this instance's shards: what the binary index port and the JSON API both answer. */
public interface PrefixMatchQuery {
    QueryOutcome<PrefixMatch> prefixMatch(PrefixMatchRequest req);
}
