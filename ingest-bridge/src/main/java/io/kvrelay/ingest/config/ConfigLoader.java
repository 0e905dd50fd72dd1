package io.kvrelay.ingest.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.ValueInstantiationException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads a {@link BridgeConfig} or a {@link PodConfig} from JSON, turning every failure into one clear message. */
public final class ConfigLoader {
    private static final ObjectMapper JSON = new ObjectMapper()
            // Absent numbers arrive as 0 and the records treat 0 as "use the default".
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private ConfigLoader() {
    }

    public static ObjectMapper json() {
        return JSON;
    }

    public static BridgeConfig load(Path file) {
        if (!Files.isReadable(file)) {
            throw new InvalidConfigException("config file " + file + " does not exist or is not readable");
        }
        try {
            return parse(Files.readString(file), BridgeConfig.class);
        } catch (IOException e) {
            throw new InvalidConfigException("cannot read config file " + file + ": " + e.getMessage());
        }
    }

    public static <T> T parse(String json, Class<T> type) {
        try {
            return JSON.readValue(json, type);
        } catch (ValueInstantiationException e) {
            // The record's own validation failed: its message already names the setting.
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new InvalidConfigException(cause.getMessage());
        } catch (JsonProcessingException e) {
            throw new InvalidConfigException("invalid " + type.getSimpleName() + " JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()
                    + ", column " + e.getLocation().getColumnNr()));
        }
    }

    /** Bad configuration: the message says which setting and why. */
    public static final class InvalidConfigException extends RuntimeException {
        public InvalidConfigException(String message) {
            super(message);
        }
    }
}
