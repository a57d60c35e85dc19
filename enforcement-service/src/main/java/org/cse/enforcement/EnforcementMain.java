package org.cse.enforcement;

import org.cse.runtime.ServiceMain;

/** Runs the enforcement service; configuration from environment variables (see {@link EnforcementConfig}). */
public final class EnforcementMain {
    private EnforcementMain() {
    }

    public static void main(String[] args) {
        ServiceMain.run("enforcement-service", env -> new EnforcementService(EnforcementConfig.from(env)));
    }
}
