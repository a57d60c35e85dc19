package org.cse.classifier;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.cse.events.AccountEvent;
import org.cse.events.AccountEventType;
import org.cse.classifier.state.AccountState;
import org.cse.classifier.state.AccountStatus;
import org.cse.events.Action;
import org.cse.events.ActionType;
import org.cse.events.Appeal;
import org.cse.events.Category;
import org.cse.events.ConfirmationSource;
import org.cse.events.ContentRef;
import org.cse.events.GeneratedMedium;
import org.cse.events.Decision;
import org.cse.events.Identifier;
import org.cse.classifier.state.Incident;
import org.cse.classifier.state.IncidentState;
import org.cse.events.Intent;
import org.cse.events.Priority;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.Report;
import org.cse.events.Retraction;
import org.cse.classifier.state.ReportSeen;
import org.cse.events.ReporterKind;
import org.cse.events.ReviewReason;
import org.cse.events.ReviewRequest;
import org.cse.classifier.state.Strike;
import org.cse.events.ThirdPartyUrl;
import org.cse.events.Verdict;
import org.cse.schemas.DeadLetterReason;
import org.cse.schemas.Limits;
import org.cse.schemas.ReportFingerprint;
import org.cse.schemas.RuleId;

/**
 * The decision table of POLICY.md as pure functions: given an account's history and one input (a
 * report, a verdict, an appeal, an account event), the new history and the records to emit, or a
 * rejection with its reason. The rules' data come from a {@link PolicyDefinition} (the policy file);
 * no Kafka here, so every row is testable directly.
 */
public final class Policy {
    static final int MAX_INCIDENTS = 200;
    static final int MAX_REPORTS_PER_INCIDENT = 1000;
    static final int MAX_CONTENT_PER_INCIDENT = Limits.MAX_CONTENT_ITEMS;
    static final int MAX_URLS_PER_INCIDENT = Limits.MAX_THIRD_PARTY_URLS;
    /** Content keys an incident matches later reports on; the first ones are kept. */
    static final int MAX_CONTENT_KEYS_PER_INCIDENT = 200;
    static final int MAX_RECENT_DECISIONS = 50;
    /** Report ids remembered per account to tell a retry (same content) from a conflict (other content). */
    static final int MAX_RECENT_REPORTS = 500;
    /** Strikes listed; older ones are counted in earlierStrikes. */
    static final int MAX_STRIKES = 50;
    static final int MAX_ACCOUNT_IDENTIFIERS = 100;

    /**
     * The history after the input and what to emit, in order; or why the input is refused (history
     * unchanged). {@code trimmed}: items the size budget removed from the history; {@code duplicate}:
     * the input repeated one already taken (a retry), and changed nothing; {@code incidentId}: the
     * incident the input went to, if any.
     */
    public record Evaluation(AccountState state, List<SpecificRecord> outputs, Rejection rejection, int trimmed,
                             boolean duplicate, String incidentId) {
    }

    /** Why an input is refused: it goes to the dead-letter topic with these. */
    public record Rejection(DeadLetterReason reason, String detail) {}

    private final PolicyDefinition definition;
    /**
     * Whether it is given a whole history, which it keeps within the size budget and whose incidents it
     * bounds, or the parts SplitHistory loads, which applies both to the account's entries.
     */
    private final boolean wholeHistory;

    public Policy(PolicyDefinition definition) {
        this(definition, true);
    }

    private Policy(PolicyDefinition definition, boolean wholeHistory) {
        this.definition = definition;
        this.wholeHistory = wholeHistory;
    }

    /**
     * The same policy for {@link SplitHistory}: it is given only the parts of a history an input needs
     * (the account's summary, the incidents that share its content, the one report id it repeats), so
     * the whole-history budget and the incident bound do not apply to it: SplitHistory applies them to
     * the account's entries.
     */
    Policy forSplitHistory() {
        return new Policy(definition, false);
    }

    public String version() {
        return definition.version();
    }

    public PolicyDefinition definition() {
        return definition;
    }

    public static AccountState newAccount(String accountId) {
        return AccountState.newBuilder().setAccountId(accountId).build();
    }

    // ---------------------------------------------------------------- reports

