package org.cse.classifier;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import org.cse.events.Category;
import org.cse.events.GeneratedMedium;
import org.cse.events.ReporterKind;
import org.junit.jupiter.api.Test;
import org.cse.runtime.YamlException;

class PolicyDefinitionTest {

    @Test
    void bundledPolicyCoversEveryCategoryAsPolicyMdSays() {
        PolicyDefinition policy = PolicyDefinition.bundled();

        assertThat(policy.version()).isNotBlank();
        assertThat(policy.incidentWindow()).isEqualTo(Duration.ofDays(30));
        assertThat(policy.categories()).containsOnlyKeys(Category.values());
        assertThat(policy.verifiedLists()).containsEntry("ncmec-verified-hashes", new PolicyDefinition.VerifiedList(
                ReporterKind.HASH_MATCH, List.of(Category.VISUAL_DEPICTION, Category.GENERATED_DEPICTION)))
                .containsEntry("iwf-url-list", new PolicyDefinition.VerifiedList(ReporterKind.URL_MATCH, List.of(Category.CSAM_LINK)));
        assertThat(policy.rule(Category.SEXTORTION).ncmec().reportAnnotations()).containsExactly("sextortion");
        assertThat(policy.rule(Category.SEXTORTION).ncmec().escalateToHighPriority()).isNotBlank();
        assertThat(policy.rule(Category.TRAFFICKING).ncmec().escalateToHighPriority()).isNotBlank();
        assertThat(policy.rule(Category.GENERATED_DEPICTION).ncmec().fileAnnotations(GeneratedMedium.AI_OR_COMPUTER_GENERATED))
                .containsExactly("generativeAi");
        assertThat(policy.rule(Category.GENERATED_DEPICTION).ncmec().fileAnnotations(GeneratedMedium.DRAWN_OR_ANIMATED))
                .containsExactly("animeDrawingVirtualHentai");
        assertThat(policy.rule(Category.GENERATED_DEPICTION).ncmec().fileAnnotations(GeneratedMedium.NOT_STATED)).isEmpty();
        assertThat(policy.imminentDanger()).isNotBlank();
        assertThat(policy.rule(Category.CSAM_LINK).inhopeUnlessHostedIn()).containsExactly("US");
        assertThat(policy.highPriorityScore()).isEqualTo(0.9);
    }

    @Test
    void aVerifiedListThatWouldConfirmAReviewOnlyCategoryIsRefusedWithItsLine() {
        String yaml = bundledText().replace("    confirms: [CSAM_LINK]", "    confirms: [CSAM_LINK, SEXTORTION]");
        int line = lineOf(yaml, "  iwf-url-list:");

        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(YamlException.class)
                .hasMessageContaining("line " + line + ":").hasMessageContaining("not SEXTORTION");
    }

    @Test
    void anUnknownCategoryIsRefusedWithItsLine() {
        String yaml = bundledText().replace("  ATTRACTION_ADVOCACY:", "  ATTRACTION_ADVOCATES:");
        int line = lineOf(yaml, "  ATTRACTION_ADVOCATES:");

        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(YamlException.class)
                .hasMessageContaining("line " + line + ":").hasMessageContaining("unknown category ATTRACTION_ADVOCATES");
    }

    @Test
    void aMissingFieldIsRefusedWithTheLineOfItsParent() {
        String yaml = bundledText().replace("  FANTASY_OR_PROMOTION:\n    depictsOrLinks: false\n", "  FANTASY_OR_PROMOTION:\n");
        int line = lineOf(yaml, "    noMaliceAllowed: true", lineOf(yaml, "  FANTASY_OR_PROMOTION:"));

        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(YamlException.class)
                .hasMessageContaining("line " + line + ":").hasMessageContaining("missing required field depictsOrLinks");
    }

    @Test
    void depictingContentWithoutAnNcmecReferralIsAContradiction() {
        String yaml = bundledText().replace("""
                  VISUAL_DEPICTION:
                    depictsOrLinks: true
                    noMaliceAllowed: true
                    ncmec:
                      incidentType: "Child Pornography (possession, manufacture, and distribution)"
                """, """
                  VISUAL_DEPICTION:
                    depictsOrLinks: true
                    noMaliceAllowed: true
                """);

        assertThatThrownBy(() -> parse(yaml)).isInstanceOf(YamlException.class)
                .hasMessageContaining("VISUAL_DEPICTION").hasMessageContaining("must be referred to NCMEC");
    }

