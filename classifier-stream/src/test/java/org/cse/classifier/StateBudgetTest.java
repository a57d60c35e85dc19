package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.AccountStatus;
import org.cse.events.ContentHash;
import org.cse.events.ContentKind;
import org.cse.events.ContentRef;
import org.cse.classifier.state.Incident;
import org.cse.classifier.state.IncidentState;
import org.cse.classifier.state.Strike;
import org.junit.jupiter.api.Test;

class StateBudgetTest {
    private static final Instant T = Instant.parse("2026-11-25T10:00:00Z");

    @Test
    void aHistoryWithinBudgetIsLeftAsItIs() {
        AccountState state = state(List.of(incident("i1", IncidentState.DECIDED, 3)), 2);

        StateBudget.Fitted fitted = StateBudget.fit(state, "i1");

        assertThat(fitted.trimmed()).isZero();
        assertThat(fitted.state()).isSameAs(state);
    }

    @Test
    void decidedDetailGoesFirstThenDecidedIncidentsAndTheCurrentIncidentStays() {
        List<Incident> incidents = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            incidents.add(incident("decided-" + i, IncidentState.DECIDED, 40));
        }
        Incident current = incident("open-current", IncidentState.UNDER_REVIEW, 40);
        incidents.add(current);
        AccountState state = state(incidents, 3);
        // room for the current incident and five stripped decided ones, not for twenty
        int budget = StateBudget.size(state(List.of(current), 3)) + 5 * StateBudget.size(StateBudget.stripped(incidents.get(0), false));

        StateBudget.Fitted fitted = StateBudget.fit(state, "open-current", budget);

        assertThat(StateBudget.size(fitted.state())).isLessThanOrEqualTo(budget);
        assertThat(fitted.trimmed()).isPositive();
        assertThat(fitted.state().getIncidents()).extracting(Incident::getIncidentId).contains("open-current");
        Incident kept = fitted.state().getIncidents().stream().filter(i -> i.getIncidentId().equals("open-current")).findFirst()
                .orElseThrow();
        assertThat(kept).as("the current incident keeps all of its detail").isEqualTo(current);
        assertThat(fitted.state().getIncidents()).hasSizeBetween(2, 6);
        assertThat(fitted.state().getTrimmedIncidents()).isPositive();
        assertThat(fitted.state().getStatus()).isEqualTo(AccountStatus.SUSPENDED);
        assertThat(fitted.state().getStrikes()).hasSize(3);
    }

    @Test
    void oldStrikesAreCountedNotForgotten() {
        List<Incident> incidents = List.of(incident("current", IncidentState.UNDER_REVIEW, 50));
        AccountState state = state(incidents, 40);

        StateBudget.Fitted fitted = StateBudget.fit(state, "current", StateBudget.size(state) - 100);

        assertThat(fitted.state().getStrikes().size() + fitted.state().getEarlierStrikes()).isEqualTo(40);
        assertThat(Policy.hasStrike(fitted.state())).isTrue();
    }

    private static AccountState state(List<Incident> incidents, int strikes) {
        List<Strike> list = new ArrayList<>();
        for (int i = 0; i < strikes; i++) {
            list.add(new Strike("dec-" + i, null, T, List.of("dec-" + i + "/NCMEC"), List.of()));
        }
        return AccountState.newBuilder().setAccountId("acct").setStatus(AccountStatus.SUSPENDED).setStrikes(list)
                .setIncidents(incidents).build();
    }

    private static Incident incident(String id, IncidentState state, int items) {
        List<ContentRef> content = new ArrayList<>();
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < items; i++) {
            List<ContentHash> hashes = new ArrayList<>();
            for (int h = 0; h < 4; h++) {
                hashes.add(new ContentHash("SHA256", "%064x".formatted(i * 10L + h)));
            }
            content.add(ContentRef.newBuilder().setContentId(id + "-c" + i).setKind(ContentKind.MEDIA)
                    .setUrl("https://platform.invalid/" + "u".repeat(500)).setHashes(hashes).build());
            keys.add("content:" + id + "-c" + i);
        }
        List<String> reports = new ArrayList<>();
        for (int r = 0; r < 100; r++) {
            reports.add(id + "-report-" + r);
        }
        return Incident.newBuilder().setIncidentId(id).setContentKeys(keys).setReportIds(reports).setState(state)
                .setDecisionId(state == IncidentState.DECIDED ? "dec-" + id : null).setFirstReportedAt(T).setLastReportedAt(T)
                .setContent(content).build();
    }
}
