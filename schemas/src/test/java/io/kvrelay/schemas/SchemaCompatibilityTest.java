package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodStatus;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.SchemaCompatibilityType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Fails when a schema change would break a reader that already exists: every published version must read records
 * written with the current schema, and the current schema must read records written with every published version.
 */
class SchemaCompatibilityTest {

    static Stream<Schema> currentSchemas() {
        return Stream.of(KvEventBatch.getClassSchema(), DeadLetter.getClassSchema(), PodStatus.getClassSchema(),
                io.kvrelay.schemas.avro.PodCommand.getClassSchema(), io.kvrelay.schemas.avro.PodStateEntry.getClassSchema(),
                io.kvrelay.schemas.avro.RouteDecision.getClassSchema());
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void shouldHaveAPublishedHistory(Schema current) {
        assertThat(SchemaHistory.versionsOf(current.getFullName()))
                .as("published versions of %s (add schema-history/%s/vN.avsc)", current.getName(), current.getName())
                .isNotEmpty();
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void shouldBeReadableByEveryPublishedReader(Schema current) {
        List<Schema> history = SchemaHistory.versionsOf(current.getFullName());
        for (int v = 0; v < history.size(); v++) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(history.get(v), current);
            assertThat(result.getType())
                    .as("v%d readers of %s reading current records: %s", v + 1, current.getName(), result.getDescription())
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @ParameterizedTest
    @MethodSource("currentSchemas")
    void shouldReadEveryPublishedVersion(Schema current) {
        List<Schema> history = SchemaHistory.versionsOf(current.getFullName());
        for (int v = 0; v < history.size(); v++) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(current, history.get(v));
            assertThat(result.getType())
                    .as("current readers of %s reading v%d records: %s", current.getName(), v + 1, result.getDescription())
                    .isEqualTo(SchemaCompatibilityType.COMPATIBLE);
        }
    }
}
