package org.cse.ops;

import java.io.PrintWriter;
import org.cse.runtime.auth.Operators;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Spec;

/** What every cse-ops command that prints has: its picocli spec, the text-or-JSON choice, the run's settings. */
abstract class OpsCommand {
    @Spec
    CommandSpec spec;
    @Mixin
    Output output;

    /** The top command, which holds the environment, the clock and the settings of this run. */
    OpsCli root() {
        return (OpsCli) spec.root().userObject();
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** Report content is about to be shown: an audit line in the log and one the operator sees. */
    void auditContent(OpsSettings settings, String subject) {
        Operators.audit(settings.operator(), "showed report content of", subject, "cse-ops");
        err().println("cse-ops: audit: " + settings.operator() + " shows report content of " + subject);
    }
}
