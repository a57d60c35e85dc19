package org.cse.classifier;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.cse.events.Category;

/**
 * The category table of POLICY.md: which categories NCMEC must receive, with which incident type and
 * annotations, and which allow the no-malice path.
 */
public final class CategoryRules {
    static final String CHILD_PORNOGRAPHY = "Child Pornography (possession, manufacture, and distribution)";
    static final String TRAFFICKING = "Child Sex Trafficking";
    static final String OBSCENE_TO_CHILD = "Unsolicited Obscene Material Sent to a Child";
    static final String ENTICEMENT = "Online Enticement of Children for Sexual Acts";

    /**
     * @param ncmecIncidentType null when NCMEC does not take this category
     * @param reportAnnotations NCMEC reportAnnotations flags
     * @param fileAnnotations NCMEC fileAnnotations flags
     * @param escalate reason to escalate to high priority at NCMEC, or null
     * @param noMaliceAllowed whether a reviewer's no-malice finding changes the outcome
     */
    public record Rule(String ncmecIncidentType, List<String> reportAnnotations, List<String> fileAnnotations,
                       String escalate, boolean noMaliceAllowed) {
        public boolean ncmecReportable() {
            return ncmecIncidentType != null;
        }
    }

    private static final Map<Category, Rule> RULES = new EnumMap<>(Category.class);

    static {
        RULES.put(Category.VISUAL_DEPICTION, new Rule(CHILD_PORNOGRAPHY, List.of(), List.of(), null, true));
        RULES.put(Category.GENERATED_DEPICTION, new Rule(CHILD_PORNOGRAPHY, List.of(),
                List.of("generativeAi", "animeDrawingVirtualHentai"), null, true));
        RULES.put(Category.CSAM_LINK, new Rule(CHILD_PORNOGRAPHY, List.of(), List.of(), null, true));
        RULES.put(Category.SEXUALIZED_COMMENTARY, new Rule(null, List.of(), List.of(), null, true));
        RULES.put(Category.FANTASY_OR_PROMOTION, new Rule(null, List.of(), List.of(), null, true));
        RULES.put(Category.SOLICITATION, new Rule(CHILD_PORNOGRAPHY, List.of("csamSolicitation"), List.of(), null, false));
        RULES.put(Category.TRAFFICKING, new Rule(TRAFFICKING, List.of(), List.of(), null, false));
        RULES.put(Category.EXPLICIT_MEDIA_TO_CHILD, new Rule(OBSCENE_TO_CHILD, List.of(), List.of(), null, false));
        RULES.put(Category.ENTICEMENT, new Rule(ENTICEMENT, List.of(), List.of(), null, false));
        RULES.put(Category.SEXTORTION, new Rule(ENTICEMENT, List.of("sextortion"), List.of(),
                "Sextortion of a child: blackmail for sexual media or activity", false));
        RULES.put(Category.VICTIM_IDENTIFICATION, new Rule(null, List.of(), List.of(), null, true));
        RULES.put(Category.ATTRACTION_ADVOCACY, new Rule(null, List.of(), List.of(), null, true));
    }

    private CategoryRules() {
    }

    public static Rule of(Category category) {
        Rule rule = RULES.get(category);
        if (rule == null) {
            throw new IllegalStateException("no policy rule for category " + category);
        }
        return rule;
    }
}