    public Evaluation onReport(AccountState previous, Report report, Instant now) {
        String fingerprint = ReportFingerprint.of(report);
        if (previous != null) {
            for (ReportSeen seen : previous.getRecentReports()) {
                if (seen.getReportId().equals(report.getReportId())) {
                    if (seen.getFingerprint().equals(fingerprint)) {
                        // a publisher's retry (after a lost answer or a 503): already taken
                        return new Evaluation(previous, List.of(), null, 0, true, null);
                    }
                    return reject(DeadLetterReason.REPORT_ID_CONFLICT, "report id " + report.getReportId()
                            + " was taken before for account " + report.getAccountId() + " with different content");
                }
            }
        }
        AccountState state = copy(previous, report.getAccountId());
        List<String> keys = contentKeys(report);
        List<Incident> incidents = new ArrayList<>(state.getIncidents());
        int index = findIncident(incidents, keys, report.getReportedAt());
        boolean opened = index < 0;
        Incident incident;
        if (opened) {
            incident = Incident.newBuilder()
                    .setIncidentId(Ids.incident(report.getAccountId(), keys.get(0), report.getReportId()))
                    .setContentKeys(bounded(keys, MAX_CONTENT_KEYS_PER_INCIDENT, true))
                    .setReportIds(List.of(report.getReportId()))
                    .setReportCount(1)
                    .setState(IncidentState.UNDER_REVIEW)
                    .setFirstReportedAt(report.getReportedAt())
                    .setLastReportedAt(report.getReportedAt())
                    .setGeneratedMedium(report.getGeneratedMedium())
                    .setClaimedCategory(report.getClaimedCategory())
                    .setContent(bounded(report.getContent(), MAX_CONTENT_PER_INCIDENT))
                    .setThirdPartyUrls(bounded(report.getThirdPartyUrls(), MAX_URLS_PER_INCIDENT))
                    .build();
            incidents.add(incident);
            index = incidents.size() - 1;
        } else {
            incident = attach(incidents.get(index), report, keys);
            incidents.set(index, incident);
        }
        // the report's entry names its incident: a decided incident no longer lists the reports that attach to it
        state.setRecentReports(bounded(append(state.getRecentReports(),
                new ReportSeen(report.getReportId(), fingerprint, incident.getIncidentId())), MAX_RECENT_REPORTS));
        state.setIncidents(incidents);

        List<SpecificRecord> outputs = new ArrayList<>();
        ReporterKind kind = report.getReporter().getKind();
        PolicyDefinition.VerifiedList list = report.getReporter().getMatchListVerified()
                ? definition.verifiedLists().get(report.getReporter().getMatchList()) : null;
        Category claimed = report.getClaimedCategory();
        // a match confirms only what its list is for; a claim beyond it goes to a reviewer
        boolean confirmed = list != null && list.kind() == kind && (claimed == null || list.confirms().contains(claimed));
        if (incident.getState() == IncidentState.UNDER_REVIEW) {
            if (confirmed) {
                Category category = claimed != null ? claimed : list.confirms().get(0);
                ConfirmationSource source = kind == ReporterKind.URL_MATCH ? ConfirmationSource.VERIFIED_URL_MATCH
                        : ConfirmationSource.VERIFIED_HASH_MATCH;
                // Only a reviewer can find that there was no malicious intent: a match counts as malicious.
                GeneratedMedium medium = report.getGeneratedMedium() != GeneratedMedium.NOT_STATED ? report.getGeneratedMedium()
                        : incident.getGeneratedMedium();
                Decided decided = decide(state, index, category, true, source, false, medium, report.getReceivedAt(), now);
                outputs.add(decided.decision());
                state = decided.state();
            } else if (opened) {
                outputs.add(reviewRequest(incident, report, now));
            }
        }
        if (wholeHistory) {
            state.setIncidents(boundIncidents(state.getIncidents()));
        }
        return evaluation(state, outputs, incident.getIncidentId());
    }

    // ---------------------------------------------------------------- verdicts

