package io.kvrelay.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import io.kvrelay.schemas.avro.DeadLetter;
import io.kvrelay.schemas.avro.KvEventBatch;
import io.kvrelay.schemas.avro.PodCommand;
import io.kvrelay.schemas.avro.PodStatus;
import io.kvrelay.schemas.avro.RouteDecision;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.api.Test;

/** CONSUMING.md tells other languages which fingerprint each record carries: it must say what the code writes. */
class ConsumingGuideTest {
    private static final Pattern ROW = Pattern.compile(
            "\\| `(io\\.kvrelay\\.schemas\\.avro\\.\\w+)` \\| `([0-9a-f]{16})` \\| `([0-9a-f ]{23})` \\|");

    @Test
    void shouldListTheFingerprintEveryRecordIsWrittenWith() throws Exception {
        String guide = Files.readString(Path.of("CONSUMING.md"));
        Map<String, String[]> listed = new HashMap<>();
        Matcher m = ROW.matcher(guide);
        while (m.find()) {
            listed.put(m.group(1), new String[] {m.group(2), m.group(3)});
        }
        for (Schema s : new Schema[] {KvEventBatch.getClassSchema(), DeadLetter.getClassSchema(),
                PodStatus.getClassSchema(), PodCommand.getClassSchema(), RouteDecision.getClassSchema(),
                io.kvrelay.schemas.avro.PodStateEntry.getClassSchema()}) {
            long fp = SchemaNormalization.parsingFingerprint64(s);
            assertThat(listed).as("CONSUMING.md lists %s", s.getFullName()).containsKey(s.getFullName());
            assertThat(listed.get(s.getFullName())[0]).as("%s fingerprint", s.getFullName())
                    .isEqualTo(String.format(Locale.ROOT, "%016x", fp));
            byte[] value = header(s);
            StringBuilder le = new StringBuilder();
            for (int i = 2; i < 10; i++) {
                le.append(i == 2 ? "" : " ").append(String.format(Locale.ROOT, "%02x", value[i]));
            }
            assertThat(listed.get(s.getFullName())[1]).as("%s bytes 2..9", s.getFullName()).isEqualTo(le.toString());
        }
    }

    /** The first 10 bytes of a value written with this schema, by the codec the bridge and stream-app use. */
    private static byte[] header(Schema s) {
        long fp = SchemaNormalization.parsingFingerprint64(s);
        assertThat(fingerprintOfCodec(s)).isEqualTo(fp);
        byte[] out = new byte[10];
        out[0] = (byte) 0xC3;
        out[1] = 0x01;
        for (int i = 0; i < 8; i++) {
            out[2 + i] = (byte) (fp >>> (8 * i));
        }
        return out;
    }

    private static long fingerprintOfCodec(Schema s) {
        return switch (s.getName()) {
            case "KvEventBatch" -> AvroCodec.kvEvents().fingerprint();
            case "DeadLetter" -> AvroCodec.deadLetters().fingerprint();
            case "PodStatus" -> AvroCodec.podStatus().fingerprint();
            case "PodCommand" -> AvroCodec.podCommands().fingerprint();
            case "RouteDecision" -> AvroCodec.routeDecisions().fingerprint();
            case "PodStateEntry" -> AvroCodec.podStates().fingerprint();
            default -> throw new IllegalArgumentException(s.getName());
        };
    }
}
