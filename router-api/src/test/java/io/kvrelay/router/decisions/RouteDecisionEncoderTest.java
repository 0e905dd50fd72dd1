package io.kvrelay.router.decisions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.kvrelay.schemas.AvroCodec;
import io.kvrelay.schemas.avro.CandidateScore;
import io.kvrelay.schemas.avro.RouteDecision;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.avro.generic.PrimitivesArrays;
import org.junit.jupiter.api.Test;

/** {@link RouteDecisionEncoder} writes exactly what Avro's own single-object encoder writes: the topic's format. */
class RouteDecisionEncoderTest {
    private final RouteDecisionEncoder fast = new RouteDecisionEncoder();
    private final AvroCodec<RouteDecision> avro = AvroCodec.routeDecisions();

    @Test
    void shouldWriteTheSameBytesAsAvroForDecisionsOfEveryShape() throws Exception {
        SplittableRandom rnd = new SplittableRandom(13);
        for (int i = 0; i < 2_000; i++) {
            RouteDecision d = random(rnd);

            byte[] ours = fast.encode(d);

            assertThat(ours).as("decision %d: %s", i, d).isEqualTo(avro.encode(d));
            assertThat(avro.decode(ours)).isEqualTo(d);
        }
    }

    @Test
    void shouldWriteTheSameBytesForTheSmallestAndATypicalDecision() {
        RouteDecision empty = RouteDecision.newBuilder().setNamespace("").setService("").setBlockKeys(List.of())
                .setReason("").setCandidates(List.of()).setLatencyMicros(0).setAtMicros(0).build();
        RouteDecision typical = RouteDecision.newBuilder().setNamespace("prod").setService("llama-8b")
                .setUserId("user-42").setBlockKeys(List.of(-1L, 0L, Long.MAX_VALUE, Long.MIN_VALUE, 12_345_678_901L))
                .setChosenPod("prod/llama-8b/llama-8b-3").setReason("sticky").setSticky(true)
                .setCandidates(List.of(new CandidateScore("llama-8b-3", 4, 4, 12.5, 3, 0, 0.31, 40.0),
                        new CandidateScore("llama-8b-1", 0, 0, Double.NaN, null, null, null, null)))
                .setLatencyMicros(412).setAtMicros(1_757_500_000_000_000L).setRouterId("router-0")
                .setPrefillMs(-0.0).build();

        assertThat(fast.encode(empty)).isEqualTo(avro.encode(empty));
        assertThat(fast.encode(typical)).isEqualTo(avro.encode(typical));
        assertThat(AvroCodec.fingerprintOf(fast.encode(typical))).isEqualTo(avro.fingerprint());
    }

    @Test
    void shouldRefuseANullRequiredFieldAsAvroDoes() {
        RouteDecision d = RouteDecision.newBuilder().setNamespace("ns").setService("svc").setBlockKeys(List.of())
                .setReason("r").setCandidates(List.of()).setLatencyMicros(0).setAtMicros(0).build();
        d.setReason(null);

        assertThatThrownBy(() -> fast.encode(d)).isInstanceOf(NullPointerException.class);
        assertThat(fast.encode(withReason(d))).as("the encoder is usable after a failure")
                .isEqualTo(avro.encode(withReason(d)));
    }

    private static RouteDecision withReason(RouteDecision d) {
        d.setReason("best-cost");
        return d;
    }

    private static RouteDecision random(SplittableRandom rnd) {
        int keys = rnd.nextInt(4) == 0 ? 0 : rnd.nextInt(300);
        List<Long> blockKeys;
        if (rnd.nextBoolean()) {
            PrimitivesArrays.LongArray a = new PrimitivesArrays.LongArray(keys,
                    RouteDecision.getClassSchema().getField("blockKeys").schema());
            for (int k = 0; k < keys; k++) {
                a.add(rnd.nextLong());
            }
            blockKeys = a;
        } else {
            blockKeys = new ArrayList<>();
            for (int k = 0; k < keys; k++) {
                blockKeys.add(rnd.nextInt(3) == 0 ? rnd.nextLong(-200, 200) : rnd.nextLong());
            }
        }
        List<CandidateScore> cands = new ArrayList<>();
        int n = rnd.nextInt(5) == 0 ? 0 : rnd.nextInt(20);
        for (int c = 0; c < n; c++) {
            cands.add(new CandidateScore(text(rnd), rnd.nextInt(), rnd.nextInt(-5, 500), rnd.nextDouble() * 1e4,
                    rnd.nextBoolean() ? null : rnd.nextInt(), rnd.nextBoolean() ? null : rnd.nextInt(0, 100),
                    rnd.nextBoolean() ? null : rnd.nextDouble(), rnd.nextBoolean() ? null : -rnd.nextDouble()));
        }
        return RouteDecision.newBuilder().setNamespace(text(rnd)).setService(text(rnd))
                .setUserId(rnd.nextBoolean() ? null : text(rnd)).setLoraName(rnd.nextBoolean() ? null : text(rnd))
                .setBlockKeys(blockKeys).setChosenPod(rnd.nextBoolean() ? null : text(rnd)).setReason(text(rnd))
                .setSticky(rnd.nextBoolean()).setRedisAvailable(rnd.nextBoolean())
                .setIndexAvailable(rnd.nextBoolean()).setCandidates(cands).setLatencyMicros(rnd.nextLong())
                .setAtMicros(rnd.nextLong(0, Long.MAX_VALUE)).setRouterId(text(rnd))
                .setPrefillMs(rnd.nextBoolean() ? null : rnd.nextDouble() * 100).build();
    }

    /** Empty, short, long (multi-byte lengths) and non-ASCII strings. */
    private static String text(SplittableRandom rnd) {
        int kind = rnd.nextInt(6);
        int len = switch (kind) {
            case 0 -> 0;
            case 1 -> rnd.nextInt(64, 300);
            case 2 -> rnd.nextInt(8_000, 20_000);
            default -> rnd.nextInt(1, 64);
        };
        StringBuilder sb = new StringBuilder(len);
        boolean unicode = rnd.nextInt(5) == 0;
        for (int i = 0; i < len; i++) {
            sb.append(unicode && rnd.nextInt(4) == 0 ? (char) rnd.nextInt(0x80, 0xD7FF) : (char) rnd.nextInt(32, 127));
        }
        return sb.toString();
    }
}
