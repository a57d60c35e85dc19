package org.cse.intake;

import org.cse.runtime.ServiceMain;

/** Runs the intake service; configuration from environment variables (see {@link IntakeConfig}). */
public final class IntakeMain {
    private IntakeMain() {
    }

    public static void main(String[] args) {
        ServiceMain.run("intake-service", env -> new IntakeService(IntakeConfig.from(env)));
    }
}
