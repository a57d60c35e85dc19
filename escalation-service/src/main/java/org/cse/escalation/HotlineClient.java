package org.cse.escalation;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Map;
import org.cse.events.Category;
import org.cse.events.Decision;
import org.cse.events.Referral;
import org.cse.events.ThirdPartyUrl;

/**
 * Delivers an INHOPE referral to the member hotline of the hosting country ({@code POST
 * {hotline}/referrals}, JSON, the referral id as {@code Idempotency-Key} and as the reference).
 * Companies have no public ICCAM API: each country's endpoint is configured; countries without a
 * hotline go to the configured default.
 */
public final class HotlineClient {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Map<String, URI> byCountry;
    private final URI fallback;
    private final String token;
    private final HttpClient http;
    private final Duration timeout;

    public HotlineClient(Map<String, URI> byCountry, URI fallback, String token, Duration timeout) {
        this.byCountry = Map.copyOf(byCountry);
        this.fallback = fallback;
        this.token = token;
        this.timeout = timeout;
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
    }

    public URI endpointFor(String country) {
        return byCountry.getOrDefault(country, fallback);
    }

    /** Returns the hotline's reference for the referral. */
    public String deliver(Decision decision, Referral referral) throws DeliveryException, InterruptedException {
        URI endpoint = endpointFor(referral.getHostingCountry());
        if (endpoint == null) {
            throw new DeliveryException(-1, "no hotline configured for " + referral.getHostingCountry()
                    + " and no INHOPE_DEFAULT_HOTLINE_URL", false);
        }
        HttpRequest request = HttpRequest.newBuilder(URI.create(endpoint.toString().replaceAll("/+$", "") + "/referrals"))
                .timeout(timeout)
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .header("Idempotency-Key", referral.getReferralId())
                .POST(HttpRequest.BodyPublishers.ofString(body(decision, referral)))
                .build();
        HttpResponse<String> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new DeliveryException(-1, "hotline " + referral.getHostingCountry() + " unreachable: " + e, true);
        }
        int status = response.statusCode();
        if (status == 200 || status == 201) {
            try {
                return JSON.readTree(response.body()).path("reference").asText(referral.getReferralId());
            } catch (IOException e) {
                return referral.getReferralId();
            }
        }
        throw new DeliveryException(-1, "hotline " + referral.getHostingCountry() + " answered HTTP " + status,
                status >= 500 || status == 429 || status == 408);
    }

    private static String body(Decision decision, Referral referral) {
        ObjectNode body = JSON.createObjectNode()
                .put("reference", referral.getReferralId())
                .put("siteType", "third-party host")
                .put("hostingCountry", referral.getHostingCountry());
        ArrayNode urls = body.putArray("urls");
        for (ThirdPartyUrl url : decision.getThirdPartyUrls()) {
            if (referral.getHostingCountry().equals(url.getHostingCountry())) {
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
                .put("reportedToLawEnforcement", decision.getReferrals().stream().anyMatch(r -> r.getTarget().name().equals("NCMEC")))
                .put("reportedToHostingProvider", false)
                .put("contentRemoved", false);
        return body.toString();
    }
}