    public Evaluation onVerdict(AccountState previous, Verdict verdict, Instant now) {
        if (previous == null) {
            return reject(DeadLetterReason.UNKNOWN_REPORT, "verdict " + verdict.getVerdictId() + " is for report " + verdict.getReportId()
                    + " but account " + verdict.getAccountId() + " has no reports");
        }
        AccountState state = copy(previous, verdict.getAccountId());
        List<Incident> incidents = new ArrayList<>(state.getIncidents());
        String reportIncident = null;
        for (ReportSeen seen : state.getRecentReports()) {
            if (seen.getReportId().equals(verdict.getReportId())) {
                reportIncident = seen.getIncidentId();
            }
        }
        int index = -1;
        for (int i = 0; i < incidents.size(); i++) {
            Incident candidate = incidents.get(i);
            if (candidate.getIncidentId().equals(verdict.getIncidentId()) || candidate.getIncidentId().equals(reportIncident)
                    || candidate.getReportIds().contains(verdict.getReportId())) {
                index = i;
                break;
            }
        }
        if (index < 0) {
            return reject(DeadLetterReason.UNKNOWN_REPORT, "verdict " + verdict.getVerdictId() + " is for report " + verdict.getReportId()
                    + ", unknown for account " + verdict.getAccountId());
        }
        Incident incident = incidents.get(index);
        Category category = verdict.getCategory() != null ? verdict.getCategory() : incident.getClaimedCategory();
        if (!verdict.getViolation()) {
            if (verdict.getExemption() == null) {
                return reject(DeadLetterReason.INVALID_VERDICT, "verdict " + verdict.getVerdictId() + " finds no violation but gives no exemption");
            }
            if (category != null && definition.rule(category).depictsOrLinks()) {
                return reject(DeadLetterReason.INVALID_EXEMPTION, "verdict " + verdict.getVerdictId() + ": exemption " + verdict.getExemption()
                        + " cannot cover " + category + " content");
            }
        } else if (verdict.getCategory() == null) {
            return reject(DeadLetterReason.INVALID_VERDICT, "verdict " + verdict.getVerdictId() + " finds a violation without a category");
        }
        if (incident.getState() == IncidentState.DECIDED) {
            return reject(DeadLetterReason.INCIDENT_ALREADY_DECIDED, "verdict " + verdict.getVerdictId() + ": incident " + incident.getIncidentId()
                    + " was decided by " + incident.getDecisionId());
        }
        state.setIncidents(incidents);
        if (verdict.getViolation()) {
            boolean malicious = verdict.getIntent() != Intent.NO_MALICIOUS_INTENT;
            // the confirmation states the medium; a reviewer who does not falls back on what a report stated
            GeneratedMedium medium = verdict.getGeneratedMedium() != GeneratedMedium.NOT_STATED ? verdict.getGeneratedMedium()
                    : incident.getGeneratedMedium();
            Decided decided = decide(state, index, verdict.getCategory(), malicious, ConfirmationSource.REVIEWER_VERDICT,
                    Boolean.TRUE.equals(verdict.getImminentDanger()), medium, verdict.getDecidedAt(), now);
            return evaluation(decided.state(), List.of(decided.decision()), incident.getIncidentId());
        }
        String decisionId = Ids.decision(incident.getIncidentId());
        Decision decision = decisionBuilder(decisionId, incident, state.getAccountId(), RuleId.NOT_A_VIOLATION.id(), now)
                .setReason("Reviewer found no violation: " + verdict.getExemption())
                .setCategory(category)
                .setConfirmation(ConfirmationSource.REVIEWER_VERDICT)
                .setMalicious(false)
                .build();
        incidents.set(index, decided(incident, decisionId));
        state.setIncidents(incidents);
        state.setRecentDecisionIds(boundedIds(append(state.getRecentDecisionIds(), decisionId)));
        return evaluation(state, List.of(decision), incident.getIncidentId());
    }

    // ---------------------------------------------------------------- appeals

