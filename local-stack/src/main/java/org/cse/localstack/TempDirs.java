package org.cse.localstack;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Housekeeping of the temporary folders the local stack, the local run and the benches create. */
public final class TempDirs {
    private TempDirs() {
    }

    /** Deletes a folder and everything in it; best effort: a folder left behind is only disk space. */
    public static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // best effort, as above: a file that goes while the walk runs (UncheckedIOException) included
        }
    }
}
