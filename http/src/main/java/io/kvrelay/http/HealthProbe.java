package io.kvrelay.http;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A container health check for images that have no shell or curl (kvrelay's have only a Java runtime):
 * {@code java -cp @/app/jib-classpath-file io.kvrelay.http.HealthProbe http://127.0.0.1:8080/health} exits 0 if the
 * URL answers 200 within 5 s, 1 otherwise (another status, no answer, refused), printing why. The status line decides,
 * never a "200" somewhere in the body.
 */
public final class HealthProbe {
    private HealthProbe() {
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: HealthProbe <url>");
            System.exit(2);
        }
        System.exit(check(URI.create(args[0]), Duration.ofSeconds(5)) ? 0 : 1);
    }

    /** Whether {@code url} answers 200 within {@code timeout}; says what it got on standard error otherwise. */
    static boolean check(URI url, Duration timeout) {
        HttpClient client = HttpClient.newBuilder().connectTimeout(timeout).build();
        try {
            int status = client.send(HttpRequest.newBuilder(url).timeout(timeout).GET().build(),
                    HttpResponse.BodyHandlers.discarding()).statusCode();
            if (status != 200) {
                System.err.println(url + " answered " + status);
            }
            return status == 200;
        } catch (Exception e) {
            System.err.println(url + ": " + e);
            return false;
        }
    }
}