    public Evaluation onAppeal(AccountState previous, Appeal appeal, Instant now) {
        AccountState state = previous == null ? null : copy(previous, appeal.getAccountId());
        boolean known = state != null && (state.getRecentDecisionIds().contains(appeal.getDecisionId())
                || state.getStrikes().stream().anyMatch(strike -> strike.getDecisionId().equals(appeal.getDecisionId())));
        if (!known) {
            return reject(DeadLetterReason.UNKNOWN_DECISION, "appeal " + appeal.getAppealId() + " names decision " + appeal.getDecisionId()
                    + ", unknown for account " + appeal.getAccountId());
        }
        String incidentId = state.getIncidents().stream().filter(i -> appeal.getDecisionId().equals(i.getDecisionId()))
                .map(Incident::getIncidentId).findFirst().orElse(appeal.getDecisionId());
        switch (appeal.getStatus()) {
            case FILED -> {
                return evaluation(state, List.of(ReviewRequest.newBuilder()
                        .setRequestId(Ids.appealReview(appeal.getAppealId()))
                        .setIncidentId(incidentId)
                        .setAccountId(appeal.getAccountId())
                        .setReportIds(List.of())
                        .setPriority(Priority.NORMAL)
                        .setReason(ReviewReason.APPEAL)
                        .setDecisionId(appeal.getDecisionId())
                        .setAppealId(appeal.getAppealId())
                        .setPolicyVersion(definition.version())
                        .setRequestedAt(now)
                        .build()));
            }
            case UPHELD -> {
                return evaluation(state, List.of(Decision.newBuilder()
                        .setDecisionId(Ids.appealDecision(appeal.getAppealId()))
                        .setIncidentId(incidentId).setAccountId(appeal.getAccountId())
                        .setPolicyVersion(definition.version()).setRuleId(RuleId.APPEAL_UPHELD.id())
                        .setReason("Appeal " + appeal.getAppealId() + " upheld decision " + appeal.getDecisionId() + ": nothing changes")
                        .setReportedAt(appeal.getAt()).setDecidedAt(now)
                        .build()));
            }
            default -> {
                Strike strike = state.getStrikes().stream().filter(s -> s.getDecisionId().equals(appeal.getDecisionId()))
                        .findFirst().orElse(null);
                if (strike == null) {
                    return reject(DeadLetterReason.NOTHING_TO_OVERTURN, "appeal " + appeal.getAppealId() + ": decision " + appeal.getDecisionId()
                            + " left no strike on account " + appeal.getAccountId() + " (already overturned, or no violation)");
                }
                String decisionId = Ids.appealDecision(appeal.getAppealId());
                List<Strike> strikes = new ArrayList<>(state.getStrikes());
                strikes.remove(strike);
                state.setStrikes(strikes);
                state.setStatus(AccountStatus.ACTIVE);
                state.setRecentDecisionIds(boundedIds(append(state.getRecentDecisionIds(), decisionId)));
                List<Action> actions = List.of(action(decisionId, ActionType.REINSTATE_ACCOUNT, List.of(), List.of(), true),
                        action(decisionId, ActionType.UNBAN_IDENTIFIERS, List.of(), state.getIdentifiers(), false));
                return evaluation(state, List.of(Decision.newBuilder()
                        .setDecisionId(decisionId)
                        .setIncidentId(incidentId).setAccountId(appeal.getAccountId())
                        .setPolicyVersion(definition.version()).setRuleId(RuleId.APPEAL_OVERTURNED.id())
                        .setReason("Appeal " + appeal.getAppealId() + " overturned decision " + appeal.getDecisionId()
                                + ": reinstate, unban, strike removed; unfinished referrals retracted")
                        .setCategory(strike.getCategory())
                        .setMalicious(false)
                        .setReportedAt(appeal.getAt()).setDecidedAt(now)
                        .setActions(actions)
                        .setRetractReferralIds(strike.getReferralIds())
                        .setRetractions(strike.getRetractions())
                        .build()));
            }
        }
    }

    // ---------------------------------------------------------------- account events

    public Evaluation onAccountEvent(AccountState previous, AccountEvent event, Instant now, Predicate<Identifier> banned) {
        AccountState state = copy(previous, event.getAccountId());
        if (event.getType() == AccountEventType.PRIOR_STRIKE) {
            addStrike(state, new Strike(event.getEventId(), event.getCategory(), event.getAt(), List.of(), List.of()));
            return evaluation(state, List.of());
        }
        Set<Identifier> identifiers = new LinkedHashSet<>(state.getIdentifiers());
        identifiers.addAll(event.getIdentifiers());
        state.setIdentifiers(bounded(List.copyOf(identifiers), MAX_ACCOUNT_IDENTIFIERS));
        List<Identifier> evading = event.getIdentifiers().stream().filter(banned).toList();
        if (evading.isEmpty() || state.getStatus() == AccountStatus.SUSPENDED) {
            return evaluation(state, List.of());
        }
        String decisionId = Ids.banEvasionDecision(event.getEventId());
        state.setStatus(AccountStatus.SUSPENDED);
        state.setRecentDecisionIds(boundedIds(append(state.getRecentDecisionIds(), decisionId)));
        return evaluation(state, List.of(Decision.newBuilder()
                .setDecisionId(decisionId)
                .setIncidentId(decisionId)
                .setAccountId(event.getAccountId())
                .setPolicyVersion(definition.version()).setRuleId(RuleId.BAN_EVASION.id())
                .setReason("BAN_EVASION: new account shares " + evading.size() + " identifier(s) ("
                        + evading.stream().map(i -> i.getType().name()).distinct().toList() + ") with a banned account")
                .setReportedAt(event.getAt()).setDecidedAt(now)
                .setActions(List.of(action(decisionId, ActionType.SUSPEND_PERMANENTLY, List.of(), List.of(), false),
                        action(decisionId, ActionType.BAN_IDENTIFIERS, List.of(), List.copyOf(identifiers), false)))
                .build()));
    }

