package org.cse.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.cse.runtime.AccessControl;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes manifests, checked offline against the Kubernetes API model (fabric8's; there is no
 * API server here for {@code kubectl --dry-run}): every object is a kind the model knows and has no
 * field the model does not (a misspelt or misplaced key lands in the model's "additional properties"
 * instead of failing, so they are looked for). Then what ties them to the code: every service's Kafka
 * principal is granted in the ACL file the provisioning Job applies, and the Job creates its user.
 */
class KubernetesManifestsTest {
    private static final KubernetesSerialization KUBERNETES = new KubernetesSerialization();
    private static final List<Path> MANIFESTS = List.of(Path.of("k8s", "services.yaml"), Path.of("k8s", "provision.yaml"));

    @Test
    void everyManifestIsKnownToTheKubernetesModelWithNoUnknownField() throws IOException {
        List<String> unknown = new ArrayList<>();
        int objects = 0;
        for (Path file : MANIFESTS) {
            for (HasMetadata object : parse(file)) {
                objects++;
                String where = file + ": " + object.getKind() + " " + object.getMetadata().getName();
                assertThat(object).as(where).isNotInstanceOf(GenericKubernetesResource.class);
                unknownFields(object, where, unknown);
            }
        }
        assertThat(objects).isGreaterThanOrEqualTo(7);
        assertThat(unknown).as("fields the Kubernetes model does not know").isEmpty();
    }

    @Test
    void everyServicePrincipalIsGrantedAndProvisionedByTheJob() throws IOException {
        AccessControl acls = AccessControl.load(Path.of("kafka", "acls.yaml"));
        List<HasMetadata> objects = new ArrayList<>();
        for (Path file : MANIFESTS) {
            objects.addAll(parse(file));
        }
        Job job = objects.stream().filter(Job.class::isInstance).map(Job.class::cast).findFirst().orElseThrow();
        Container provision = job.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(env(provision, "SERVICE_MAIN")).isEqualTo(Provision.class.getName());

        List<String> principals = new ArrayList<>();
        for (HasMetadata object : objects) {
            PodSpec pod = object instanceof Deployment d ? d.getSpec().getTemplate().getSpec()
                    : object instanceof StatefulSet s ? s.getSpec().getTemplate().getSpec() : null;
            if (pod != null) {
                for (Container container : pod.getContainers()) {
                    principals.add(env(container, "KAFKA_USERNAME"));
                }
            }
        }
        assertThat(principals).containsExactlyInAnyOrder("intake", "classifier", "enforcement", "escalation", "ops");
        for (String principal : principals) {
            assertThat(acls.grants()).as("ACL grant of " + principal).containsKey(principal);
            assertThat(provision.getEnv()).extracting(EnvVar::getName).as("the Job creates the user " + principal)
                    .contains("SCRAM_PASSWORD_" + principal.toUpperCase(Locale.ROOT));
        }
    }

    @Test
    void everyAddressAPodIsGivenAndEveryStatefulSetsGoverningServiceIsAServiceOfTheManifests() throws IOException {
        List<HasMetadata> objects = new ArrayList<>();
        for (Path file : MANIFESTS) {
            objects.addAll(parse(file));
        }
        Map<String, List<Integer>> services = new java.util.HashMap<>();
        objects.stream().filter(io.fabric8.kubernetes.api.model.Service.class::isInstance)
                .map(io.fabric8.kubernetes.api.model.Service.class::cast)
                .forEach(service -> services.put(service.getMetadata().getName(), service.getSpec().getPorts().stream()
                        .map(io.fabric8.kubernetes.api.model.ServicePort::getPort).toList()));
        for (HasMetadata object : objects) {
            if (object instanceof StatefulSet set) {
                assertThat(services).as("the Service governing " + set.getMetadata().getName()).containsKey(set.getSpec().getServiceName());
            }
            PodSpec pod = object instanceof Deployment d ? d.getSpec().getTemplate().getSpec()
                    : object instanceof StatefulSet s ? s.getSpec().getTemplate().getSpec() : null;
            if (pod == null) {
                continue;
            }
            for (Container container : pod.getContainers()) {
                for (EnvVar variable : container.getEnv()) {
                    java.util.regex.Matcher url = java.util.regex.Pattern.compile("^https?://(cse-[a-z-]+):(\\d+)")
                            .matcher(variable.getValue() == null ? "" : variable.getValue());
                    if (url.find()) {
                        String where = object.getMetadata().getName() + " " + variable.getName();
                        assertThat(services).as(where + ": a Service named " + url.group(1)).containsKey(url.group(1));
                        assertThat(services.get(url.group(1))).as(where + ": its port").contains(Integer.parseInt(url.group(2)));
                    }
                }
            }
        }
    }

    private static List<HasMetadata> parse(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            Object parsed = KUBERNETES.unmarshal(in);
            List<HasMetadata> objects = new ArrayList<>();
            for (Object object : parsed instanceof List<?> list ? list : List.of(parsed)) {
                objects.add((HasMetadata) object);
            }
            return objects;
        }
    }

    private static String env(Container container, String name) {
        return container.getEnv().stream().filter(e -> e.getName().equals(name)).map(EnvVar::getValue).findFirst().orElse(null);
    }

    /** Walks the model's getters; any non-empty "additional properties" map is a field the model does not know. */
    private static void unknownFields(Object node, String path, List<String> found) {
        if (node == null) {
            return;
        }
        if (node instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                unknownFields(list.get(i), path + "[" + i + "]", found);
            }
            return;
        }
        if (node instanceof Map<?, ?> map) {
            map.forEach((key, value) -> unknownFields(value, path + "." + key, found));
            return;
        }
        if (!node.getClass().getName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Method getter : node.getClass().getMethods()) {
            if (getter.getParameterCount() != 0 || Modifier.isStatic(getter.getModifiers()) || !getter.getName().startsWith("get")
                    || Set.of("getClass", "getAdditionalProperties").contains(getter.getName())) {
                continue;
            }
            try {
                unknownFields(getter.invoke(node), path + "." + getter.getName().substring(3), found);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }
        try {
            Object additional = node.getClass().getMethod("getAdditionalProperties").invoke(node);
            if (additional instanceof Map<?, ?> extra && !extra.isEmpty()) {
                found.add(path + ": " + extra.keySet());
            }
        } catch (NoSuchMethodException e) {
            // a model type without additional properties
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException(e);
        }
    }
}
