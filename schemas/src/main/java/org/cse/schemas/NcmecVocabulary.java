package org.cse.schemas;

import java.util.Set;

/**
 * The words NCMEC's CyberTipline accepts where the pipeline writes words of its own choosing (see
 * shared/reference/ncmec-inhope.md). The policy file names incident types and annotations as data;
 * they are checked against these lists when it loads, and a decision naming anything else is refused
 * before a report is built.
 */
public final class NcmecVocabulary {
    public static final Set<String> INCIDENT_TYPES = Set.of(
            "Child Pornography (possession, manufacture, and distribution)", "Child Sex Trafficking", "Child Sex Tourism",
            "Child Sexual Molestation", "Misleading Domain Name", "Misleading Words or Digital Images on the Internet",
            "Online Enticement of Children for Sexual Acts", "Unsolicited Obscene Material Sent to a Child");
    /** {@code reportAnnotations} flags of an {@code incidentSummary}. */
    public static final Set<String> REPORT_ANNOTATIONS = Set.of("sextortion", "csamSolicitation", "minorToMinorInteraction", "spam",
            "sadisticOnlineExploitation");
    /** {@code fileAnnotations} flags of a {@code fileDetails}. */
    public static final Set<String> FILE_ANNOTATIONS = Set.of("animeDrawingVirtualHentai", "potentialMeme", "viral",
            "possibleSelfProduction", "physicalHarm", "violenceGore", "bestiality", "liveStreaming", "infant", "generativeAi");

    private NcmecVocabulary() {
    }
}
