package io.kvrelay.launcher.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.kvrelay.testkit.RequiredTools;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The report as a person sees it: Debian's Chromium, headless, opens report.html from disk and takes a screenshot,
 * which must show the charts painted (their series colours), not a blank or an error page. The report and the
 * screenshot stay in target/ (replay-report/report.html, replay-report.png) to look at.
 */
class ReplayHtmlChromiumIT {
    private static final int WIDTH = 1280;
    private static final int HEIGHT = 5600; // the whole fixture's report, both services
    private static final long TIMEOUT_SECONDS = 90;

    @Test
    void shouldPaintTheReportInHeadlessChromium(@TempDir Path tmp) throws Exception {
        Path chromium = RequiredTools.require("chromium", "apt-get install chromium fonts-dejavu-core");
        Path target = Path.of("target").toAbsolutePath();
        Path report = ReplayHtml.write(target.resolve("replay-report"), ReplayHtmlTest.sample());
        Path png = target.resolve("replay-report.png");
        Files.deleteIfExists(png);

        Path log = tmp.resolve("chromium.log");
        // Old headless is gone from Chromium's own binary; plain --headless is the new mode. The network flags keep
        // it from calling Google's services on a machine with no network, --user-data-dir from touching ~/.config.
        Process p = new ProcessBuilder(chromium.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--hide-scrollbars", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-quic", "--force-device-scale-factor=1",
                "--user-data-dir=" + tmp.resolve("profile"), "--window-size=" + WIDTH + "," + HEIGHT,
                "--screenshot=" + png, report.toUri().toString())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("chromium took more than %d s; its output:%n%s", TIMEOUT_SECONDS, Files.readString(log));
        }
        assertThat(p.exitValue()).as(Files.readString(log)).isZero();
        assertThat(png).as(Files.readString(log)).isRegularFile();

        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img.getWidth()).isEqualTo(WIDTH);
        assertThat(img.getHeight()).isEqualTo(HEIGHT);
        Set<Integer> colours = new HashSet<>();
        long painted = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y) & 0xffffff;
                colours.add(rgb);
                painted += rgb == 0xffffff || rgb == 0xf3f5f8 ? 0 : 1; // neither a card nor the page behind them
            }
        }
        assertThat(colours).as("distinct colours: text, lines and bars, antialiased").hasSizeGreaterThan(500);
        assertThat(painted).as("pixels other than the backgrounds").isGreaterThan((long) WIDTH * HEIGHT / 50);
        // The first four series colours (pods' lines, legend swatches, bars) appear nowhere else on the page: each
        // covers some 18,000 to 93,000 pixels when the charts are painted.
        for (int i = 0; i < 4; i++) {
            String colour = SvgCharts.color(i);
            assertThat(near(img, Integer.parseInt(colour.substring(1), 16))).as("pixels of %s", colour)
                    .isGreaterThan(2_000);
        }
    }

    /** Pixels within a few levels of {@code rgb} on each channel (antialiasing and colour conversion). */
    private static long near(BufferedImage img, int rgb) {
        long n = 0;
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int c = img.getRGB(x, y);
                if (Math.abs(((c >> 16) & 0xff) - ((rgb >> 16) & 0xff)) <= 4
                        && Math.abs(((c >> 8) & 0xff) - ((rgb >> 8) & 0xff)) <= 4
                        && Math.abs((c & 0xff) - (rgb & 0xff)) <= 4) {
                    n++;
                }
            }
        }
        return n;
    }

}
