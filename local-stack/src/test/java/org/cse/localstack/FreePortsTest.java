package org.cse.localstack;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class FreePortsTest {

    @Test
    void neverGivesTheSamePortTwice() {
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 500; i++) {
            int port = FreePorts.next();
            assertThat(ports.add(port)).as("port %d given twice", port).isTrue();
            assertThat(port).isPositive();
        }
    }
}
