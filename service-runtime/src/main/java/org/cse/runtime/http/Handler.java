package org.cse.runtime.http;

import java.util.concurrent.CompletionStage;

/**
 * A route's handler. It may answer at once or later (a Kafka acknowledgement, a peer's answer): the
 * server holds no thread while the stage is pending. An exception, thrown or in the stage, becomes a
 * JSON 500 whose message names no input.
 */
@FunctionalInterface
public interface Handler {
    CompletionStage<Reply> handle(Call call) throws Exception;

    /** A handler that answers on the calling thread. */
    @FunctionalInterface
    interface Sync {
        Reply handle(Call call) throws Exception;
    }

    static Handler sync(Sync handler) {
        return call -> java.util.concurrent.CompletableFuture.completedFuture(handler.handle(call));
    }
}