    // ---------------------------------------------------------------- the table

    /**
     * A confirmed violation on the incident at {@code index}: the rows of "Outcomes of a confirmed
     * violation", in order of precedence: already suspended; earlier confirmed violation; malicious or
     * not eligible for the no-malice path; no malice, first violation.
     */
    /** A decision and the history that records it. */
    private record Decided(AccountState state, Decision decision) {}

    /** Decides the incident at {@code index} of {@code state}: returns the decision and a new history; {@code state} is left as given. */
    private Decided decide(AccountState given, int index, Category category, boolean malicious, ConfirmationSource source,
                           boolean imminentDanger, GeneratedMedium medium, Instant knowledgeAt, Instant now) {
        AccountState state = copy(given, given.getAccountId());
        Incident incident = state.getIncidents().get(index);
        PolicyDefinition.CategoryRule rule = definition.rule(category);
        String decisionId = Ids.decision(incident.getIncidentId());
        List<String> contentIds = incident.getContent().stream().map(ContentRef::getContentId).distinct().toList();
        List<Action> actions = new ArrayList<>();
        String ruleId;
        String reason;
        boolean potentialMeme = false;
        AccountStatus status;
        String confirmedBy = source == ConfirmationSource.REVIEWER_VERDICT ? "reviewer verdict" : "verified list match";
        if (state.getStatus() == AccountStatus.SUSPENDED) {
            ruleId = RuleId.ALREADY_SUSPENDED.id();
            reason = category + " confirmed by " + confirmedBy + " on an account already permanently suspended: "
                    + "remove the new content and refer it";
            addIf(actions, !contentIds.isEmpty(), action(decisionId, ActionType.REMOVE_CONTENT, contentIds, List.of(), false));
            status = AccountStatus.SUSPENDED;
        } else if (hasStrike(state)) {
            ruleId = RuleId.REPEAT_VIOLATION.id();
            reason = category + " confirmed by " + confirmedBy + " after " + (state.getStrikes().size() + state.getEarlierStrikes())
                    + " earlier confirmed violation(s): permanent suspension";
            permanent(actions, decisionId, contentIds, state.getIdentifiers());
            status = AccountStatus.SUSPENDED;
        } else if (malicious || !rule.noMaliceAllowed()) {
            ruleId = malicious ? RuleId.CONFIRMED_MALICIOUS.id() : RuleId.NO_MALICE_NOT_ALLOWED.id();
            reason = category + " confirmed by " + confirmedBy + (malicious ? ", malicious intent (none ruled out by a reviewer)"
                    : ", no malice found but " + category + " is not eligible for the no-malice path") + ": permanent suspension";
            permanent(actions, decisionId, contentIds, state.getIdentifiers());
            status = AccountStatus.SUSPENDED;
        } else {
            ruleId = RuleId.NO_MALICE_FIRST.id();
            reason = category + " confirmed by reviewer verdict with no malicious intent, first violation: "
                    + "require removal and lock until removed";
            addIf(actions, !contentIds.isEmpty(), action(decisionId, ActionType.REQUIRE_REMOVAL, contentIds, List.of(), true));
            actions.add(action(decisionId, ActionType.TEMPORARY_LOCK, List.of(), List.of(), true));
            addIf(actions, rule.depictsOrLinks() && !contentIds.isEmpty(),
                    action(decisionId, ActionType.REMOVE_CONTENT, contentIds, List.of(), false));
            potentialMeme = true;
            status = AccountStatus.LOCKED;
        }
        List<Referral> referrals = referrals(decisionId, rule, incident.getThirdPartyUrls(), potentialMeme, imminentDanger, medium);
        Decision decision = decisionBuilder(decisionId, incident, state.getAccountId(), ruleId, now)
                .setReason(reason)
                .setCategory(category)
                .setConfirmation(source)
                .setMalicious(malicious || !rule.noMaliceAllowed())
                .setKnowledgeAt(knowledgeAt)
                .setActions(actions)
                .setReferrals(referrals)
                .setImminentDanger(imminentDanger)
                .setGeneratedMedium(category == Category.GENERATED_DEPICTION ? medium : GeneratedMedium.NOT_STATED)
                .build();

        List<Incident> incidents = new ArrayList<>(state.getIncidents());
        incidents.set(index, decided(incident, decisionId));
        state.setIncidents(incidents);
        state.setStatus(status);
        addStrike(state, new Strike(decisionId, category, now, referrals.stream().map(Referral::getReferralId).toList(),
                referrals.stream().map(r -> new Retraction(r.getReferralId(), r.getTarget(), r.getHostingCountry())).toList()));
        state.setRecentDecisionIds(boundedIds(append(state.getRecentDecisionIds(), decisionId)));
        return new Decided(state, decision);
    }

