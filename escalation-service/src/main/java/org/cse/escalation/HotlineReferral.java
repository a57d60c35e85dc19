package org.cse.escalation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Referral;
import org.cse.events.ReferralTarget;
import org.cse.events.ThirdPartyUrl;

/**
 * The referral an INHOPE member hotline receives ({@code POST {hotline}/referrals}, JSON): a reference
 * (the referral id, also the Idempotency-Key), the site type, each reported URL hosted in the
 * hotline's country with what is known of its hosting, an assessment and the actions taken.
 * Companies have no public ICCAM API: each country's endpoint is configured.
 */
final class HotlineReferral {
    private static final ObjectMapper JSON = new ObjectMapper();

    private HotlineReferral() {
    }

    static String body(Decision decision, Referral referral) {
        ObjectNode body = JSON.createObjectNode()
                .put("reference", referral.getReferralId())
                .put("siteType", "third-party host")
                .put("hostingCountry", referral.getHostingCountry());
        ArrayNode urls = body.putArray("urls");
        for (ThirdPartyUrl url : decision.getThirdPartyUrls()) {
            if (referral.getHostingCountry() != null && referral.getHostingCountry().equals(url.getHostingCountry())) {
                urls.addObject()
                        .put("url", url.getUrl())
                        .put("hostingCountry", url.getHostingCountry())
                        .put("hostingIp", url.getHostingIp())
                        .put("hostingIsp", url.getHostingIsp())
                        .put("hostingAsn", url.getHostingAsn())
                        .put("cdn", url.getCdn());
            }
        }
        body.putObject("assessment")
                .put("classification", "baseline")
                .put("virtual", decision.getCategory() == Category.GENERATED_DEPICTION);
        body.putObject("actionsTaken")
                .put("reportedToLawEnforcement", decision.getReferrals().stream().anyMatch(r -> r.getTarget() == ReferralTarget.NCMEC))
                .put("reportedToHostingProvider", false)
                .put("contentRemoved", false);
        return body.toString();
    }
}
