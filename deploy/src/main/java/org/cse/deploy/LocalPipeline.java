package org.cse.deploy;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.cse.classifier.ClassifierConfig;
import org.cse.classifier.ClassifierService;
import org.cse.enforcement.EnforcementConfig;
import org.cse.enforcement.EnforcementService;
import org.cse.escalation.EscalationConfig;
import org.cse.escalation.EscalationService;
import org.cse.intake.IntakeConfig;
import org.cse.intake.IntakeService;
import org.cse.localstack.LocalCredentials;
import org.cse.localstack.LocalStack;
import org.cse.localstack.TempDirs;
import org.cse.localstack.sandbox.CyberTiplineSandbox;
import org.cse.localstack.sandbox.EvidenceStoreSandbox;
import org.cse.localstack.sandbox.HotlineSandbox;
import org.cse.localstack.sandbox.PlatformSandbox;
import org.cse.runtime.Env;
import org.cse.runtime.Service;

/**
 * The four services, in one JVM, wired to a {@link LocalStack} and to sandboxes of the platform,
 * NCMEC and a hotline through the same environment variables a deployment sets. Used by the local
 * run and the end-to-end tests, so what the tests prove is what the local run shows.
 */
public final class LocalPipeline implements AutoCloseable {
    public static final String PLATFORM_TOKEN = "local-platform-token";
    public static final String NCMEC_USER = "local-esp";
    public static final String NCMEC_PASSWORD = "local-esp-password";
    public static final String HOTLINE_TOKEN = "local-hotline-token";
    public static final String EVIDENCE_TOKEN = "local-evidence-token";
    /** Size of every file the local evidence store serves. */
    public static final int FILE_BYTES = 16 * 1024;

    private final LocalStack stack;
    private final Path stateDir;
    private final LocalCredentials credentials;
    private final PlatformSandbox platform = new PlatformSandbox(PLATFORM_TOKEN);
    private final CyberTiplineSandbox ncmec = new CyberTiplineSandbox(NCMEC_USER, NCMEC_PASSWORD);
    private final HotlineSandbox hotline = new HotlineSandbox(HOTLINE_TOKEN);
    private final EvidenceStoreSandbox evidence = new EvidenceStoreSandbox(EVIDENCE_TOKEN, FILE_BYTES);
    private final String suffix = UUID.randomUUID().toString().substring(0, 8);
    private final Map<String, String> overrides;
    private IntakeService intake;
    private ClassifierService classifier;
    private EnforcementService enforcement;
    private EscalationService escalation;

