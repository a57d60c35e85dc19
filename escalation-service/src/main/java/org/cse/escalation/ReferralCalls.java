package org.cse.escalation;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.cse.events.CallOutcome;
import org.cse.events.CallOutcomeKind;
import org.cse.events.DeliveryResult;
import org.cse.events.NcmecFile;
import org.cse.events.PreservationHold;
import org.cse.events.ReferralCommand;
import org.cse.runtime.SafeXml;
import org.cse.runtime.delivery.CommandExecutor;
import org.cse.runtime.delivery.Outbound;
import org.cse.runtime.http.PathSegment;
import org.eclipse.jetty.client.CompletableResponseListener;
import org.eclipse.jetty.client.ContentResponse;
import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.client.MultiPartRequestContent;
import org.eclipse.jetty.client.Request;
import org.eclipse.jetty.client.StringRequestContent;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.MultiPart;
import org.eclipse.jetty.io.Content;
import org.w3c.dom.Document;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * The outside world of a referral, as the executor calls it, every call non-blocking:
 * <ul>
 *   <li>NCMEC's CyberTipline API ({@code /submit}, {@code /upload}, {@code /fileinfo}, {@code /finish},
 *       {@code /retract}): HTTP Basic, XML in and out, answers parsed with DOCTYPEs and external entities
 *       disabled. {@code submit} has no idempotency key: a lost answer can open a report that is never
 *       finished, never a second finished one.</li>
 *   <li>the platform's evidence store: a file is fetched by content id and streamed straight into the
 *       upload, never held whole in memory, never written to Kafka or a log; preservation holds.</li>
 *   <li>INHOPE member hotlines ({@code POST {hotline}/referrals}, the referral id as Idempotency-Key).</li>
 * </ul>
 */
final class ReferralCalls implements CommandExecutor.Calls<ReferralCommand> {
    private static final int MAX_ANSWER_BYTES = 256 * 1024;

    /** Where and as whom. */
    record Endpoints(URI ncmec, String ncmecUser, String ncmecPassword, URI evidenceStore, String evidenceToken,
                     Map<String, URI> hotlines, URI defaultHotline, String hotlineToken) {}

    private final HttpClient http;
    private final String ncmec;
    private final String ncmecAuthorization;
    private final String evidence;
    private final String evidenceAuthorization;
    private final Endpoints endpoints;
    private final Duration timeout;
    private final Clock clock;

    ReferralCalls(HttpClient http, Endpoints endpoints, Duration timeout, Clock clock) {
        this.http = http;
        this.endpoints = endpoints;
        this.ncmec = endpoints.ncmec().toString().replaceAll("/+$", "") + "/";
        this.ncmecAuthorization = "Basic " + Base64.getEncoder().encodeToString((endpoints.ncmecUser() + ":" + endpoints.ncmecPassword())
                .getBytes(StandardCharsets.UTF_8));
        this.evidence = endpoints.evidenceStore() == null ? null : endpoints.evidenceStore().toString().replaceAll("/+$", "") + "/";
        this.evidenceAuthorization = "Bearer " + endpoints.evidenceToken();
        this.timeout = timeout;
        this.clock = clock;
    }

    @Override
    public String accountOf(ReferralCommand command) {
        return command.getAccountId();
    }

    @Override
    public CompletionStage<DeliveryResult> execute(ReferralCommand command) {
        CompletableFuture<CallOutcome> outcome = switch (command.getStep()) {
            case SUBMIT -> submit(command);
            case FILE -> file(command);
            case FINISH -> finish(command);
            case HOLD -> hold(command);
            case RETRACT -> retract(command);
            case HOTLINE -> hotline(command);
        };
        return outcome.thenApply(o -> result(command, o));
    }

    @Override
    public DeliveryResult failed(ReferralCommand command, Throwable failure) {
        return result(command, Outbound.failed(command.getReferralId(), command.getStep().name().toLowerCase(Locale.ROOT),
                failure == null ? new IllegalStateException("no result") : failure));
    }

    private DeliveryResult result(ReferralCommand command, CallOutcome outcome) {
        return DeliveryResult.newBuilder().setCommandId(command.getCommandId()).setAccountId(command.getAccountId())
                .setOutcomes(List.of(outcome)).setAt(clock.instant()).build();
    }

    // ---- NCMEC ----

    private CompletableFuture<CallOutcome> submit(ReferralCommand command) {
        Request request = ncmecRequest("submit").body(new StringRequestContent("text/xml; charset=utf-8", command.getReportXml()));
        return ncmecCall(command.getReferralId(), "submit", request, (answer, code) -> {
            String reportId = text(answer, "reportId");
            return code == 0 && reportId != null ? success("submit", command.getReferralId()).setExternalId(reportId).build()
                    : refusedByCode(command.getReferralId(), "submit", code, answer);
        });
    }

