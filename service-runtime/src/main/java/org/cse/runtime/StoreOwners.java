package org.cse.runtime;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.Reply;

/**
 * Answers a lookup from the instance that holds the account: a Streams store is split by partition
 * across the instances, so a request that reaches another instance is forwarded to the owner (with
 * the caller's own credential, so that the owner authenticates and audits it too, and with
 * {@code local=true}, so that it is never forwarded twice). While partitions move, the answer is 503
 * with {@code Retry-After}.
 */
public final class StoreOwners {
    private final KafkaStreams streams;
    private final String store;
    private final HostInfo self;
    private final HttpClient peers = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The answer of the instance that holds the key. */
    @FunctionalInterface
    public interface Local {
        Reply answer(Call call) throws Exception;
    }

    public StoreOwners(KafkaStreams streams, String store, HostInfo self) {
        this.streams = streams;
        this.store = store;
        this.self = self;
    }

    /**
     * @param account the key of the input topics (the store's partition is the account's partition)
     */
    public CompletionStage<Reply> route(Call call, String account, Local local) {
        boolean forwarded = "true".equals(call.queryParam("local"));
        try {
            KeyQueryMetadata owner = streams.queryMetadataForKey(store, account, Serdes.String().serializer());
            if (owner == null || owner == KeyQueryMetadata.NOT_AVAILABLE) {
                return done(moving());
            }
            if (!owner.activeHost().equals(self)) {
                return forwarded ? done(moving()) : forward(owner.activeHost(), call);
            }
            return done(local.answer(call));
        } catch (InvalidStateStoreException | IllegalStateException e) {
            // moving state, or Streams not running (starting, stopped, in error): the caller may retry
            return done(moving());
        } catch (Exception e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    public static Reply moving() {
        return Reply.error(503, "REBALANCING", "state is moving or the service is not running; retry shortly")
                .withHeader("Retry-After", "2");
    }

    private CompletionStage<Reply> forward(HostInfo owner, Call call) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://" + owner.host() + ":" + owner.port() + call.path()
                        + "?local=true"))
                .timeout(Duration.ofSeconds(5))
                .method(call.method(), call.body().length == 0 ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(call.body()));
        String authorization = call.header("Authorization");
        if (authorization != null) {
            request.header("Authorization", authorization);
        }
        String contentType = call.header("Content-Type");
        if (contentType != null) {
            request.header("Content-Type", contentType);
        }
        return peers.sendAsync(request.build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(answer -> Reply.bytes(answer.statusCode(), Reply.JSON_TYPE, answer.body()))
                .exceptionally(failure -> Reply.error(502, "OWNER_UNREACHABLE",
                        "the instance holding this account (" + owner.host() + ":" + owner.port() + ") did not answer"));
    }

    private static CompletionStage<Reply> done(Reply reply) {
        return CompletableFuture.completedFuture(reply);
    }
}
