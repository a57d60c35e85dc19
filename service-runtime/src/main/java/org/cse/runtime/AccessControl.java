package org.cse.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/**
 * The pipeline's Kafka ACLs, from the one file that says who may do what ({@code deploy/kafka/acls.yaml}):
 * parsed and checked (an error names its line), turned into ACL bindings, applied with the admin
 * client. The local stack and the production provisioning job apply the same bindings.
 */
public final class AccessControl {
    /** Prefix of the per-publisher raw topics: {@code cse.reports.raw.v1.from.<publisher>}. */
    public static final String RAW_TOPIC_PREFIX = "cse.reports.raw.v1.from.";

    /** What one principal may do. */
    public record Grant(String principal, List<String> read, List<String> write, List<String> groups, List<String> describeGroups,
                        List<String> transactionalIds, String streamsApplication) {}

    private final Map<String, Grant> grants;

    private AccessControl(Map<String, Grant> grants) {
        this.grants = grants;
    }

    public static AccessControl load(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            return parse(in, file.toString());
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read the ACL file: " + e.getMessage());
        }
    }

    public static AccessControl parse(InputStream in, String source) {
        YamlTree.Node root = YamlTree.parse(in, source);
        Map<String, YamlTree.Node> top = root.map("the ACL file");
        for (String key : top.keySet()) {
            if (!key.equals("principals")) {
                throw root.keyError(key, "unknown field " + key + "; expected principals");
            }
        }
        YamlTree.Node principals = top.get("principals");
        if (principals == null) {
            throw root.error("missing required field principals");
        }
        Map<String, Grant> grants = new LinkedHashMap<>();
        for (Map.Entry<String, YamlTree.Node> entry : principals.map("principals").entrySet()) {
            String name = entry.getKey();
            if (!name.matches("[a-z0-9][a-z0-9-]{0,63}")) {
                throw principals.keyError(name, "principal " + name + " must be 1-64 characters from a-z 0-9 -");
            }
            Map<String, YamlTree.Node> fields = entry.getValue().map("principals." + name);
            for (String key : fields.keySet()) {
                if (!List.of("read", "write", "groups", "describeGroups", "transactionalIds", "streamsApplication").contains(key)) {
                    throw entry.getValue().keyError(key, "unknown field " + key + " of principal " + name
                            + "; expected read, write, groups, describeGroups, transactionalIds, streamsApplication");
                }
            }
            YamlTree.Node streams = fields.get("streamsApplication");
            grants.put(name, new Grant(name, names(fields.get("read"), name + ".read"), names(fields.get("write"), name + ".write"),
                    names(fields.get("groups"), name + ".groups"), names(fields.get("describeGroups"), name + ".describeGroups"),
                    names(fields.get("transactionalIds"), name + ".transactionalIds"),
                    streams == null ? null : streams.text(name + ".streamsApplication")));
        }
        return new AccessControl(Map.copyOf(grants));
    }

    private static List<String> names(YamlTree.Node node, String where) {
        List<String> names = new ArrayList<>();
        if (node == null) {
            return names;
        }
        for (YamlTree.Node item : node.list(where)) {
            String name = item.text(where);
            if (name.isEmpty() || name.indexOf('*') >= 0 && name.indexOf('*') != name.length() - 1) {
                throw item.error(where + ": '" + name + "' may only end in '*'");
            }
            names.add(name);
        }
        return List.copyOf(names);
    }

    public Map<String, Grant> grants() {
        return grants;
    }

    /** Every binding of the file. */
    public List<AclBinding> bindings() {
        List<AclBinding> bindings = new ArrayList<>();
        grants.values().forEach(grant -> bindings.addAll(bindings(grant)));
        return bindings;
    }

    /** A registered publisher may write its own raw topic, and nothing else. */
    public static List<AclBinding> publisherBindings(String publisher) {
        String topic = RAW_TOPIC_PREFIX + publisher;
        return List.of(allow(publisher, ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.WRITE),
                allow(publisher, ResourceType.TOPIC, topic, PatternType.LITERAL, AclOperation.DESCRIBE));
    }

    private static List<AclBinding> bindings(Grant grant) {
        List<AclBinding> bindings = new ArrayList<>();
        String p = grant.principal();
        for (String topic : grant.read()) {
            bindings.add(allow(p, ResourceType.TOPIC, topic, AclOperation.READ));
            bindings.add(allow(p, ResourceType.TOPIC, topic, AclOperation.DESCRIBE));
        }
        for (String topic : grant.write()) {
            bindings.add(allow(p, ResourceType.TOPIC, topic, AclOperation.WRITE));
            bindings.add(allow(p, ResourceType.TOPIC, topic, AclOperation.DESCRIBE));
        }
        for (String group : grant.groups()) {
            bindings.add(allow(p, ResourceType.GROUP, group, AclOperation.READ));
            bindings.add(allow(p, ResourceType.GROUP, group, AclOperation.DESCRIBE));
        }
        // offsets and members only (lag): DESCRIBE without READ cannot join the group or commit its offsets
        for (String group : grant.describeGroups()) {
            bindings.add(allow(p, ResourceType.GROUP, group, AclOperation.DESCRIBE));
        }
        for (String id : grant.transactionalIds()) {
            bindings.add(allow(p, ResourceType.TRANSACTIONAL_ID, id, AclOperation.WRITE));
            bindings.add(allow(p, ResourceType.TRANSACTIONAL_ID, id, AclOperation.DESCRIBE));
        }
        String app = grant.streamsApplication();
        if (app != null) {
            // a Streams application owns everything named after its application.id: internal topics, group, transactions
            bindings.add(allow(p, ResourceType.TOPIC, app, PatternType.PREFIXED, AclOperation.ALL));
            bindings.add(allow(p, ResourceType.GROUP, app, PatternType.PREFIXED, AclOperation.READ));
            bindings.add(allow(p, ResourceType.GROUP, app, PatternType.PREFIXED, AclOperation.DESCRIBE));
            bindings.add(allow(p, ResourceType.TRANSACTIONAL_ID, app, PatternType.PREFIXED, AclOperation.WRITE));
            bindings.add(allow(p, ResourceType.TRANSACTIONAL_ID, app, PatternType.PREFIXED, AclOperation.DESCRIBE));
        }
        return bindings;
    }

    private static AclBinding allow(String principal, ResourceType type, String name, AclOperation operation) {
        boolean prefix = name.endsWith("*");
        return allow(principal, type, prefix ? name.substring(0, name.length() - 1) : name,
                prefix ? PatternType.PREFIXED : PatternType.LITERAL, operation);
    }

    private static AclBinding allow(String principal, ResourceType type, String name, PatternType pattern, AclOperation operation) {
        return new AclBinding(new ResourcePattern(type, name, pattern),
                new AccessControlEntry("User:" + principal, "*", operation, AclPermissionType.ALLOW));
    }

    /** Creates the bindings (creating one that exists is a no-op). */
    public static void apply(Admin admin, List<AclBinding> bindings) {
        try {
            admin.createAcls(bindings).all().get(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating ACLs", e);
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("cannot create ACLs: " + e.getMessage(), e);
        }
    }
}
