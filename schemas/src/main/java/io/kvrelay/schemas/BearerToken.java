package io.kvrelay.schemas;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The one check of an {@code Authorization: Bearer <token>} header, for every part's admin operations. In constant
 * time: the header and the expected value are compared as SHA-256 digests with {@link MessageDigest#isEqual}, so
 * neither how much of a guess is right nor how long the token is shows in the answer's timing ({@code String.equals}
 * stops at the first wrong character).
 */
public final class BearerToken {
    private BearerToken() {
    }

    /** True when {@code authorization} is {@code "Bearer " + token}; never for a missing header or an empty token. */
    public static boolean matches(String authorization, String token) {
        if (authorization == null || token == null || token.isEmpty()) {
            return false;
        }
        return MessageDigest.isEqual(sha256(authorization), sha256("Bearer " + token));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
