package org.cse.ops;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cse-ops replay-parked <accountId>}: a new attempt series for the account's parked actions and referrals. */
@Command(name = "replay-parked", mixinStandardHelpOptions = true,
        description = {"Retry an account's parked actions and referrals (all of them, or --item), after the cause is fixed.",
                "Same idempotency key as before: the platform, NCMEC or the hotline never see a second action or report."})
final class ReplayParkedCommand extends OpsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<accountId>")
    String accountId;
    @Option(names = "--item", paramLabel = "<itemId>", description = "Only this action or referral id.")
    String itemId;

    @Override
    public Integer call() {
        OpsSettings settings = root().settings();
        List<ObjectNode> replayed = new Services(settings).replayParked(accountId, itemId, settings.operatorToken());
        PrintWriter out = out();
        if (output.json) {
            out.println(Output.json(replayed));
        } else {
            replayed.forEach(r -> out.println(r.path("service").asText() + " " + r.path("kind").asText() + " " + r.path("itemId").asText()
                    + ": " + r.path("status").asText() + " (was parked after HTTP " + r.path("lastHttpStatus").asText("-") + ": "
                    + r.path("lastError").asText("-") + ")"));
        }
        out.flush();
        if (replayed.isEmpty()) {
            throw new OpsFailure(OpsFailure.Exit.REFUSED, "nothing parked for account " + accountId + (itemId == null ? "" : " item " + itemId));
        }
        return OpsFailure.Exit.OK;
    }
}
