package org.cse.runtime.http;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class PathSegmentTest {
    @Test
    void aSegmentNeverLeavesItsPlaceInThePath() {
        assertThat(PathSegment.encode("acct-1")).isEqualTo("acct-1");
        assertThat(PathSegment.encode(".")).isEqualTo("%2E");
        assertThat(PathSegment.encode("..")).isEqualTo("%2E%2E");
        assertThat(PathSegment.encode("a.b")).isEqualTo("a.b");
        assertThat(PathSegment.encode("a/../b")).isEqualTo("a%2F..%2Fb");
        assertThat(PathSegment.encode("a b?c#d")).isEqualTo("a%20b%3Fc%23d");
        assertThat(PathSegment.encode("\u00e9")).isEqualTo("%C3%A9");
        assertThat(HttpServer.decodeSegment(PathSegment.encode("x:y@z"))).isEqualTo("x:y@z");
    }
}
