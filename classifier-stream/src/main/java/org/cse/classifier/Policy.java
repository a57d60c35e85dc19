package org.cse.classifier;

import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.avro.specific.SpecificRecord;
import org.cse.events.AccountEvent;
import org.cse.events.AccountEventType;
import org.cse.events.AccountState;
import org.cse.events.AccountStatus;
import org.cse.events.Action;
import org.cse.events.ActionType;
import org.cse.events.Category;
import org.cse.events.ConfirmationSource;
import org.cse.events.ContentRef;
import org.cse.events.Decision;
import org.cse.events.Identifier;
import org.cse.events.Incident;
import org.cse.events.IncidentState;
import org.cse.events.Priority;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.Report;
import org.cse.events.ReporterKind;
import org.cse.events.ReviewReason;
import org.cse.events.ReviewRequest;
import org.cse.events.Strike;
import org.cse.events.ThirdPartyUrl;

/**
 * The enforcement policy as pure functions over records: given an account's history and one input,
 * the new history and the records to emit. No Kafka here; the topology only moves records.
 *
 * <p>This version applies the confirmed-match rows of POLICY.md (a verified hash or URL match confirms,
 * with malicious intent) and routes every unconfirmed report to review, one request per incident.
 */
public final class Policy {
    static final String VERSION = "2026-11-25.1";
    static final int MAX_INCIDENTS = 200;
    static final int MAX_REPORTS_PER_INCIDENT = 1000;
    static final int MAX_RECENT_DECISIONS = 20;

    /** The history after the input and what to emit, in order. */
    public record Evaluation(AccountState state, List<SpecificRecord> outputs) {}

    private final double highPriorityScore;

    public Policy(double highPriorityScore) {
        this.highPriorityScore = highPriorityScore;
    }

    public String version() {
        return VERSION;
    }

    public static AccountState newAccount(String accountId) {
        return AccountState.newBuilder().setAccountId(accountId).build();
    }

    public Evaluation onReport(AccountState previous, Report report, Instant now) {
        AccountState state = previous == null ? newAccount(report.getAccountId()) : AccountState.newBuilder(previous).build();
        List<String> keys = contentKeys(report);
        List<Incident> incidents = new ArrayList<>(state.getIncidents());
        Incident incident = incidents.stream().filter(i -> overlaps(i, keys)).findFirst().orElse(null);
        boolean confirmed = isConfirmedMatch(report);
        List<SpecificRecord> outputs = new ArrayList<>();

        if (incident == null) {
            incident = Incident.newBuilder()
                    .setIncidentId(Ids.incident(report.getAccountId(), keys.get(0)))
                    .setContentKeys(keys)
                    .setReportIds(List.of(report.getReportId()))
                    .setState(IncidentState.UNDER_REVIEW)
                    .setFirstReportedAt(report.getReportedAt())
                    .setLastReportedAt(report.getReportedAt())
                    .build();
            incidents.add(incident);
            if (!confirmed) {
                outputs.add(reviewRequest(incident, report, now));
            }
        } else {
            incident = attach(incident, report, keys);
            incidents.set(indexOf(incidents, incident.getIncidentId()), incident);
        }

        if (confirmed && incident.getState() == IncidentState.UNDER_REVIEW) {
            Decision decision = decideConfirmedMatch(state, incident, report, now);
            outputs.add(decision);
            incident = Incident.newBuilder(incident).setState(IncidentState.DECIDED).setDecisionId(decision.getDecisionId()).build();
            incidents.set(indexOf(incidents, incident.getIncidentId()), incident);
            state.setStatus(AccountStatus.SUSPENDED);
            List<Strike> strikes = new ArrayList<>(state.getStrikes());
            strikes.add(new Strike(decision.getDecisionId(), decision.getCategory(), now));
            state.setStrikes(strikes);
            state.setRecentDecisionIds(bounded(append(state.getRecentDecisionIds(), decision.getDecisionId()), MAX_RECENT_DECISIONS));
        }
        state.setIncidents(boundIncidents(incidents));
        return new Evaluation(state, outputs);
    }

