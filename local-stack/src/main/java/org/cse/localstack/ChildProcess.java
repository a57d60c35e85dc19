package org.cse.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A child JVM started through {@link ParentWatchdog}, its output in a log file, stopped with SIGTERM
 * and, if it lingers, SIGKILL.
 */
final class ChildProcess implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChildProcess.class);

    private static final Path SETSID = Path.of("/usr/bin/setsid");

    private final String name;
    private final Process process;
    private final Path logFile;

    private ChildProcess(String name, Process process, Path logFile) {
        this.name = name;
        this.process = process;
        this.logFile = logFile;
    }

    /** Starts {@code mainClass} in a new JVM on the given classpath (plus this module, for the watchdog). */
    static ChildProcess startJava(String name, List<String> classpath, List<String> jvmArgs, String mainClass,
                                  List<String> args, Path workDir, Path logFile) {
        List<String> command = new ArrayList<>();
        // Own session: a Ctrl-C in the terminal reaches only the parent, whose shutdown hook then stops
        // services before the broker and registry. The watchdog covers a parent that dies without hooks.
        if (Files.isExecutable(SETSID)) {
            command.add(SETSID.toString());
        }
        command.add(javaExecutable());
        command.addAll(jvmArgs);
        List<String> fullClasspath = new ArrayList<>(classpath);
        fullClasspath.add(ownLocation());
        command.add("-cp");
        command.add(String.join(java.io.File.pathSeparator, fullClasspath));
        command.add(ParentWatchdog.class.getName());
        command.add(Long.toString(ProcessHandle.current().pid()));
        command.add(mainClass);
        command.addAll(args);
        return start(name, command, workDir, logFile);
    }

    static ChildProcess start(String name, List<String> command, Path workDir, Path logFile) {
        try {
            Files.createDirectories(logFile.getParent());
            Process process = new ProcessBuilder(command)
                    .directory(workDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
            LOG.info("started {} (pid {}), log {}", name, process.pid(), logFile);
            return new ChildProcess(name, process, logFile);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + name, e);
        }
    }

    /** Runs a command to completion; fails with the tail of its log if it does not exit 0. */
    static void runToCompletion(String name, List<String> classpath, String mainClass, List<String> args, Path workDir,
                                Path logFile, Duration timeout) {
        try (ChildProcess child = startJava(name, classpath, List.of("-Xmx256m"), mainClass, args, workDir, logFile)) {
            if (!child.process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                throw new IllegalStateException(name + " did not finish within " + timeout + "; log: " + logFile);
            }
            if (child.process.exitValue() != 0) {
                throw new IllegalStateException(name + " exited " + child.process.exitValue() + ": " + child.tail());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + name, e);
        }
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    Path logFile() {
        return logFile;
    }

    /** The last lines of the child's log, for error messages. */
    String tail() {
        try {
            List<String> lines = Files.readAllLines(logFile);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    /** SIGKILL: a crash, for fault tests. */
    void kill() {
        process.destroyForcibly();
        waitQuietly(Duration.ofSeconds(10));
    }

    @Override
    public void close() {
        if (!process.isAlive()) {
            return;
        }
        process.destroy();
        if (!waitQuietly(Duration.ofSeconds(15))) {
            LOG.warn("{} (pid {}) ignored SIGTERM for 15 s: killing it", name, process.pid());
            process.destroyForcibly();
            waitQuietly(Duration.ofSeconds(5));
        }
        LOG.info("stopped {} (pid {})", name, process.pid());
    }

    private boolean waitQuietly(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static String javaExecutable() {
        return ProcessHandle.current().info().command()
                .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    }

    private static String ownLocation() {
        try {
            return Path.of(ParentWatchdog.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString();
        } catch (java.net.URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