    @Test
    void anUnknownIncidentTypeOrKeyOrAMissingCategoryIsRefused() {
        assertThatThrownBy(() -> parse(bundledText().replace("\"Child Sex Trafficking\"", "\"Trafficking\"")))
                .hasMessageContaining("line " + lineOf(bundledText(), "\"Child Sex Trafficking\"") + ":")
                .hasMessageContaining("not one of NCMEC's incident types");
        assertThatThrownBy(() -> parse(bundledText().replace("incidentWindow: P30D", "incidentWindow: P30D\nshadowMode: true")))
                .hasMessageContaining("unknown field shadowMode");
        String withoutCategory = bundledText().substring(0, bundledText().indexOf("  ATTRACTION_ADVOCACY:"));
        assertThatThrownBy(() -> parse(withoutCategory)).hasMessageContaining("no rule for ATTRACTION_ADVOCACY");
        assertThatThrownBy(() -> parse(bundledText().replace("highPriorityScore: 0.9", "highPriorityScore: 9")))
                .hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> parse("version: [")).isInstanceOf(YamlException.class).hasMessageContaining("not valid YAML");
    }

    @Test
    void anNcmecAnnotationOutsideTheKnownListIsRefusedWithItsLine() {
        String byMedium = bundledText().replace("DRAWN_OR_ANIMATED: [animeDrawingVirtualHentai]", "DRAWN_OR_ANIMATED: [anime]");
        assertThatThrownBy(() -> parse(byMedium)).isInstanceOf(YamlException.class)
                .hasMessageContaining("line " + lineOf(byMedium, "DRAWN_OR_ANIMATED: [anime]") + ":")
                .hasMessageContaining("anime");

        String report = bundledText().replace("reportAnnotations: [sextortion]", "reportAnnotations: [blackmail]");
        assertThatThrownBy(() -> parse(report)).isInstanceOf(YamlException.class)
                .hasMessageContaining("line " + lineOf(report, "reportAnnotations: [blackmail]") + ":")
                .hasMessageContaining("blackmail");

        String file = bundledText().replace("""
                      incidentType: "Unsolicited Obscene Material Sent to a Child"
                """, """
                      incidentType: "Unsolicited Obscene Material Sent to a Child"
                      fileAnnotations: [infant, deepfake]
                """);
        assertThatThrownBy(() -> parse(file)).isInstanceOf(YamlException.class)
                .hasMessageContaining("line " + lineOf(file, "fileAnnotations: [infant, deepfake]") + ":")
                .hasMessageContaining("deepfake");
    }

    @Test
    void aMediumMustBeKnownAndStatedAndTheImminentDangerReasonIsRequired() {
        String unknown = bundledText().replace("        DRAWN_OR_ANIMATED:", "        CARTOON:");
        assertThatThrownBy(() -> parse(unknown)).isInstanceOf(YamlException.class)
                .hasMessageContaining("line " + lineOf(unknown, "        CARTOON:") + ":").hasMessageContaining("unknown medium CARTOON");
        String notStated = bundledText().replace("        DRAWN_OR_ANIMATED:", "        NOT_STATED:");
        assertThatThrownBy(() -> parse(notStated)).hasMessageContaining("a medium not stated gets no annotation");
        String noReason = bundledText().replaceAll("(?m)^  imminentDanger: .*\\n", "");
        assertThat(noReason).doesNotContain("imminentDanger: \"");
        assertThatThrownBy(() -> parse(noReason)).isInstanceOf(YamlException.class)
                .hasMessageContaining("missing required field imminentDanger");
    }

    @Test
    void anExemptionCannotBeDeclaredForLinksNotReferredAnywhere() {
        String yaml = bundledText().replace("  SEXUALIZED_COMMENTARY:\n    depictsOrLinks: false\n    noMaliceAllowed: true\n",
                "  SEXUALIZED_COMMENTARY:\n    depictsOrLinks: false\n    noMaliceAllowed: true\n    inhopeUnlessHostedIn: [US]\n");

        assertThatThrownBy(() -> parse(yaml)).hasMessageContaining("INHOPE referrals are for depicting or linking content only");
    }

    static String bundledText() {
        try (InputStream in = PolicyDefinition.class.getResourceAsStream("/policy/cse-policy.yaml")) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    static PolicyDefinition parse(String yaml) {
        return PolicyDefinition.parse(new ByteArrayInputStream(yaml.getBytes(StandardCharsets.UTF_8)), "test-policy.yaml");
    }

    private static int lineOf(String text, String needle) {
        return lineOf(text, needle, 0);
    }

    private static int lineOf(String text, String needle, int afterLine) {
        String[] lines = text.split("\n", -1);
        for (int i = afterLine; i < lines.length; i++) {
            if (lines[i].contains(needle)) {
                return i + 1;
            }
        }
        throw new AssertionError("no line with " + needle);
    }
}
