package io.kvrelay.router.http;

import io.kvrelay.http.HttpError;

/**
 * Bounds on every string a client can make the router store or key by: Kubernetes names for namespaces, services
 * and pods (253 characters, no '/' or ':'), user ids up to 512 characters. Checked at the edge, with a 400 naming
 * the limit, so a 3 MB pod name never reaches Redis or the heap of a decision.
 */
final class Names {
    static final int MAX_NAME = 253;
    static final int MAX_USER = 512;

    private Names() {
    }

    static String name(String field, String v) {
        if (v == null || v.isBlank()) {
            throw HttpError.badRequest(field + " is required (a non-empty string)");
        }
        if (v.length() > MAX_NAME) {
            throw HttpError.badRequest(field + " must be at most " + MAX_NAME + " characters, got " + v.length());
        }
        if (v.indexOf('/') >= 0 || v.indexOf(':') >= 0) {
            throw HttpError.badRequest(field + " must not contain '/' or ':'");
        }
        return v;
    }

    static String user(String v) {
        if (v == null || v.isEmpty()) {
            throw HttpError.badRequest("user id is required");
        }
        if (v.length() > MAX_USER) {
            throw HttpError.badRequest("user id must be at most " + MAX_USER + " characters, got " + v.length());
        }
        return v;
    }
}
