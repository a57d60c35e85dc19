package org.cse.runtime.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.cse.events.DeliveryResult;
import org.cse.events.Replay;
import org.cse.runtime.StoreOwners;
import org.cse.runtime.auth.Operators;
import org.cse.runtime.http.Body;
import org.cse.runtime.http.Call;
import org.cse.runtime.http.HttpServer;
import org.cse.runtime.http.Reply;
import org.cse.schemas.Limits;

/**
 * The operators' view of a delivery service: {@code GET /v1/deliveries/{accountId}} lists every action
 * or referral the service holds for the account (state, attempts, last error, next retry), and
 * {@code POST /v1/deliveries/{accountId}/replay} with {@code {"itemId": ...}} orders a parked item
 * retried: a new attempt series with the same idempotency key. Both need an operator's token, both are
 * audited, both are answered by the instance that holds the account. A replay is an event on the
 * service's result topic, so the state machine takes it in order with everything else of the account.
 *
 * @param <I> the service's item record
 */
public final class DeliveryApi<I extends SpecificRecord> {
    private static final String PATH = "/v1/deliveries/";

    /** How the service shows and judges its items. */
    public record Items<I>(String store, Function<I, String> itemId, Function<I, Map<String, Object>> view, Predicate<I> parked) {}

    private final KafkaStreams streams;
    private final StoreOwners owners;
    private final Items<I> items;
    private final KafkaProducer<byte[], byte[]> producer;
    private final String resultTopic;
    private final Serializer<DeliveryResult> results;
    private final String applicationId;
    private final Clock clock;

    public DeliveryApi(KafkaStreams streams, StoreOwners owners, Items<I> items, KafkaProducer<byte[], byte[]> producer, String resultTopic,
                       Serializer<DeliveryResult> results, String applicationId, Clock clock) {
        this.streams = streams;
        this.owners = owners;
        this.items = items;
        this.producer = producer;
        this.resultTopic = resultTopic;
        this.results = results;
        this.applicationId = applicationId;
        this.clock = clock;
    }

    /** Adds the two routes, guarded by the operators' tokens. */
    public HttpServer routes(HttpServer server, Operators operators) {
        return server.route("GET", PATH + "{}", Body.NONE, operators.guard(), this::lookup)
                .route("POST", PATH + "{}/replay", Body.json(4096), operators.guard(), this::replay);
    }

    private CompletionStage<Reply> lookup(Call call) {
        String account = call.pathParam();
        if (!Limits.isId(account)) {
            return done(Reply.error(400, "INVALID_FIELD", "accountId", "an account id is " + Limits.ID_RULE));
        }
        Operators.audit(call.attribute(Operators.OPERATOR), "looked up deliveries of account", account, call.remoteAddress());
        return owners.route(call, account, local -> {
            List<I> found = itemsOf(account);
            if (found.isEmpty()) {
                return Reply.error(404, "UNKNOWN_ACCOUNT", "no deliveries held for this account");
            }
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("accountId", account);
            body.put("items", found.stream().map(items.view()).toList());
            return Reply.json(200, body);
        });
    }

    private CompletionStage<Reply> replay(Call call) {
        String account = call.pathParam();
        if (!Limits.isId(account)) {
            return done(Reply.error(400, "INVALID_FIELD", "accountId", "an account id is " + Limits.ID_RULE));
        }
        String itemId;
        try {
            JsonNode body = Reply.JSON.readTree(new String(call.body(), StandardCharsets.UTF_8));
            itemId = body == null ? null : body.path("itemId").asText(null);
        } catch (IOException e) {
            return done(Reply.error(400, "MALFORMED_JSON", "body is not valid JSON"));
        }
        if (itemId == null || !Limits.isContentId(itemId)) {
            return done(Reply.error(400, "INVALID_FIELD", "itemId", "the item id is " + Limits.CONTENT_ID_RULE));
        }
        String operator = call.attribute(Operators.OPERATOR);
        Operators.audit(operator, "asked to replay " + itemId + " of account", account, call.remoteAddress());
        return owners.route(call, account, local -> {
            I item = itemsOf(account).stream().filter(i -> items.itemId().apply(i).equals(itemId)).findFirst().orElse(null);
            if (item == null) {
                return Reply.error(404, "UNKNOWN_ITEM", "itemId", "no such action or referral for this account");
            }
            if (!items.parked().test(item)) {
                return Reply.error(409, "NOT_PARKED", "itemId", "only a parked item can be replayed");
            }
            DeliveryResult event = DeliveryResult.newBuilder().setAccountId(account).setAt(clock.instant())
                    .setReplay(new Replay(itemId, operator, clock.instant())).build();
            producer.send(new ProducerRecord<>(resultTopic, null, account.getBytes(StandardCharsets.UTF_8),
                    results.serialize(resultTopic, event), DeliveryProcessor.stamped(applicationId))).get(10, TimeUnit.SECONDS);
            Map<String, Object> body = new LinkedHashMap<>();
            body.put("accountId", account);
            body.put("itemId", itemId);
            body.put("status", "REPLAY_REQUESTED");
            return Reply.json(202, body);
        });
    }

    private List<I> itemsOf(String account) {
        ReadOnlyKeyValueStore<String, I> store = streams.store(StoreQueryParameters.fromNameAndType(items.store(),
                QueryableStoreTypes.<String, I>keyValueStore()));
        List<I> found = new ArrayList<>();
        try (KeyValueIterator<String, I> it = store.prefixScan(ItemKeys.prefix(account), new StringSerializer())) {
            while (it.hasNext()) {
                KeyValue<String, I> entry = it.next();
                found.add(entry.value);
            }
        }
        return found;
    }

    private static CompletionStage<Reply> done(Reply reply) {
        return CompletableFuture.completedFuture(reply);
    }
}
