package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.cse.classifier.ClassifierConfig;
import org.cse.enforcement.EnforcementConfig;
import org.cse.escalation.EscalationConfig;
import org.cse.intake.IntakeConfig;
import org.cse.intake.PublisherRegistry;
import org.cse.runtime.AccessControl;
import org.cse.runtime.Env;
import org.cse.runtime.KafkaSettings;
import org.cse.runtime.auth.Operators;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The compose file as Debian's {@code docker-compose config} reads it with the example .env (no Docker
 * engine runs here to start it): it parses, and every service of the pipeline's image is given what its
 * configuration requires — each service's own config class loads from the resolved environment, the
 * files it names being the ones mounted there — and a Kafka user the ACL file grants and the provision
 * service creates. Without docker-compose the test is skipped, except under CI ({@code CI=true}).
 */
class ComposeFileTest {
    private static final Path COMPOSE = Path.of("compose", "docker-compose.yml");
    private static final Map<String, Consumer<Env>> CONFIGS = Map.of(
            "org.cse.intake.IntakeMain", IntakeConfig::from,
            "org.cse.classifier.ClassifierMain", ClassifierConfig::from,
            "org.cse.enforcement.EnforcementMain", EnforcementConfig::from,
            "org.cse.escalation.EscalationMain", EscalationConfig::from,
            "org.cse.ops.ConsoleMain", env -> {
                KafkaSettings.from(env);
                Operators.load(Path.of(env.required("CSE_OPS_OPERATORS_FILE")), Clock.systemUTC());
            },
            "org.cse.deploy.Provision", env -> {
                KafkaSettings.from(env);
                AccessControl.load(Path.of(env.required("CSE_ACL_FILE")));
                PublisherRegistry.load(Path.of(env.required("INTAKE_PUBLISHERS_FILE")), Clock.systemUTC());
            });

    @Test
    void theComposeFileParsesAndGivesEveryServiceWhatItsConfigRequiresAndAGrantedKafkaUser() throws Exception {
        JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(resolved());
        AccessControl acls = AccessControl.load(Path.of("kafka", "acls.yaml"));
        JsonNode provision = compose.path("services").path("provision").path("environment");
        int checked = 0;
        for (Map.Entry<String, JsonNode> service : iterable(compose.path("services"))) {
            if (!service.getValue().path("image").asText().startsWith("cse-pipeline")) {
                continue;
            }
            String name = service.getKey();
            Map<String, String> env = environment(service.getValue());
            String main = env.get("SERVICE_MAIN");
            assertThat(CONFIGS).as(name + ": SERVICE_MAIN " + main).containsKey(main);
            Class.forName(main);
            CONFIGS.get(main).accept(new Env(env));
            String user = env.get("KAFKA_USERNAME");
            assertThat(user).as(name + ": a Kafka user").isNotBlank();
            if (!user.equals("admin")) {
                assertThat(acls.grants()).as(name + ": the ACL grant of " + user).containsKey(user);
                assertThat(provision.path("SCRAM_PASSWORD_" + user.toUpperCase(Locale.ROOT).replace('-', '_')).asText())
                        .as(name + ": the provision service creates " + user).isEqualTo(env.get("KAFKA_PASSWORD")).isNotBlank();
            }
            checked++;
        }
        assertThat(checked).as("provision, the four services and the console").isEqualTo(6);
    }

    /** {@code docker-compose config}: the file with the example .env substituted, as Compose itself reads it. */
    private static String resolved() throws Exception {
        File docker = java.util.Arrays.stream(System.getenv().getOrDefault("PATH", "").split(File.pathSeparator))
                .map(dir -> new File(dir, "docker-compose")).filter(File::canExecute).findFirst().orElse(null);
        if (docker == null) {
            String missing = "no docker-compose on the PATH (apt-get install docker-compose; .ci/run does)";
            if ("true".equals(System.getenv("CI"))) {
                fail("CI=true and " + missing);
            }
            Assumptions.abort("skipped: " + missing);
        }
        Process process = new ProcessBuilder(docker.getPath(), "--env-file", ".env.example", "-f", COMPOSE.getFileName().toString(), "config")
                .directory(COMPOSE.getParent().toFile()).redirectError(ProcessBuilder.Redirect.PIPE).start();
        String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as("docker-compose config: " + err).isZero();
        assertThat(err).as("no variable left unset").doesNotContain("is not set");
        return out;
    }

    /** The service's environment, each value that is a mount target replaced by the host file mounted there. */
    private static Map<String, String> environment(JsonNode service) {
        Map<String, String> mounts = new HashMap<>();
        for (JsonNode volume : service.path("volumes")) {
            if (volume.isTextual()) {
                String[] parts = volume.asText().split(":");
                mounts.put(parts[1], parts[0]);
            } else {
                mounts.put(volume.path("target").asText(), volume.path("source").asText());
            }
        }
        Map<String, String> env = new HashMap<>();
        for (Map.Entry<String, JsonNode> variable : iterable(service.path("environment"))) {
            String value = variable.getValue().asText();
            String host = mounts.get(value);
            env.put(variable.getKey(), host == null ? value : Path.of(COMPOSE.getParent().toString()).resolve(host).normalize().toString());
        }
        for (String file : List.of("INTAKE_PUBLISHERS_FILE", "CSE_ACL_FILE")) {
            if (env.containsKey(file)) {
                assertThat(Path.of(env.get(file))).as(file + " is a mounted file").exists();
            }
        }
        return env;
    }

    private static Iterable<Map.Entry<String, JsonNode>> iterable(JsonNode node) {
        return node::fields;
    }
}
