package org.cse.escalation;

import org.cse.runtime.ServiceMain;

/** Runs the escalation service; configuration from environment variables (see {@link EscalationConfig}). */
public final class EscalationMain {
    private EscalationMain() {
    }

    public static void main(String[] args) {
        ServiceMain.run("escalation-service", env -> new EscalationService(EscalationConfig.from(env)));
    }
}
