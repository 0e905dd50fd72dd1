package io.kvrelay.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class RequiredToolsTest {

    @Test
    void findsWhatIsOnPathAndNotWhatIsNot() {
        assertThat(RequiredTools.find("sh")).isPresent();
        assertThat(RequiredTools.require("sh", "always there")).isEqualTo(RequiredTools.find("sh").get());
        assertThat(RequiredTools.find("kvrelay-no-such-tool")).isEmpty();
    }

    @Test
    void aMissingToolSkipsOnADevelopersMachineAndFailsInCi() {
        Throwable t = catchThrowable(() -> RequiredTools.require("kvrelay-no-such-tool", "apt-get install it"));
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            assertThat(t).isInstanceOf(AssertionFailedError.class).hasMessageContaining("CI: kvrelay-no-such-tool");
        } else {
            assertThat(t).isInstanceOf(TestAbortedException.class).hasMessageContaining("apt-get install it");
        }
    }
}