    private static void permanent(List<Action> actions, String decisionId, List<String> contentIds, List<Identifier> identifiers) {
        actions.add(action(decisionId, ActionType.SUSPEND_PERMANENTLY, List.of(), List.of(), false));
        addIf(actions, !contentIds.isEmpty(), action(decisionId, ActionType.REMOVE_CONTENT, contentIds, List.of(), false));
        actions.add(action(decisionId, ActionType.BAN_IDENTIFIERS, List.of(), identifiers, false));
    }

    /**
     * The referrals a confirmed violation requires. NCMEC's report is escalated to high priority when
     * the category always is (SEXTORTION, TRAFFICKING) and whenever a reviewer found a child in
     * imminent danger; its file annotations follow the medium the confirmation states.
     */
    private List<Referral> referrals(String decisionId, PolicyDefinition.CategoryRule rule, List<ThirdPartyUrl> urls,
                                     boolean potentialMeme, boolean imminentDanger, GeneratedMedium medium) {
        List<Referral> referrals = new ArrayList<>();
        if (rule.referredToNcmec()) {
            List<String> fileAnnotations = rule.ncmec().fileAnnotations(medium);
            if (potentialMeme) {
                fileAnnotations.add("potentialMeme");
            }
            referrals.add(Referral.newBuilder()
                    .setReferralId(Ids.ncmecReferral(decisionId))
                    .setTarget(ReferralTarget.NCMEC)
                    .setIncidentType(rule.ncmec().incidentType())
                    .setReportAnnotations(rule.ncmec().reportAnnotations())
                    .setFileAnnotations(fileAnnotations)
                    .setPotentialMeme(potentialMeme)
                    .setEscalateToHighPriority(escalation(rule.ncmec().escalateToHighPriority(), imminentDanger))
                    .build());
        }
        if (rule.referredToInhope()) {
            urls.stream().map(ThirdPartyUrl::getHostingCountry)
                    .filter(country -> country != null && !rule.inhopeUnlessHostedIn().contains(country))
                    .distinct()
                    .forEach(country -> referrals.add(Referral.newBuilder()
                            .setReferralId(Ids.inhopeReferral(decisionId, country))
                            .setTarget(ReferralTarget.INHOPE)
                            .setHostingCountry(country)
                            .build()));
        }
        return referrals;
    }

    private String escalation(String categoryReason, boolean imminentDanger) {
        if (!imminentDanger) {
            return categoryReason;
        }
        return categoryReason == null ? definition.imminentDanger() : categoryReason + "; " + definition.imminentDanger();
    }

    private Decision.Builder decisionBuilder(String decisionId, Incident incident, String accountId, String ruleId, Instant now) {
        return Decision.newBuilder()
                .setDecisionId(decisionId)
                .setIncidentId(incident.getIncidentId())
                .setAccountId(accountId)
                .setPolicyVersion(definition.version())
                .setRuleId(ruleId)
                .setReportIds(incident.getReportIds())
                .setReportedAt(incident.getFirstReportedAt())
                .setDecidedAt(now)
                .setContent(incident.getContent())
                .setThirdPartyUrls(incident.getThirdPartyUrls());
    }

