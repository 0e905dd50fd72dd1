package io.kvrelay.router.links;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Optional;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * How the router logs in to Redis, and whether over TLS ({@code links.security} in the configuration).
 *
 * @param user        ACL user (Redis 6+); null = the default user
 * @param password    the password written in the configuration; prefer {@code passwordEnv}
 * @param passwordEnv the environment variable holding the password (a secret stays out of the file)
 * @param tls         talk TLS to Redis (a server started with {@code --tls-port}); the server's certificate must match
 *                    the host name or IP the router connects to
 * @param caCertFile  PEM file of the CA that signed the server's certificate; null = the JVM's trusted CAs
 */
public record RedisSecurity(String user, String password, String passwordEnv, boolean tls, String caCertFile) {
    public static final RedisSecurity NONE = new RedisSecurity(null, null, null, false, null);

    public RedisSecurity {
        if (password != null && passwordEnv != null) {
            throw new IllegalArgumentException("links.security: password or passwordEnv, not both");
        }
        if (caCertFile != null && !tls) {
            throw new IllegalArgumentException("links.security.caCertFile needs links.security.tls: true");
        }
        if (user != null && password == null && passwordEnv == null) {
            throw new IllegalArgumentException("links.security.user " + user + " needs a password (passwordEnv)");
        }
    }

    /** The password: written, or read from {@code env} (the process environment); empty = none. */
    public Optional<String> password(UnaryOperator<String> env) {
        if (passwordEnv == null) {
            return Optional.ofNullable(password);
        }
        String value = env.apply(passwordEnv);
        if (value == null || value.isEmpty()) {
            throw new IllegalStateException("links.security.passwordEnv names " + passwordEnv + ", which is not set");
        }
        return Optional.of(value);
    }

    /** Sockets that trust {@code caCertFile} only; empty = the JVM's default trust. */
    public Optional<SSLSocketFactory> socketFactory() {
        if (caCertFile == null) {
            return Optional.empty();
        }
        try (InputStream in = Files.newInputStream(Path.of(caCertFile))) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            int i = 0;
            for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                trust.setCertificateEntry("ca-" + i++, c);
            }
            if (i == 0) {
                throw new IllegalArgumentException("links.security.caCertFile " + caCertFile + " holds no certificate");
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return Optional.of(ctx.getSocketFactory());
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalArgumentException("links.security.caCertFile " + caCertFile + ": " + e.getMessage(), e);
        }
    }

    /** Never the password. */
    @Override
    public String toString() {
        return "RedisSecurity[user=" + user + ", password=" + (password == null ? "none" : "[hidden]")
                + ", passwordEnv=" + passwordEnv + ", tls=" + tls + ", caCertFile=" + caCertFile + "]";
    }
}
