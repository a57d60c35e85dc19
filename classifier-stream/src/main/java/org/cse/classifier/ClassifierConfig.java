package org.cse.classifier;

import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;

/**
 * Configuration of the classifier, from environment variables.
 *
 * @param kafka broker, registry and client overrides
 * @param httpHost {@code CLASSIFIER_HTTP_HOST} (default 0.0.0.0)
 * @param httpPort {@code CLASSIFIER_HTTP_PORT} (default 8081; 0 picks a free port)
 * @param stateDir {@code CLASSIFIER_STATE_DIR}: Kafka Streams state (default /tmp/cse-classifier)
 * @param applicationId {@code CLASSIFIER_APPLICATION_ID} (default cse-classifier)
 * @param highPriorityScore {@code CLASSIFIER_HIGH_PRIORITY_SCORE}: classifier score above which a review is HIGH (default 0.9)
 */
public record ClassifierConfig(KafkaSettings kafka, String httpHost, int httpPort, String stateDir, String applicationId,
                               double highPriorityScore) {

    public static ClassifierConfig from(Env env) {
        return new ClassifierConfig(
                KafkaSettings.from(env),
                env.string("CLASSIFIER_HTTP_HOST", "0.0.0.0"),
                env.integer("CLASSIFIER_HTTP_PORT", 8081, 0, 65535),
                env.string("CLASSIFIER_STATE_DIR", System.getProperty("java.io.tmpdir") + "/cse-classifier"),
                env.string("CLASSIFIER_APPLICATION_ID", "cse-classifier"),
                env.decimal("CLASSIFIER_HIGH_PRIORITY_SCORE", 0.9, 0.0, 1.0));
    }
}
