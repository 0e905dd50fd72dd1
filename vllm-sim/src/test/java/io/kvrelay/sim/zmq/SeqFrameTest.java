package io.kvrelay.sim.zmq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HexFormat;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SeqFrameTest {
    private static final UUID ID = UUID.fromString("00112233-4455-6677-8899-aabbccddeeff");

    @Test
    void shouldEncodeEightBytesBigEndianOrTwentyFourWithTheId() {
        assertThat(HexFormat.of().formatHex(SeqFrame.SEQ8.encode(258, ID))).isEqualTo("0000000000000102");
        assertThat(HexFormat.of().formatHex(SeqFrame.SEQ8_PUBLISHER_ID.encode(258, ID)))
                .isEqualTo("0000000000000102" + "00112233445566778899aabbccddeeff");
        assertThat(HexFormat.of().formatHex(SeqFrame.SEQ8_PUBLISHER_ID.endMarker(ID)))
                .startsWith("ffffffffffffffff").hasSize(48);
    }

    @Test
    void shouldParseWhatItEncodes() {
        byte[] f = SeqFrame.SEQ8_PUBLISHER_ID.encode(-2L, ID);
        assertThat(SeqFrame.seqOf(f)).isEqualTo(-2L);
        assertThat(SeqFrame.publisherIdOf(f)).isEqualTo(ID);
        assertThat(SeqFrame.publisherIdOf(SeqFrame.SEQ8.encode(7, ID))).isNull();
        assertThatThrownBy(() -> SeqFrame.seqOf(new byte[9])).hasMessageContaining("8 or 24 bytes");
    }

    @Test
    void presetsShouldTurnOnWhatTheyName() {
        assertThat(Fidelity.roomy()).extracting(Fidelity::replayServing, Fidelity::seqFrame)
                .containsExactly(ReplayServing.OWN_THREAD, SeqFrame.SEQ8);
        assertThat(Fidelity.roomy().routerSndHwm(10_000)).isEqualTo(10_002);
        assertThat(Fidelity.vllm()).extracting(Fidelity::replayServing, Fidelity::replaySndHwm,
                Fidelity::seqFrame, Fidelity::heartbeatInterval)
                .containsExactly(ReplayServing.PUBLISHING_THREAD, 1000, SeqFrame.SEQ8, Duration.ZERO);
        assertThat(Fidelity.vllmSnapshot()).extracting(Fidelity::seqFrame, Fidelity::heartbeatInterval)
                .containsExactly(SeqFrame.SEQ8_PUBLISHER_ID, Duration.ofSeconds(1));
        assertThatThrownBy(() -> Fidelity.vllm().withReplaySndHwm(-2)).hasMessageContaining("replaySndHwm");
        assertThatThrownBy(() -> Fidelity.vllm().withReplayPace(Duration.ofMillis(-1)))
                .hasMessageContaining("replayPace");
    }
}