    private CompletableFuture<CallOutcome> finish(ReferralCommand command) {
        return ncmecCall(command.getReferralId(), "finish", form("finish", command.getReportId()), (answer, code) -> {
            if (code == 0 || code == ReferralMachine.ALREADY_FINISHED) {
                List<String> files = new ArrayList<>();
                NodeList ids = answer.getElementsByTagName("fileId");
                for (int i = 0; i < ids.getLength(); i++) {
                    files.add(ids.item(i).getTextContent().trim());
                }
                return CallOutcome.newBuilder().setItemId(command.getReferralId()).setCall("finish").setResponseCode(code)
                        .setOutcome(code == 0 ? CallOutcomeKind.SUCCEEDED : CallOutcomeKind.ALREADY_DONE).setReportFileIds(files).build();
            }
            return refusedByCode(command.getReferralId(), "finish", code, answer);
        });
    }

    private CompletableFuture<CallOutcome> retract(ReferralCommand command) {
        return ncmecCall(command.getReferralId(), "retract", form("retract", command.getReportId()), (answer, code) -> {
            if (code == 0 || code == ReferralMachine.ALREADY_RETRACTED) {
                return CallOutcome.newBuilder().setItemId(command.getReferralId()).setCall("retract").setResponseCode(code)
                        .setOutcome(code == 0 ? CallOutcomeKind.SUCCEEDED : CallOutcomeKind.ALREADY_DONE).build();
            }
            return refusedByCode(command.getReferralId(), "retract", code, answer);
        });
    }

    /** Uploads the file unless it is already, then sends its details; the outcome carries the file id either way. */
    private CompletableFuture<CallOutcome> file(ReferralCommand command) {
        NcmecFile file = command.getFile();
        CompletableFuture<CallOutcome> uploaded = file.getFileId() != null
                ? CompletableFuture.completedFuture(success("upload", command.getReferralId()).setFileId(file.getFileId()).build())
                : upload(command);
        return uploaded.thenCompose(upload -> {
            if (upload.getOutcome() != CallOutcomeKind.SUCCEEDED) {
                return CompletableFuture.completedFuture(upload);
            }
            String details = CyberTiplineReport.fileDetails(command.getReportId(), upload.getFileId(), file);
            Request request = ncmecRequest("fileinfo").body(new StringRequestContent("text/xml; charset=utf-8", details));
            return ncmecCall(command.getReferralId(), "fileinfo", request, (answer, code) -> code == 0
                    ? success("fileinfo", command.getReferralId()).build()
                    : refusedByCode(command.getReferralId(), "fileinfo", code, answer))
                    .thenApply(info -> CallOutcome.newBuilder(info).setFileId(upload.getFileId()).build());
        });
    }

