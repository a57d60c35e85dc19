package org.cse.schemas.registry;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.avro.Schema;

/**
 * A registry held in memory, for TopologyTestDriver tests that have no registry server. Ids are
 * assigned the way a registry does (same schema, same id); the wire format is unchanged.
 */
public final class InMemorySchemaRegistry implements SchemaRegistry {
    private final Map<Schema, Integer> ids = new ConcurrentHashMap<>();
    private final Map<Integer, Schema> schemas = new ConcurrentHashMap<>();
    private final AtomicInteger nextId = new AtomicInteger(1);

    @Override
    public int register(String subject, Schema schema) {
        return ids.computeIfAbsent(schema, key -> {
            int id = nextId.getAndIncrement();
            schemas.put(id, key);
            return id;
        });
    }

    @Override
    public int lookup(String subject, Schema schema) {
        Integer id = ids.get(schema);
        if (id == null) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.NOT_FOUND,
                    "schema " + schema.getFullName() + " not registered under " + subject);
        }
        return id;
    }

    @Override
    public Schema schemaById(int id) {
        Schema schema = schemas.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(SchemaRegistryException.Kind.NOT_FOUND, "schema id " + id + " not found");
        }
        return schema;
    }
}