    public Evaluation onAccountEvent(AccountState previous, AccountEvent event, Instant now) {
        AccountState state = previous == null ? newAccount(event.getAccountId()) : AccountState.newBuilder(previous).build();
        if (event.getType() == AccountEventType.CREATED) {
            Set<Identifier> identifiers = new LinkedHashSet<>(state.getIdentifiers());
            identifiers.addAll(event.getIdentifiers());
            state.setIdentifiers(List.copyOf(identifiers));
        } else if (event.getType() == AccountEventType.PRIOR_STRIKE) {
            List<Strike> strikes = new ArrayList<>(state.getStrikes());
            strikes.add(new Strike(event.getEventId(), event.getCategory(), event.getAt()));
            state.setStrikes(strikes);
        }
        return new Evaluation(state, List.of());
    }

    static boolean isConfirmedMatch(Report report) {
        ReporterKind kind = report.getReporter().getKind();
        return (kind == ReporterKind.HASH_MATCH || kind == ReporterKind.URL_MATCH) && report.getReporter().getMatchListVerified();
    }

    private Decision decideConfirmedMatch(AccountState state, Incident incident, Report report, Instant now) {
        ReporterKind kind = report.getReporter().getKind();
        Category category = report.getClaimedCategory() != null ? report.getClaimedCategory()
                : kind == ReporterKind.URL_MATCH ? Category.CSAM_LINK : Category.VISUAL_DEPICTION;
        String decisionId = Ids.decision(incident.getIncidentId());
        List<String> contentIds = report.getContent().stream().map(ContentRef::getContentId).toList();
        List<Action> actions = new ArrayList<>();
        String ruleId;
        String reason;
        if (state.getStatus() == AccountStatus.SUSPENDED) {
            ruleId = "already-suspended";
            reason = "Verified " + listName(kind) + " match (" + category + ") on an account already permanently suspended: "
                    + "remove the new content and refer it";
        } else {
            ruleId = "confirmed-malicious";
            reason = "Verified " + listName(kind) + " match (" + category + "): malicious intent presumed; permanent suspension";
            actions.add(action(decisionId, ActionType.SUSPEND_PERMANENTLY, List.of(), List.of()));
        }
        if (!contentIds.isEmpty()) {
            actions.add(action(decisionId, ActionType.REMOVE_CONTENT, contentIds, List.of()));
        }
        if (state.getStatus() != AccountStatus.SUSPENDED) {
            actions.add(action(decisionId, ActionType.BAN_IDENTIFIERS, List.of(), state.getIdentifiers()));
        }
        return Decision.newBuilder()
                .setDecisionId(decisionId)
                .setIncidentId(incident.getIncidentId())
                .setAccountId(report.getAccountId())
                .setPolicyVersion(VERSION)
                .setRuleId(ruleId)
                .setReason(reason)
                .setCategory(category)
                .setConfirmation(kind == ReporterKind.URL_MATCH ? ConfirmationSource.VERIFIED_URL_MATCH
                        : ConfirmationSource.VERIFIED_HASH_MATCH)
                .setMalicious(true)
                .setReportIds(incident.getReportIds())
                .setReportedAt(incident.getFirstReportedAt())
                .setKnowledgeAt(report.getReceivedAt())
                .setDecidedAt(now)
                .setActions(actions)
                .setReferrals(referrals(decisionId, category, report, false))
                .setContent(report.getContent())
                .setThirdPartyUrls(report.getThirdPartyUrls())
                .build();
    }

    static List<Referral> referrals(String decisionId, Category category, Report report, boolean potentialMeme) {
        CategoryRules.Rule rule = CategoryRules.of(category);
        List<Referral> referrals = new ArrayList<>();
        if (rule.ncmecReportable()) {
            List<String> fileAnnotations = new ArrayList<>(rule.fileAnnotations());
            if (potentialMeme) {
                fileAnnotations.add("potentialMeme");
            }
            referrals.add(Referral.newBuilder()
                    .setReferralId(Ids.ncmecReferral(decisionId))
                    .setTarget(ReferralTarget.NCMEC)
                    .setIncidentType(rule.ncmecIncidentType())
                    .setReportAnnotations(rule.reportAnnotations())
                    .setFileAnnotations(fileAnnotations)
                    .setPotentialMeme(potentialMeme)
                    .setEscalateToHighPriority(rule.escalate())
                    .build());
        }
        if (category == Category.CSAM_LINK) {
            report.getThirdPartyUrls().stream()
                    .map(ThirdPartyUrl::getHostingCountry)
                    .filter(country -> country != null && !country.equals("US"))
                    .distinct()
                    .forEach(country -> referrals.add(Referral.newBuilder()
                            .setReferralId(Ids.inhopeReferral(decisionId, country))
                            .setTarget(ReferralTarget.INHOPE)
                            .setHostingCountry(country)
                            .build()));
        }
        return referrals;
    }

