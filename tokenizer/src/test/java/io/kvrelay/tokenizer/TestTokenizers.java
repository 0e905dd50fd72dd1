package io.kvrelay.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The tests' own tokenizer, in the files a Hugging Face model ships: byte-level BPE without merges (every byte one
 * token, id = the byte's value), {@code <|im_start|>} = 256 and {@code <|im_end|>} = 257, and a ChatML chat
 * template. Small and fully predictable, so a test can compute the ids it expects by hand.
 */
public final class TestTokenizers {
    public static final int IM_START = 256;
    public static final int IM_END = 257;

    private TestTokenizers() {
    }

    /** Writes the tokenizer's files into {@code dir} (created if needed) and returns it. */
    public static Path bytesChatMl(Path dir) {
        try {
            Files.createDirectories(dir);
            for (String f : new String[] {"tokenizer.json", "tokenizer_config.json"}) {
                try (InputStream in = TestTokenizers.class.getResourceAsStream("bytes-chatml/" + f)) {
                    Files.copy(in, dir.resolve(f), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The ids the tokenizer gives {@code text} without special tokens: its UTF-8 bytes. */
    public static int[] bytes(String text) {
        byte[] b = text.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        int[] out = new int[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[i] & 0xff;
        }
        return out;
    }
}
