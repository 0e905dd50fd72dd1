package io.kvrelay.schemas;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.avro.Schema;

/**
 * Every schema version kvrelay has published, kept as resources under {@code schema-history/<Name>/v<N>.avsc}.
 *
 * <p>Readers register them all so older records keep decoding; {@code SchemaCompatibilityTest} fails when the
 * current schema could not be read by (or could not read) a published version. When a schema changes compatibly,
 * add the new version here as the next {@code vN.avsc}.
 */
public final class SchemaHistory {
    private SchemaHistory() {
    }

    /** All published versions of a record, oldest first, by full name (e.g. {@code io.kvrelay.schemas.avro.PodStatus}). */
    public static List<Schema> versionsOf(String fullName) {
        String simple = fullName.substring(fullName.lastIndexOf('.') + 1);
        List<Schema> out = new ArrayList<>();
        for (int v = 1; ; v++) {
            String path = "/schema-history/" + simple + "/v" + v + ".avsc";
            try (InputStream in = SchemaHistory.class.getResourceAsStream(path)) {
                if (in == null) {
                    return out;
                }
                out.add(new Schema.Parser().parse(in));
            } catch (IOException e) {
                throw new UncheckedIOException("cannot read " + path, e);
            }
        }
    }
}