    private ReviewRequest reviewRequest(Incident incident, Report report, Instant now) {
        Category claimed = report.getClaimedCategory();
        Double score = report.getReporter().getClassifierScore();
        boolean high = claimed == Category.SEXTORTION || claimed == Category.ENTICEMENT || claimed == Category.TRAFFICKING
                || (score != null && score > highPriorityScore);
        return ReviewRequest.newBuilder()
                .setRequestId(Ids.reviewRequest(incident.getIncidentId()))
                .setIncidentId(incident.getIncidentId())
                .setAccountId(report.getAccountId())
                .setReportIds(incident.getReportIds())
                .setPriority(high ? Priority.HIGH : Priority.NORMAL)
                .setReason(ReviewReason.NEW_REPORT)
                .setClaimedCategory(claimed)
                .setPolicyVersion(VERSION)
                .setRequestedAt(now)
                .build();
    }

    private static Action action(String decisionId, ActionType type, List<String> contentIds, List<Identifier> identifiers) {
        return Action.newBuilder()
                .setActionId(Ids.action(decisionId, type))
                .setType(type)
                .setContentIds(contentIds)
                .setIdentifierHashes(identifiers)
                .setNotifyUser(false)
                .build();
    }

    /**
     * What identifies the reported content for incident grouping: content ids and third-party URLs.
     * Not file hashes: the same known file posted again is a new act of distribution, and the law
     * wants it referred, so it must open a new incident rather than attach to the old one.
     */
    static List<String> contentKeys(Report report) {
        Set<String> keys = new LinkedHashSet<>();
        for (ContentRef content : report.getContent()) {
            keys.add("content:" + content.getContentId());
        }
        for (ThirdPartyUrl url : report.getThirdPartyUrls()) {
            keys.add("url:" + url.getUrl());
        }
        return List.copyOf(keys);
    }

    private static boolean overlaps(Incident incident, List<String> keys) {
        return keys.stream().anyMatch(incident.getContentKeys()::contains);
    }

    private static Incident attach(Incident incident, Report report, List<String> keys) {
        Set<String> mergedKeys = new LinkedHashSet<>(incident.getContentKeys());
        mergedKeys.addAll(keys);
        Incident.Builder builder = Incident.newBuilder(incident)
                .setContentKeys(List.copyOf(mergedKeys))
                .setLastReportedAt(report.getReportedAt().isAfter(incident.getLastReportedAt())
                        ? report.getReportedAt() : incident.getLastReportedAt());
        if (!incident.getReportIds().contains(report.getReportId())) {
            builder.setReportIds(bounded(append(incident.getReportIds(), report.getReportId()), MAX_REPORTS_PER_INCIDENT));
            if (incident.getState() == IncidentState.DECIDED) {
                builder.setAttachedAfterDecision(incident.getAttachedAfterDecision() + 1);
            }
        }
        return builder.build();
    }

    private static int indexOf(List<Incident> incidents, String incidentId) {
        for (int i = 0; i < incidents.size(); i++) {
            if (incidents.get(i).getIncidentId().equals(incidentId)) {
                return i;
            }
        }
        throw new IllegalStateException("incident " + incidentId + " vanished");
    }

    private static List<Incident> boundIncidents(List<Incident> incidents) {
        return incidents.size() <= MAX_INCIDENTS ? incidents : incidents.subList(incidents.size() - MAX_INCIDENTS, incidents.size());
    }

    private static List<String> append(List<String> list, String item) {
        List<String> copy = new ArrayList<>(list);
        copy.add(item);
        return copy;
    }

    private static List<String> bounded(List<String> list, int max) {
        return list.size() <= max ? list : List.copyOf(list.subList(list.size() - max, list.size()));
    }

    private static String listName(ReporterKind kind) {
        return kind == ReporterKind.URL_MATCH ? "URL-list" : "hash-list";
    }
}