    /** Streams the file from the evidence store into NCMEC's upload: a chunk read is a chunk sent. */
    private CompletableFuture<CallOutcome> upload(ReferralCommand command) {
        String referral = command.getReferralId();
        NcmecFile file = command.getFile();
        if (evidence == null) {
            return CompletableFuture.completedFuture(CallOutcome.newBuilder().setItemId(referral).setCall("fetch")
                    .setOutcome(CallOutcomeKind.PERMANENT).setError("no EVIDENCE_STORE_URL configured: files cannot be fetched").build());
        }
        CompletableFuture<Content.Source> body = new CompletableFuture<>();
        CompletableFuture<CallOutcome> refused = new CompletableFuture<>();
        Request fetch = http.newRequest(evidence + "v1/content/" + PathSegment.encode(file.getContentId()) + "/file")
                .method(HttpMethod.GET).timeout(timeout.multipliedBy(6).toMillis(), TimeUnit.MILLISECONDS)
                .headers(h -> h.put(HttpHeader.AUTHORIZATION, evidenceAuthorization));
        fetch.onResponseContentSource((response, source) -> {
            if (response.getStatus() == 200) {
                body.complete(source);
            } else {
                source.fail(new IOException("not read: HTTP " + response.getStatus()));
                refused.complete(Outbound.refused(referral, "fetch", response.getStatus(), response.getHeaders().get("Retry-After"),
                        "evidence store answered HTTP " + response.getStatus() + " for content " + file.getContentId(), clock.instant()).build());
            }
        });
        fetch.send(result -> {
            if (result.isFailed() && !body.isDone()) {
                refused.complete(Outbound.failed(referral, "fetch", result.getFailure()));
            } else if (!body.isDone() && !refused.isDone()) {
                int status = result.getResponse().getStatus();
                refused.complete(status == 200
                        ? CallOutcome.newBuilder().setItemId(referral).setCall("fetch").setOutcome(CallOutcomeKind.PERMANENT)
                                .setError("evidence store answered an empty file for content " + file.getContentId()).build()
                        : Outbound.refused(referral, "fetch", status, result.getResponse().getHeaders().get("Retry-After"),
                                "evidence store answered HTTP " + status + " for content " + file.getContentId(), clock.instant()).build());
            }
        });
        CompletableFuture<CallOutcome> sent = body.thenCompose(source -> {
            MultiPartRequestContent multipart = new MultiPartRequestContent();
            multipart.addPart(new MultiPart.ByteBufferPart("id", null, HttpFields.EMPTY,
                    ByteBuffer.wrap(command.getReportId().getBytes(StandardCharsets.UTF_8))));
            multipart.addPart(new MultiPart.ContentSourcePart("file", file.getFileName() == null ? file.getContentId() : file.getFileName(),
                    HttpFields.build().put(HttpHeader.CONTENT_TYPE, "application/octet-stream"), source));
            multipart.close();
            Request upload = ncmecRequest("upload").timeout(timeout.multipliedBy(6).toMillis(), TimeUnit.MILLISECONDS).body(multipart);
            return ncmecCall(referral, "upload", upload, (answer, code) -> {
                String fileId = text(answer, "fileId");
                return code == 0 && fileId != null ? success("upload", referral).setFileId(fileId).build()
                        : refusedByCode(referral, "upload", code, answer);
            }).whenComplete((outcome, failure) -> {
                // an upload that went through read the file to its end; only one that did not leaves the fetch to release.
                // Failing a finished fetch aborted it and closed its pooled connection under the next call to the evidence store.
                if (failure != null || outcome.getOutcome() != CallOutcomeKind.SUCCEEDED) {
                    source.fail(new IOException("upload did not go through"));
                }
            });
        });
        return CompletableFuture.anyOf(sent, refused).thenApply(CallOutcome.class::cast);
    }

    private Request ncmecRequest(String call) {
        return http.newRequest(ncmec + call).method(HttpMethod.POST).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .headers(h -> h.put(HttpHeader.AUTHORIZATION, ncmecAuthorization));
    }

    private Request form(String call, String reportId) {
        return ncmecRequest(call).body(new StringRequestContent("application/x-www-form-urlencoded",
                "id=" + URLEncoder.encode(reportId, StandardCharsets.UTF_8)));
    }

    @FunctionalInterface
    private interface Answer {
        CallOutcome read(Document answer, int responseCode);
    }

    private CompletableFuture<CallOutcome> ncmecCall(String referral, String call, Request request, Answer answer) {
        return new CompletableResponseListener(request, MAX_ANSWER_BYTES).send().thenApply(response -> {
            int status = response.getStatus();
            if (status == 401 || status == 403) {
                // a credentials problem is the operator's to fix; retried until then, parked when the budget is spent
                return CallOutcome.newBuilder().setItemId(referral).setCall(call).setHttpStatus(status).setOutcome(CallOutcomeKind.TRANSIENT)
                        .setError(call + ": NCMEC refused the credentials (HTTP " + status + ")").build();
            }
            if (status != 200) {
                return Outbound.refused(referral, call, status, response.getHeaders().get("Retry-After"), call + ": NCMEC answered HTTP "
                        + status, clock.instant()).build();
            }
            Document document;
            try {
                document = parse(response.getContent());
            } catch (SAXException | IOException e) {
                return CallOutcome.newBuilder().setItemId(referral).setCall(call).setHttpStatus(status).setOutcome(CallOutcomeKind.TRANSIENT)
                        .setMayHaveReachedServer(true).setError(call + ": NCMEC answered unreadable XML").build();
            }
            Integer code = responseCode(document);
            if (code == null) {
                return CallOutcome.newBuilder().setItemId(referral).setCall(call).setHttpStatus(status).setOutcome(CallOutcomeKind.TRANSIENT)
                        .setMayHaveReachedServer(true).setError(call + ": NCMEC answered without a numeric responseCode").build();
            }
            return CallOutcome.newBuilder(answer.read(document, code)).setHttpStatus(status).setResponseCode(code).build();
        }).exceptionally(failure -> Outbound.failed(referral, call, failure));
    }

