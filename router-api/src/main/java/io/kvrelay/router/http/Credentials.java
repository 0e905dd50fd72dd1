package io.kvrelay.router.http;

import io.kvrelay.http.HttpError;
import io.kvrelay.schemas.BearerToken;
import java.util.Map;

/**
 * Who may do what, from the {@code Authorization} header: the admin token may do anything; a namespace's token may
 * route and read and write that namespace's links, nothing else. A namespace with a token is closed to callers
 * without it; one without a token is open for routing and reads, and its links are written with the admin token
 * only. Tokens are compared in constant time ({@link BearerToken}).
 */
final class Credentials {
    private final String adminToken;
    private final Map<String, String> namespaceTokens;

    Credentials(String adminToken, Map<String, String> namespaceTokens) {
        this.adminToken = adminToken == null ? "" : adminToken;
        this.namespaceTokens = Map.copyOf(namespaceTokens);
    }

    /** Drain, undrain: the admin token. */
    void requireAdmin(String authorization) {
        if (adminToken.isEmpty()) {
            throw HttpError.forbidden("admin operations are disabled: set adminToken");
        }
        if (!BearerToken.matches(authorization, adminToken)) {
            throw HttpError.unauthorized("Authorization: Bearer <adminToken> required");
        }
    }

    /** Routing in, or reading the links of, a namespace: its token when it has one. */
    void requireRead(String namespace, String authorization) {
        String token = namespaceTokens.get(namespace);
        if (token != null && !BearerToken.matches(authorization, token) && !isAdmin(authorization)) {
            throw HttpError.unauthorized("namespace " + namespace + " needs Authorization: Bearer <its token>");
        }
    }

    /** Writing a namespace's links or cache entries: its token, or the admin token. */
    void requireWrite(String namespace, String authorization) {
        String token = namespaceTokens.get(namespace);
        if (token != null && BearerToken.matches(authorization, token) || isAdmin(authorization)) {
            return;
        }
        if (token == null && adminToken.isEmpty()) {
            throw HttpError.forbidden("link writes in namespace " + namespace
                    + " are disabled: set namespaceTokens." + namespace + " or adminToken");
        }
        throw HttpError.unauthorized("writing links of namespace " + namespace
                + " needs Authorization: Bearer <its token or adminToken>");
    }

    private boolean isAdmin(String authorization) {
        return !adminToken.isEmpty() && BearerToken.matches(authorization, adminToken);
    }
}
