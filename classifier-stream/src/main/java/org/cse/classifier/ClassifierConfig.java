package org.cse.classifier;

import java.nio.file.Path;
import java.time.Clock;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;
import org.cse.runtime.auth.Operators;

/**
 * Configuration of the classifier, from environment variables.
 *
 * @param kafka broker, registry and client overrides
 * @param httpHost {@code CLASSIFIER_HTTP_HOST} (default 0.0.0.0)
 * @param httpPort {@code CLASSIFIER_HTTP_PORT} (default 8081; 0 picks a free port): the account lookup API
 * @param managementHost {@code CLASSIFIER_MANAGEMENT_HOST} (default 0.0.0.0): health and metrics
 * @param managementPort {@code CLASSIFIER_MANAGEMENT_PORT} (default 9081)
 * @param advertisedHost {@code CLASSIFIER_ADVERTISED_HOST}: how other instances reach this one for account lookups (default 127.0.0.1)
 * @param stateDir {@code CLASSIFIER_STATE_DIR}: Kafka Streams state (default /tmp/cse-classifier)
 * @param applicationId {@code CLASSIFIER_APPLICATION_ID} (default cse-classifier)
 * @param policyFile {@code CLASSIFIER_POLICY_FILE}: the live policy (default: the bundled policy/cse-policy.yaml)
 * @param shadowPolicyFile {@code CLASSIFIER_SHADOW_POLICY_FILE}: a candidate policy to run beside it (optional)
 * @param operatorsFile {@code CLASSIFIER_OPERATORS_FILE}: who may look accounts up (required; see {@link Operators})
 */
public record ClassifierConfig(KafkaSettings kafka, String httpHost, int httpPort, String managementHost, int managementPort,
                               String advertisedHost, String stateDir,
                               String applicationId, Path policyFile, Path shadowPolicyFile, Path operatorsFile) {

    public static ClassifierConfig from(Env env) {
        String policy = env.string("CLASSIFIER_POLICY_FILE", null);
        String shadow = env.string("CLASSIFIER_SHADOW_POLICY_FILE", null);
        return new ClassifierConfig(
                KafkaSettings.from(env),
                env.string("CLASSIFIER_HTTP_HOST", "0.0.0.0"),
                env.integer("CLASSIFIER_HTTP_PORT", 8081, 0, 65535),
                env.string("CLASSIFIER_MANAGEMENT_HOST", "0.0.0.0"),
                env.integer("CLASSIFIER_MANAGEMENT_PORT", 9081, 0, 65535),
                env.string("CLASSIFIER_ADVERTISED_HOST", "127.0.0.1"),
                env.string("CLASSIFIER_STATE_DIR", System.getProperty("java.io.tmpdir") + "/cse-classifier"),
                env.string("CLASSIFIER_APPLICATION_ID", "cse-classifier"),
                policy == null ? null : Path.of(policy),
                shadow == null ? null : Path.of(shadow),
                Path.of(env.required("CLASSIFIER_OPERATORS_FILE")));
    }

    public Operators operators() {
        return Operators.load(operatorsFile, Clock.systemUTC());
    }

    /** The live policy: the configured file, or the bundled one. Fails with the line of any error. */
    public PolicyDefinition livePolicy() {
        return policyFile == null ? PolicyDefinition.bundled() : PolicyDefinition.load(policyFile);
    }

    public PolicyDefinition shadowPolicy() {
        return shadowPolicyFile == null ? null : PolicyDefinition.load(shadowPolicyFile);
    }
}