    /** NCMEC's codes: a server-side failure is worth retrying; a refusal of the request itself is not. */
    private static CallOutcome refusedByCode(String referral, String call, int code, Document answer) {
        boolean transientFailure = code == 1000 || code == 1100 || code == 1110 || code == 1111 || code == 1300 || code == 2000;
        String description = text(answer, "responseDescription");
        if (description != null && description.length() > 200) {
            description = description.substring(0, 200);
        }
        return CallOutcome.newBuilder().setItemId(referral).setCall(call).setResponseCode(code)
                .setOutcome(transientFailure ? CallOutcomeKind.TRANSIENT : CallOutcomeKind.PERMANENT)
                .setMayHaveReachedServer(transientFailure)
                .setError(call + ": NCMEC responseCode " + code + (description == null ? "" : " " + description)).build();
    }

    private static CallOutcome.Builder success(String call, String referral) {
        return CallOutcome.newBuilder().setItemId(referral).setCall(call).setOutcome(CallOutcomeKind.SUCCEEDED);
    }

    // ---- evidence store and hotlines ----

    private CompletableFuture<CallOutcome> hold(ReferralCommand command) {
        PreservationHold hold = command.getHold();
        if (evidence == null) {
            return CompletableFuture.completedFuture(CallOutcome.newBuilder().setItemId(command.getReferralId()).setCall("hold")
                    .setOutcome(CallOutcomeKind.PERMANENT).setError("no EVIDENCE_STORE_URL configured: holds cannot be placed").build());
        }
        String json = "{\"holdId\":" + quote(hold.getHoldId()) + ",\"reportId\":" + quote(hold.getReportId()) + ",\"contentIds\":["
                + String.join(",", hold.getContentIds().stream().map(ReferralCalls::quote).toList()) + "],\"until\":"
                + quote(hold.getUntil().toString()) + "}";
        Request request = http.newRequest(evidence + "v1/holds").method(HttpMethod.POST).timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .headers(h -> h.put(HttpHeader.AUTHORIZATION, evidenceAuthorization).put("Idempotency-Key", hold.getHoldId()))
                .body(new StringRequestContent("application/json", json));
        return jsonCall(command.getReferralId(), "hold", request, response -> success("hold", command.getReferralId())
                .setExternalId(hold.getHoldId()));
    }

    private CompletableFuture<CallOutcome> hotline(ReferralCommand command) {
        String country = command.getHostingCountry();
        URI endpoint = endpoints.hotlines().getOrDefault(country, endpoints.defaultHotline());
        if (endpoint == null) {
            return CompletableFuture.completedFuture(CallOutcome.newBuilder().setItemId(command.getReferralId()).setCall("hotline")
                    .setOutcome(CallOutcomeKind.PERMANENT).setError("no hotline configured for " + country
                            + " and no INHOPE_DEFAULT_HOTLINE_URL").build());
        }
        Request request = http.newRequest(endpoint.toString().replaceAll("/+$", "") + "/referrals").method(HttpMethod.POST)
                .timeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .headers(h -> h.put(HttpHeader.AUTHORIZATION, "Bearer " + endpoints.hotlineToken())
                        .put("Idempotency-Key", command.getReferralId()))
                .body(new StringRequestContent("application/json", command.getHotlineBody()));
        return jsonCall(command.getReferralId(), "hotline", request, response -> {
            String reference = command.getReferralId();
            try {
                reference = org.cse.runtime.http.Reply.JSON.readTree(response.getContent()).path("reference").asText(reference);
            } catch (IOException | RuntimeException e) {
                // the reference is ours anyway
            }
            return success("hotline", command.getReferralId()).setExternalId(reference);
        });
    }

    private CompletableFuture<CallOutcome> jsonCall(String referral, String call, Request request,
                                                    java.util.function.Function<ContentResponse, CallOutcome.Builder> ok) {
        return new CompletableResponseListener(request, MAX_ANSWER_BYTES).send().thenApply(response -> {
            int status = response.getStatus();
            if (status == 200 || status == 201) {
                return ok.apply(response).setHttpStatus(status).setOutcome(status == 201 ? CallOutcomeKind.SUCCEEDED
                        : CallOutcomeKind.ALREADY_DONE).build();
            }
            return Outbound.refused(referral, call, status, response.getHeaders().get("Retry-After"), call + ": HTTP " + status,
                    clock.instant()).build();
        }).exceptionally(failure -> Outbound.failed(referral, call, failure));
    }

    private static String quote(String text) {
        try {
            return org.cse.runtime.http.Reply.JSON.writeValueAsString(text);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- XML ----

    private static Integer responseCode(Document answer) {
        String code = text(answer, "responseCode");
        try {
            return code == null ? null : Integer.valueOf(code);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static String text(Document document, String tag) {
        NodeList nodes = document.getElementsByTagName(tag);
        return nodes.getLength() == 0 ? null : nodes.item(0).getTextContent().trim();
    }

    static Document parse(byte[] xml) throws SAXException, IOException {
        return SafeXml.parse(xml);
    }
}
