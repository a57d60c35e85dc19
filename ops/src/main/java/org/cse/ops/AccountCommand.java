package org.cse.ops;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cse-ops account <id>}: one account across the classifier and the two delivery services. */
@Command(name = "account", mixinStandardHelpOptions = true,
        description = "An account's status, strikes, open incidents and recent decisions (classifier), and every action and referral with its delivery state.")
final class AccountCommand extends OpsCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "<accountId>")
    String accountId;

    @Override
    public Integer call() {
        OpsSettings settings = root().settings();
        ObjectNode view = new Services(settings).account(accountId, settings.operatorToken());
        PrintWriter out = out();
        if (output.json) {
            out.println(Output.json(view));
        } else {
            print(view, out);
        }
        out.flush();
        JsonNode classifier = view.path("classifier");
        if (classifier.isNull() && view.path("actions").isEmpty() && view.path("referrals").isEmpty()) {
            throw new OpsFailure(OpsFailure.Exit.NOT_FOUND, "no service holds anything about account " + accountId);
        }
        return OpsFailure.Exit.OK;
    }

    static void print(ObjectNode view, PrintWriter out) {
        JsonNode classifier = view.path("classifier");
        if (classifier.isNull()) {
            out.println("account " + view.path("accountId").asText() + ": no history in the classifier");
        } else {
            out.println("account " + classifier.path("accountId").asText() + ": " + classifier.path("status").asText() + ", "
                    + classifier.path("strikes").size() + " strike(s), " + classifier.path("identifiers").asInt() + " identifier(s)");
            for (JsonNode strike : classifier.path("strikes")) {
                out.println("  strike " + strike.path("decisionId").asText() + " " + strike.path("category").asText() + " at "
                        + strike.path("at").asText());
            }
            for (JsonNode incident : classifier.path("openIncidents")) {
                out.println("  open incident " + incident.path("incidentId").asText() + ": " + incident.path("reports").asInt()
                        + " report(s) since " + incident.path("firstReportedAt").asText());
            }
            out.println("  recent decisions: " + (classifier.path("recentDecisions").isEmpty() ? "none" : classifier.path("recentDecisions")));
        }
        Output.Table actions = new Output.Table("ACTION", "TYPE", "DECISION", "STATUS", "ATTEMPTS", "LAST HTTP", "NEXT ATTEMPT", "LAST ERROR");
        view.path("actions").forEach(a -> actions.row(a.path("itemId").asText(), a.path("type").asText(), a.path("decisionId").asText(),
                a.path("status").asText(), a.path("totalAttempts").asText(), a.path("lastHttpStatus").asText(null),
                a.path("nextAttemptAt").asText(null), a.path("lastError").asText(null)));
        out.println("actions (" + actions.size() + "):");
        if (actions.size() > 0) {
            actions.print(out);
        }
        Output.Table referrals = new Output.Table("REFERRAL", "TARGET", "DECISION", "STATUS", "STEP", "REPORT", "FILES", "ATTEMPTS",
                "LAST HTTP", "NEXT ATTEMPT", "LAST ERROR");
        view.path("referrals").forEach(r -> referrals.row(r.path("itemId").asText(), r.path("target").asText(), r.path("decisionId").asText(),
                r.path("status").asText(), r.path("step").asText(null), r.path("reportId").asText(null),
                r.path("filesSent").asText() + "/" + r.path("files").asText(), r.path("totalAttempts").asText(),
                r.path("lastHttpStatus").asText(null), r.path("nextAttemptAt").asText(null), r.path("lastError").asText(null)));
        out.println("referrals (" + referrals.size() + "):");
        if (referrals.size() > 0) {
            referrals.print(out);
        }
    }
}