    private LocalPipeline(LocalStack stack, Map<String, String> overrides) {
        this.stack = stack;
        this.overrides = Map.copyOf(overrides);
        try {
            this.stateDir = Files.createTempDirectory("cse-pipeline-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        this.credentials = LocalCredentials.create(stateDir);
        // each local publisher gets its Kafka user, its raw topic and the ACL to write it, before intake subscribes
        LocalCredentials.PUBLISHERS.forEach(stack::addPublisher);
    }

    /**
     * The sandboxes, credentials and {@link #environment(String) environments} without the services: for
     * runs that start the services as their own processes.
     */
    public static LocalPipeline sandboxesOnly(LocalStack stack) {
        return new LocalPipeline(stack, Map.of());
    }

    /** Starts every service against the stack and waits until all are ready. */
    public static LocalPipeline start(LocalStack stack, Duration readyTimeout) {
        return start(stack, readyTimeout, Map.of());
    }

    /**
     * As {@link #start(LocalStack, Duration)}, with variables that replace the local defaults in every
     * service's environment (a bench trying another {@code ESCALATION_MAX_IN_FLIGHT}, say).
     */
    public static LocalPipeline start(LocalStack stack, Duration readyTimeout, Map<String, String> overrides) {
        LocalPipeline pipeline = new LocalPipeline(stack, overrides);
        try {
            pipeline.startServices();
            pipeline.awaitReady(readyTimeout);
            return pipeline;
        } catch (RuntimeException e) {
            pipeline.close();
            throw e;
        }
    }

    /**
     * The environment a deployment would give one service ({@code intake}, {@code classifier},
     * {@code enforcement}, {@code escalation}: its Kafka principal too), pointing at the stack and the sandboxes.
     */
    public Map<String, String> environment(String service) {
        Map<String, String> env = new HashMap<>(stack.serviceEnvironment(service));
        env.put("INTAKE_PUBLISHERS_FILE", credentials.publishersFile().toString());
        env.put("CLASSIFIER_OPERATORS_FILE", credentials.operatorsFile().toString());
        env.put("INTAKE_HTTP_HOST", "127.0.0.1");
        env.put("INTAKE_HTTP_PORT", "0");
        env.put("INTAKE_MANAGEMENT_HOST", "127.0.0.1");
        env.put("INTAKE_MANAGEMENT_PORT", "0");
        env.put("INTAKE_STATE_DIR", stateDir.resolve("intake").toString());
        env.put("INTAKE_APPLICATION_ID", "cse-intake-" + suffix);
        env.put("CLASSIFIER_HTTP_HOST", "127.0.0.1");
        env.put("CLASSIFIER_HTTP_PORT", "0");
        env.put("CLASSIFIER_MANAGEMENT_HOST", "127.0.0.1");
        env.put("CLASSIFIER_MANAGEMENT_PORT", "0");
        env.put("CLASSIFIER_STATE_DIR", stateDir.resolve("classifier").toString());
        env.put("CLASSIFIER_APPLICATION_ID", "cse-classifier-" + suffix);
        for (String delivery : List.of("ENFORCEMENT", "ESCALATION")) {
            String name = delivery.toLowerCase(java.util.Locale.ROOT);
            env.put(delivery + "_HTTP_HOST", "127.0.0.1");
            env.put(delivery + "_HTTP_PORT", "0");
            env.put(delivery + "_MANAGEMENT_HOST", "127.0.0.1");
            env.put(delivery + "_MANAGEMENT_PORT", "0");
            env.put(delivery + "_STATE_DIR", stateDir.resolve(name).toString());
            env.put(delivery + "_GROUP_ID", "cse-" + name + "-" + suffix);
            env.put(delivery + "_OPERATORS_FILE", credentials.operatorsFile().toString());
        }
        env.put("PLATFORM_API_URL", platform.baseUrl());
        env.put("PLATFORM_API_TOKEN", PLATFORM_TOKEN);
        env.put("NCMEC_API_URL", ncmec.apiUrl());
        env.put("NCMEC_USERNAME", NCMEC_USER);
        env.put("NCMEC_PASSWORD", NCMEC_PASSWORD);
        env.put("NCMEC_REPORTER_FIRST_NAME", "Trust");
        env.put("NCMEC_REPORTER_LAST_NAME", "Safety");
        env.put("NCMEC_REPORTER_EMAIL", "cse-reports@platform.invalid");
        env.put("ESP_SERVICE_NAME", "Platform (local)");
        env.put("INHOPE_DEFAULT_HOTLINE_URL", hotline.baseUrl());
        env.put("INHOPE_TOKEN", HOTLINE_TOKEN);
        env.put("EVIDENCE_STORE_URL", evidence.baseUrl());
        env.put("EVIDENCE_STORE_TOKEN", EVIDENCE_TOKEN);
        env.putAll(overrides);
        return env;
    }

    private void startServices() {
        classifier = new ClassifierService(ClassifierConfig.from(new Env(environment("classifier"))));
        enforcement = new EnforcementService(EnforcementConfig.from(new Env(environment("enforcement"))));
        escalation = new EscalationService(EscalationConfig.from(new Env(environment("escalation"))));
        intake = new IntakeService(IntakeConfig.from(new Env(environment("intake"))));
        classifier.start();
        enforcement.start();
        escalation.start();
        intake.start();
    }

    private void awaitReady(Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        while (!services().stream().allMatch(Service::isReady)) {
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("services not ready within " + timeout + ": " + readiness());
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted", e);
            }
        }
    }

    public String readiness() {
        return "intake=" + intake.isReady() + " classifier=" + classifier.isReady() + " enforcement=" + enforcement.isReady()
                + " escalation=" + escalation.isReady();
    }

    private List<Service> services() {
        return List.of(intake, classifier, enforcement, escalation);
    }

    public String intakeUrl() {
        return "http://127.0.0.1:" + intake.httpPort();
    }

    /** Each service's management port (health, metrics). */
    public Map<String, Integer> managementPorts() {
        return Map.of("intake-service", intake.managementPort(), "classifier-stream", classifier.managementPort(),
                "enforcement-service", enforcement.managementPort(), "escalation-service", escalation.managementPort());
    }

    public String classifierUrl() {
        return "http://127.0.0.1:" + classifier.httpPort();
    }

    public PlatformSandbox platform() {
        return platform;
    }

    public CyberTiplineSandbox ncmec() {
        return ncmec;
    }

    public HotlineSandbox hotline() {
        return hotline;
    }

    public EvidenceStoreSandbox evidence() {
        return evidence;
    }

    /** The operators' API of enforcement and escalation ({@code /v1/deliveries/...}). */
    public String enforcementUrl() {
        return "http://127.0.0.1:" + enforcement.httpPort();
    }

    public String escalationUrl() {
        return "http://127.0.0.1:" + escalation.httpPort();
    }

    public LocalStack stack() {
        return stack;
    }

    /**
     * What cse-ops and its console are given against this pipeline: a Kafka user ({@code ops} to read,
     * {@code ops-replay} to replay dead letters), the local operator's token, the operators file and the services' API roots.
     */
    public Map<String, String> opsEnvironment(String principal) {
        Map<String, String> env = new HashMap<>(stack.serviceEnvironment(principal));
        env.put("CSE_OPS_TOKEN", credentials.operatorToken());
        env.put("CSE_OPS_OPERATOR", "oncall");
        env.put("CSE_OPS_OPERATORS_FILE", credentials.operatorsFile().toString());
        env.put("CSE_CLASSIFIER_URL", classifierUrl());
        env.put("CSE_ENFORCEMENT_URL", enforcementUrl());
        env.put("CSE_ESCALATION_URL", escalationUrl());
        return env;
    }

    /** The local publishers' and operator's tokens. */
    public LocalCredentials credentials() {
        return credentials;
    }

    /** Shutdown order: intake first (no new input), then the consumers, then the sandboxes. */
    @Override
    public void close() {
        for (Service service : new Service[] {intake, classifier, enforcement, escalation}) {
            if (service != null) {
                try {
                    service.close();
                } catch (RuntimeException e) {
                    System.err.println("error stopping a service: " + e);
                }
            }
        }
        platform.close();
        ncmec.close();
        hotline.close();
        evidence.close();
        TempDirs.delete(stateDir); // the services' state and the credential files: each run makes its own
    }
}
