package io.kvrelay.router.openai;

import io.kvrelay.http.HttpError;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Errors as OpenAI's API writes them, {@code {"error": {"message", "type", "param", "code"}}}, which its client
 * libraries parse into their exceptions; the status says the rest (400, 401, 404, 413, 503...).
 */
public final class OpenAiError {
    private OpenAiError() {
    }

    /** The body of {@code e} in OpenAI's shape. */
    public static Object body(HttpError e) {
        Map<String, Object> err = new LinkedHashMap<>();
        err.put("message", e.getMessage());
        err.put("type", type(e.status()));
        err.put("param", e.body().get("param"));
        err.put("code", e.body().getOrDefault("code", null));
        return Map.of("error", err);
    }

    /** 404 for a model nobody serves here. */
    public static HttpError modelNotFound(String model) {
        return new HttpError(404, "The model `" + model + "` does not exist.",
                Map.of("param", "model", "code", "model_not_found"));
    }

    private static String type(int status) {
        if (status == 401 || status == 403) {
            return "authentication_error";
        }
        if (status == 404) {
            return "not_found_error";
        }
        return status < 500 ? "invalid_request_error" : status == 503 ? "service_unavailable" : "server_error";
    }
}