    private ReviewRequest reviewRequest(Incident incident, Report report, Instant now) {
        Category claimed = report.getClaimedCategory();
        Double score = report.getReporter().getClassifierScore();
        boolean high = (claimed != null && definition.highPriorityCategories().contains(claimed))
                || (score != null && score > definition.highPriorityScore());
        return ReviewRequest.newBuilder()
                .setRequestId(Ids.reviewRequest(incident.getIncidentId()))
                .setIncidentId(incident.getIncidentId())
                .setAccountId(report.getAccountId())
                .setReportIds(incident.getReportIds())
                .setPriority(high ? Priority.HIGH : Priority.NORMAL)
                .setReason(ReviewReason.NEW_REPORT)
                .setClaimedCategory(claimed)
                .setPolicyVersion(definition.version())
                .setRequestedAt(now)
                .build();
    }

    private static Action action(String decisionId, ActionType type, List<String> contentIds, List<Identifier> identifiers,
                                 boolean notifyUser) {
        return Action.newBuilder()
                .setActionId(Ids.action(decisionId, type))
                .setType(type)
                .setContentIds(contentIds)
                .setIdentifierHashes(identifiers)
                .setNotifyUser(notifyUser)
                .build();
    }

    // ---------------------------------------------------------------- incidents

    /**
     * What identifies the reported content for incident grouping: content ids and third-party URLs.
     * Not file hashes: the same known file posted again is a new act of distribution, and the law
     * wants it referred, so it must open a new incident rather than attach to the old one.
     */
    static List<String> contentKeys(Report report) {
        Set<String> keys = new LinkedHashSet<>();
        report.getContent().forEach(content -> keys.add("content:" + content.getContentId()));
        report.getThirdPartyUrls().forEach(url -> keys.add("url:" + url.getUrl()));
        return List.copyOf(keys);
    }

    /** The newest incident sharing content with the report and still inside the incident window, or -1. */
    private int findIncident(List<Incident> incidents, List<String> keys, Instant reportedAt) {
        Duration window = definition.incidentWindow();
        for (int i = incidents.size() - 1; i >= 0; i--) {
            Incident incident = incidents.get(i);
            boolean withinWindow = !reportedAt.isAfter(incident.getLastReportedAt().plus(window))
                    && !reportedAt.isBefore(incident.getFirstReportedAt().minus(window));
            if (withinWindow && keys.stream().anyMatch(incident.getContentKeys()::contains)) {
                return i;
            }
        }
        return -1;
    }

    private static Incident attach(Incident incident, Report report, List<String> keys) {
        Set<String> mergedKeys = new LinkedHashSet<>(incident.getContentKeys());
        mergedKeys.addAll(keys);
        Incident attached = copyOf(incident);
        attached.setContentKeys(mergedKeys.size() == incident.getContentKeys().size() ? incident.getContentKeys()
                : bounded(List.copyOf(mergedKeys), MAX_CONTENT_KEYS_PER_INCIDENT, true));
        attached.setLastReportedAt(report.getReportedAt().isAfter(incident.getLastReportedAt())
                ? report.getReportedAt() : incident.getLastReportedAt());
        if (incident.getClaimedCategory() == null) {
            attached.setClaimedCategory(report.getClaimedCategory());
        }
        if (incident.getGeneratedMedium() == GeneratedMedium.NOT_STATED) {
            attached.setGeneratedMedium(report.getGeneratedMedium());
        }
        Map<String, ContentRef> content = new LinkedHashMap<>();
        incident.getContent().forEach(c -> content.put(c.getContentId(), c));
        report.getContent().forEach(c -> content.putIfAbsent(c.getContentId(), c));
        attached.setContent(bounded(List.copyOf(content.values()), MAX_CONTENT_PER_INCIDENT));
        Map<String, ThirdPartyUrl> urls = new LinkedHashMap<>();
        incident.getThirdPartyUrls().forEach(u -> urls.put(u.getUrl(), u));
        report.getThirdPartyUrls().forEach(u -> urls.putIfAbsent(u.getUrl(), u));
        attached.setThirdPartyUrls(bounded(List.copyOf(urls.values()), MAX_URLS_PER_INCIDENT));
        if (!incident.getReportIds().contains(report.getReportId())) {
            attached.setReportCount(Math.max(incident.getReportCount(), incident.getReportIds().size()) + 1);
            if (incident.getState() == IncidentState.DECIDED) {
                // counted; the id stays with the report's own entry (recentReports), not in the decided incident,
                // which a viral post would otherwise rewrite with its 1,000 latest report ids for every report
                attached.setAttachedAfterDecision(incident.getAttachedAfterDecision() + 1);
            } else {
                attached.setReportIds(bounded(append(incident.getReportIds(), report.getReportId()), MAX_REPORTS_PER_INCIDENT));
            }
        }
        return attached;
    }

