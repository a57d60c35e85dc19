package org.cse.classifier;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.cse.events.Category;
import org.cse.events.GeneratedMedium;
import org.cse.events.ReporterKind;
import org.cse.runtime.YamlException;
import org.cse.runtime.YamlTree;
import org.cse.schemas.Limits;
import org.cse.schemas.NcmecVocabulary;

/**
 * A validated policy version, loaded from a YAML file (see {@code policy/cse-policy.yaml}). Loading
 * refuses an unknown category or key, a missing field and a contradictory rule, naming the line.
 *
 * @param version recorded on every decision
 * @param incidentWindow reports about the same content within this window are one incident
 * @param highPriorityCategories unconfirmed claims of these get a HIGH priority review
 * @param highPriorityScore a classifier score above this gets a HIGH priority review
 * @param imminentDanger the reason an NCMEC report is escalated when a reviewer finds a child in imminent danger
 * @param verifiedLists the lists a verified match is made against: the reporter kind each takes and the
 *        categories a match on it can confirm (the first one when the reporter claims none)
 * @param categories the rule of every category
 */
public record PolicyDefinition(String version, Duration incidentWindow, Set<Category> highPriorityCategories,
                               double highPriorityScore, String imminentDanger, Map<String, VerifiedList> verifiedLists,
                               Map<Category, CategoryRule> categories) {

    /** What the policy says about one category. */
    public record CategoryRule(Category category, boolean depictsOrLinks, boolean noMaliceAllowed, Ncmec ncmec,
                               Set<String> inhopeUnlessHostedIn) {
        public boolean referredToNcmec() {
            return ncmec != null;
        }

        public boolean referredToInhope() {
            return inhopeUnlessHostedIn != null;
        }
    }

    /**
     * A list of known material that a verified match is made against.
     *
     * @param kind HASH_MATCH or URL_MATCH
     * @param confirms the categories a match on this list confirms; a match claimed as any other
     *        category is a review request, never a confirmation
     */
    public record VerifiedList(ReporterKind kind, List<Category> confirms) {}

    /**
     * How NCMEC receives a category.
     *
     * @param fileAnnotationsByMedium file annotations for the medium a confirmation states; nothing for NOT_STATED
     */
    public record Ncmec(String incidentType, List<String> reportAnnotations, List<String> fileAnnotations,
                        Map<GeneratedMedium, List<String>> fileAnnotationsByMedium, String escalateToHighPriority) {
        /** The file annotations of a confirmation stating this medium. */
        public List<String> fileAnnotations(GeneratedMedium medium) {
            List<String> all = new ArrayList<>(fileAnnotations);
            all.addAll(fileAnnotationsByMedium.getOrDefault(medium, List.of()));
            return all;
        }
    }

    public CategoryRule rule(Category category) {
        return categories.get(category);
    }

    /** The policy shipped with the classifier. */
    public static PolicyDefinition bundled() {
        try (InputStream in = PolicyDefinition.class.getResourceAsStream("/policy/cse-policy.yaml")) {
            return parse(in, "policy/cse-policy.yaml");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static PolicyDefinition load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new YamlException(file + ": cannot read the policy file: " + e.getMessage());
        }
    }

    public static PolicyDefinition parse(InputStream in, String source) {
        YamlTree.Node root = YamlTree.parse(in, source);
        Map<String, YamlTree.Node> top = root.map("the policy");
        allowOnly(top, root, "the policy", "version", "incidentWindow", "review", "verifiedLists", "categories");

        String version = required(top, root, "version").text("version");
        YamlTree.Node windowNode = required(top, root, "incidentWindow");
        Duration window;
        try {
            window = Duration.parse(windowNode.text("incidentWindow"));
        } catch (DateTimeParseException e) {
            throw windowNode.error("incidentWindow must be an ISO-8601 duration like P30D");
        }
        if (window.isNegative() || window.isZero()) {
            throw windowNode.error("incidentWindow must be positive");
        }

        YamlTree.Node reviewNode = required(top, root, "review");
        Map<String, YamlTree.Node> review = reviewNode.map("review");
        allowOnly(review, reviewNode, "review", "highPriorityCategories", "highPriorityScore", "imminentDanger");
        Set<Category> highPriority = EnumSet.noneOf(Category.class);
        for (YamlTree.Node node : required(review, reviewNode, "highPriorityCategories").list("review.highPriorityCategories")) {
            highPriority.add(category(node));
        }
        YamlTree.Node scoreNode = required(review, reviewNode, "highPriorityScore");
        double score;
        try {
            score = Double.parseDouble(scoreNode.text("review.highPriorityScore"));
        } catch (NumberFormatException e) {
            throw scoreNode.error("review.highPriorityScore must be a number");
        }
        if (score < 0 || score > 1) {
            throw scoreNode.error("review.highPriorityScore must be between 0 and 1");
        }
        String imminentDanger = required(review, reviewNode, "imminentDanger").text("review.imminentDanger");

        YamlTree.Node listsNode = required(top, root, "verifiedLists");
        Map<String, VerifiedList> lists = new LinkedHashMap<>();
        for (Map.Entry<String, YamlTree.Node> entry : listsNode.map("verifiedLists").entrySet()) {
            String name = entry.getKey();
            String where = "verifiedLists." + name;
            if (!Limits.isId(name)) {
                throw listsNode.keyError(name, where + ": a list name must be " + Limits.ID_RULE);
            }
            YamlTree.Node node = entry.getValue();
            Map<String, YamlTree.Node> fields = node.map(where);
            allowOnly(fields, node, where, "kind", "confirms");
            YamlTree.Node kindNode = required(fields, node, "kind");
            ReporterKind kind;
            try {
                kind = ReporterKind.valueOf(kindNode.text(where + ".kind"));
            } catch (IllegalArgumentException e) {
                throw kindNode.error(where + ".kind: unknown reporter kind " + kindNode.value());
            }
            if (kind != ReporterKind.HASH_MATCH && kind != ReporterKind.URL_MATCH) {
                throw kindNode.error(where + ".kind: only HASH_MATCH and URL_MATCH confirm without review, not " + kind);
            }
            List<Category> confirms = new ArrayList<>();
            for (YamlTree.Node category : required(fields, node, "confirms").list(where + ".confirms")) {
                confirms.add(category(category));
            }
            if (confirms.isEmpty()) {
                throw node.error(where + ".confirms: a verified list must confirm at least one category");
            }
            lists.put(name, new VerifiedList(kind, List.copyOf(confirms)));
        }

        YamlTree.Node categoriesNode = required(top, root, "categories");
        Map<Category, CategoryRule> rules = new EnumMap<>(Category.class);
        for (Map.Entry<String, YamlTree.Node> entry : categoriesNode.map("categories").entrySet()) {
            Category category;
            try {
                category = Category.valueOf(entry.getKey());
            } catch (IllegalArgumentException e) {
                throw categoriesNode.keyError(entry.getKey(), "unknown category " + entry.getKey());
            }
            rules.put(category, categoryRule(category, entry.getValue()));
        }
        for (Category category : Category.values()) {
            if (!rules.containsKey(category)) {
                throw categoriesNode.error("categories: no rule for " + category + " (every category needs one)");
            }
        }
        for (Map.Entry<String, VerifiedList> list : lists.entrySet()) {
            for (Category category : list.getValue().confirms()) {
                if (!rules.get(category).depictsOrLinks()) {
                    throw listsNode.keyError(list.getKey(), "verifiedLists." + list.getKey() + ": a list of known material can only "
                            + "confirm depicting or linking categories, not " + category);
                }
            }
        }
        return new PolicyDefinition(version, window, Set.copyOf(highPriority), score, imminentDanger, Map.copyOf(lists), Map.copyOf(rules));
    }

    private static CategoryRule categoryRule(Category category, YamlTree.Node node) {
        String where = "categories." + category;
        Map<String, YamlTree.Node> fields = node.map(where);
        allowOnly(fields, node, where, "depictsOrLinks", "noMaliceAllowed", "ncmec", "inhopeUnlessHostedIn");
        boolean depicts = bool(required(fields, node, "depictsOrLinks"), where + ".depictsOrLinks");
        boolean noMalice = bool(required(fields, node, "noMaliceAllowed"), where + ".noMaliceAllowed");
        Ncmec ncmec = null;
        YamlTree.Node ncmecNode = fields.get("ncmec");
        if (ncmecNode != null) {
            Map<String, YamlTree.Node> n = ncmecNode.map(where + ".ncmec");
            allowOnly(n, ncmecNode, where + ".ncmec", "incidentType", "reportAnnotations", "fileAnnotations", "fileAnnotationsByMedium",
                    "escalateToHighPriority");
            YamlTree.Node typeNode = required(n, ncmecNode, "incidentType");
            String type = typeNode.text(where + ".ncmec.incidentType");
            if (!NcmecVocabulary.INCIDENT_TYPES.contains(type)) {
                throw typeNode.error(where + ".ncmec.incidentType '" + type + "' is not one of NCMEC's incident types");
            }
            Map<GeneratedMedium, List<String>> byMedium = new EnumMap<>(GeneratedMedium.class);
            YamlTree.Node mediaNode = n.get("fileAnnotationsByMedium");
            if (mediaNode != null) {
                for (Map.Entry<String, YamlTree.Node> medium : mediaNode.map(where + ".ncmec.fileAnnotationsByMedium").entrySet()) {
                    GeneratedMedium key;
                    try {
                        key = GeneratedMedium.valueOf(medium.getKey());
                    } catch (IllegalArgumentException e) {
                        throw mediaNode.keyError(medium.getKey(), where + ".ncmec.fileAnnotationsByMedium: unknown medium " + medium.getKey());
                    }
                    if (key == GeneratedMedium.NOT_STATED) {
                        throw mediaNode.keyError(medium.getKey(), where + ".ncmec.fileAnnotationsByMedium: a medium not stated gets no annotation");
                    }
                    byMedium.put(key, flags(medium.getValue(), NcmecVocabulary.FILE_ANNOTATIONS,
                            where + ".ncmec.fileAnnotationsByMedium." + key));
                }
            }
            ncmec = new Ncmec(type, flags(n.get("reportAnnotations"), NcmecVocabulary.REPORT_ANNOTATIONS, where + ".ncmec.reportAnnotations"),
                    flags(n.get("fileAnnotations"), NcmecVocabulary.FILE_ANNOTATIONS, where + ".ncmec.fileAnnotations"), Map.copyOf(byMedium),
                    n.get("escalateToHighPriority") == null ? null : n.get("escalateToHighPriority").text(where + ".ncmec.escalateToHighPriority"));
        }
        Set<String> inhope = null;
        YamlTree.Node inhopeNode = fields.get("inhopeUnlessHostedIn");
        if (inhopeNode != null) {
            inhope = Set.copyOf(inhopeNode.list(where + ".inhopeUnlessHostedIn").stream().map(c -> {
                String code = c.text(where + ".inhopeUnlessHostedIn");
                if (!code.matches("[A-Z]{2}")) {
                    throw c.error(where + ".inhopeUnlessHostedIn: '" + code + "' is not an ISO country code");
                }
                return code;
            }).toList());
        }
        // Contradictions: rules the law or the policy text cannot both hold.
        if (depicts && ncmec == null) {
            throw node.error(where + ": depicting or linking content must be referred to NCMEC (ncmec is missing)");
        }
        if (inhope != null && !depicts) {
            throw inhopeNode.error(where + ": INHOPE referrals are for depicting or linking content only");
        }
        if (ncmec != null && (ncmec.fileAnnotations().contains("potentialMeme")
                || ncmec.fileAnnotationsByMedium().values().stream().anyMatch(flags -> flags.contains("potentialMeme")))) {
            throw ncmecNode.error(where + ".ncmec.fileAnnotations: potentialMeme is set by the no-malice path, not per category");
        }
        return new CategoryRule(category, depicts, noMalice, ncmec, inhope);
    }

    private static List<String> flags(YamlTree.Node node, Set<String> allowed, String where) {
        List<String> flags = new ArrayList<>();
        if (node == null) {
            return flags;
        }
        for (YamlTree.Node flag : node.list(where)) {
            String text = flag.text(where);
            if (!allowed.contains(text)) {
                throw flag.error(where + ": unknown flag " + text);
            }
            flags.add(text);
        }
        return List.copyOf(flags);
    }

    private static Category category(YamlTree.Node node) {
        String text = node.text("a category");
        try {
            return Category.valueOf(text);
        } catch (IllegalArgumentException e) {
            throw node.error("unknown category " + text);
        }
    }

    private static boolean bool(YamlTree.Node node, String where) {
        String text = node.text(where);
        if (!text.equals("true") && !text.equals("false")) {
            throw node.error(where + " must be true or false");
        }
        return Boolean.parseBoolean(text);
    }

    private static YamlTree.Node required(Map<String, YamlTree.Node> map, YamlTree.Node parent, String key) {
        YamlTree.Node node = map.get(key);
        if (node == null || node.value() == null) {
            throw parent.error("missing required field " + key);
        }
        return node;
    }

    private static void allowOnly(Map<String, YamlTree.Node> map, YamlTree.Node parent, String where, String... keys) {
        List<String> allowed = List.of(keys);
        for (Map.Entry<String, YamlTree.Node> entry : map.entrySet()) {
            if (!allowed.contains(entry.getKey())) {
                throw parent.keyError(entry.getKey(), "unknown field " + entry.getKey() + " in " + where + "; expected one of " + allowed);
            }
        }
    }
}
