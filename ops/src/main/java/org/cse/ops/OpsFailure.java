package org.cse.ops;

/**
 * A failure the operator can act on: one line naming what failed and where, and the exit code that
 * tells a script which kind it was (see {@link Exit}). Never carries report content.
 */
final class OpsFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int exitCode;

    OpsFailure(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    int exitCode() {
        return exitCode;
    }

    /** The exit codes of cse-ops, as its --help lists them. */
    static final class Exit {
        static final int OK = 0;
        static final int FAILED = 1;
        static final int USAGE = 2;
        static final int BROKER_UNREACHABLE = 3;
        static final int REGISTRY_UNREACHABLE = 4;
        static final int SERVICE_UNREACHABLE = 5;
        static final int CREDENTIAL_REFUSED = 6;
        static final int NOT_FOUND = 7;
        static final int REFUSED = 8;

        static final String HELP = """
                Exit codes:
                  0  done
                  1  an unexpected failure (the message says which)
                  2  a wrong command line
                  3  the Kafka broker cannot be reached (KAFKA_BOOTSTRAP_SERVERS)
                  4  the schema registry cannot be reached (SCHEMA_REGISTRY_URL)
                  5  a service cannot be reached (CSE_CLASSIFIER_URL, CSE_ENFORCEMENT_URL, CSE_ESCALATION_URL)
                  6  a credential was refused (Kafka user or ACL; operator token)
                  7  not found (topic, record, account)
                  8  refused (already replayed, not parked, --confirm missing, not replayable)""";

        private Exit() {
        }
    }
}