    /** The incident, decided. */
    private static Incident decided(Incident incident, String decisionId) {
        Incident decided = copyOf(incident);
        decided.setState(IncidentState.DECIDED);
        decided.setDecisionId(decisionId);
        return decided;
    }

    /**
     * A new incident sharing the given one's parts (Avro's builder copy deep-copies every list of it, a
     * cost per report): the policy sets new parts on the copy, never changes one in place.
     */
    static Incident copyOf(Incident incident) {
        return shallow(incident, new Incident());
    }

    /** A new history sharing the given one's parts (see {@link #copyOf(Incident)}). */
    static AccountState copyOf(AccountState state) {
        return shallow(state, new AccountState());
    }

    private static <T extends org.apache.avro.specific.SpecificRecordBase> T shallow(T record, T copy) {
        for (int field = 0; field < record.getSchema().getFields().size(); field++) {
            copy.put(field, record.get(field));
        }
        return copy;
    }

    // ---------------------------------------------------------------- helpers

    /**
     * A new top-level state sharing the previous one's parts. Cheap where a deep copy cost a quarter of
     * the classifier's time (the histories of busy accounts are tens of KB): the policy never changes
     * a part in place, it sets a new list or a rebuilt incident on the copy, so {@code previous} stays as
     * it was given (PolicyPurityTest).
     */
    private static AccountState copy(AccountState previous, String accountId) {
        return previous == null ? newAccount(accountId) : copyOf(previous);
    }

    private Evaluation evaluation(AccountState state, List<SpecificRecord> outputs) {
        return evaluation(state, outputs, null);
    }

    /** Within the size budget; {@code currentIncidentId}: the incident the input is about, never trimmed away. */
    private Evaluation evaluation(AccountState state, List<SpecificRecord> outputs, String currentIncidentId) {
        if (!wholeHistory) {
            return new Evaluation(state, outputs, null, 0, false, currentIncidentId);
        }
        StateBudget.Fitted fitted = StateBudget.fit(state, currentIncidentId);
        return new Evaluation(fitted.state(), outputs, null, fitted.trimmed(), false, currentIncidentId);
    }

    private static Evaluation reject(DeadLetterReason reason, String detail) {
        return new Evaluation(null, List.of(), new Rejection(reason, detail), 0, false, null);
    }

    /** Any confirmed violation on record, listed or counted: the repeat-violation rule's condition. */
    static boolean hasStrike(AccountState state) {
        return !state.getStrikes().isEmpty() || state.getEarlierStrikes() > 0;
    }

    private static void addStrike(AccountState state, Strike strike) {
        List<Strike> strikes = append(state.getStrikes(), strike);
        if (strikes.size() > MAX_STRIKES) {
            state.setEarlierStrikes(state.getEarlierStrikes() + strikes.size() - MAX_STRIKES);
            strikes = bounded(strikes, MAX_STRIKES);
        }
        state.setStrikes(strikes);
    }

    private static void addIf(List<Action> actions, boolean condition, Action action) {
        if (condition) {
            actions.add(action);
        }
    }

    /** Keeps open incidents; drops the oldest decided ones past the bound. */
    private static List<Incident> boundIncidents(List<Incident> incidents) {
        if (incidents.size() <= MAX_INCIDENTS) {
            return incidents;
        }
        List<Incident> kept = new ArrayList<>(incidents);
        for (int i = 0; i < kept.size() && kept.size() > MAX_INCIDENTS; ) {
            if (kept.get(i).getState() == IncidentState.DECIDED) {
                kept.remove(i);
            } else {
                i++;
            }
        }
        return kept;
    }

    private static <T> List<T> append(List<T> list, T item) {
        List<T> copy = new ArrayList<>(list);
        copy.add(item);
        return copy;
    }

    /** The newest {@code max} items. */
    private static <T> List<T> bounded(List<T> list, int max) {
        return bounded(list, max, false);
    }

    /** At most {@code max} items: the first ones if {@code keepFirst}, else the newest. */
    private static <T> List<T> bounded(List<T> list, int max, boolean keepFirst) {
        if (list.size() <= max) {
            return list;
        }
        return List.copyOf(keepFirst ? list.subList(0, max) : list.subList(list.size() - max, list.size()));
    }

    private static List<String> boundedIds(List<String> ids) {
        return bounded(ids, MAX_RECENT_DECISIONS);
    }
}
