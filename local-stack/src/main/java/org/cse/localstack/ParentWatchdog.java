package org.cse.localstack;

import java.lang.reflect.Method;
import java.util.Arrays;

/**
 * Entry point of every child process the local stack starts: runs the real main class, and exits the
 * child when the parent JVM is gone. A test JVM killed with SIGKILL (or a Ctrl-C that skipped hooks)
 * then leaves no broker or registry running behind it.
 *
 * <p>Usage: {@code ParentWatchdog <parent-pid> <main-class> [args...]}
 */
public final class ParentWatchdog {
    private ParentWatchdog() {
    }

    public static void main(String[] args) throws Exception {
        long parentPid = Long.parseLong(args[0]);
        String mainClass = args[1];
        String[] rest = Arrays.copyOfRange(args, 2, args.length);
        Thread watcher = new Thread(() -> {
            while (true) {
                boolean alive = ProcessHandle.of(parentPid).map(ProcessHandle::isAlive).orElse(false);
                if (!alive) {
                    System.err.println("parent process " + parentPid + " is gone: stopping");
                    System.exit(0);
                }
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "parent-watchdog");
        watcher.setDaemon(true);
        watcher.start();
        Method main = Class.forName(mainClass).getMethod("main", String[].class);
        main.invoke(null, (Object) rest);
    }
}
