package org.cse.ops;

import java.io.PrintWriter;
import java.time.Clock;
import org.apache.kafka.common.KafkaException;
import org.cse.runtime.ConfigException;
import org.cse.runtime.Env;
import org.cse.schemas.registry.SchemaRegistryException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code cse-ops}: the on-call operator's tool. Reads topics through the schema registry, counts,
 * shows and replays dead letters, shows an account's whole state across the services, lists stuck
 * referrals, replays parked deliveries, shows offsets and lag, and serves the live console. Configured
 * from the environment ({@link OpsSettings}); every failure is one line on stderr and an exit code
 * ({@link OpsFailure.Exit}).
 */
@Command(name = "cse-ops", mixinStandardHelpOptions = true, version = "cse-ops 0.1.0",
        description = "Operate the CSE enforcement pipeline: topics, dead letters, accounts, deliveries, the live console.",
        subcommands = {TailCommand.class, DlqCommand.class, AccountCommand.class, ReferralsCommand.class, ReplayParkedCommand.class,
                TopicsCommand.class, ConsoleCommand.class, CommandLine.HelpCommand.class})
public final class OpsCli implements Runnable {
    private final Env env;
    private final Clock clock;
    private OpsSettings settings;
    private CommandLine.Model.CommandSpec spec;

    OpsCli(Env env, Clock clock) {
        this.env = env;
        this.clock = clock;
    }

    @CommandLine.Spec
    void spec(CommandLine.Model.CommandSpec spec) {
        this.spec = spec;
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "name a command; cse-ops --help lists them");
    }

    public static void main(String[] args) {
        System.exit(run(Env.system(), Clock.systemUTC(), args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs one command line; what main does, with the environment and streams given (tests). */
    public static int run(Env env, Clock clock, String[] args, PrintWriter out, PrintWriter err) {
        CommandLine cli = new CommandLine(new OpsCli(env, clock));
        cli.setOut(out).setErr(err).setUsageHelpWidth(120);
        footers(cli);
        cli.setExecutionExceptionHandler((failure, commandLine, parsed) -> {
            OpsFailure known = known(failure);
            commandLine.getErr().println("cse-ops: " + known.getMessage());
            commandLine.getErr().flush();
            return known.exitCode();
        });
        return cli.execute(args);
    }

    /** Every command's --help ends with the exit codes and the environment, not only the top one's. */
    private static void footers(CommandLine command) {
        command.getCommandSpec().usageMessage().footer("", OpsFailure.Exit.HELP, "", OpsSettings.HELP);
        command.getSubcommands().values().forEach(OpsCli::footers);
    }

    static OpsFailure known(Throwable failure) {
        if (failure instanceof OpsFailure ops) {
            return ops;
        }
        if (failure instanceof ConfigException) {
            return new OpsFailure(OpsFailure.Exit.USAGE, failure.getMessage());
        }
        for (Throwable cause = failure; cause != null; cause = cause.getCause()) {
            if (cause instanceof OpsFailure || cause instanceof SchemaRegistryException) {
                return Cluster.translate(cause);
            }
        }
        if (failure instanceof KafkaException) {
            return Cluster.translate(failure);
        }
        return new OpsFailure(OpsFailure.Exit.FAILED, failure.toString());
    }

    synchronized OpsSettings settings() {
        if (settings == null) {
            settings = OpsSettings.from(env);
        }
        return settings;
    }

    Clock clock() {
        return clock;
    }

    Env env() {
        return env;
    }
}
