package io.kvrelay.http;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/**
 * kvrelay's version as the build stamped it (a filtered resource, so it holds in a shaded jar, an image's exploded
 * classes and the IDE alike), for every part's {@code --version}: one place, never a literal.
 */
public final class KvrelayVersion implements CommandLine.IVersionProvider {
    private static final String VERSION = load();

    /** e.g. "0.1.0-SNAPSHOT". */
    public static String current() {
        return VERSION;
    }

    @Override
    public String[] getVersion() {
        return new String[] {"kvrelay " + VERSION};
    }

    private static String load() {
        try (InputStream in = KvrelayVersion.class.getResourceAsStream("kvrelay-version.properties")) {
            if (in == null) {
                throw new IllegalStateException("kvrelay-version.properties is missing from the http module's jar");
            }
            Properties p = new Properties();
            p.load(in);
            return p.getProperty("version");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
