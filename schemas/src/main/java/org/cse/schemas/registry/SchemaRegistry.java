package org.cse.schemas.registry;

import org.apache.avro.Schema;

/** What the serde needs of a schema registry. */
public interface SchemaRegistry {
    /** Registers the schema under the subject (idempotent) and returns its id. */
    int register(String subject, Schema schema);

    /** The id of a schema already registered under the subject. */
    int lookup(String subject, Schema schema);

    /** The schema with this id. */
    Schema schemaById(int id);

    /** The same registry, never written to: {@link #register} only looks the schema up (NOT_FOUND if it was not registered). */
    static SchemaRegistry readOnly(SchemaRegistry registry) {
        return new SchemaRegistry() {
            @Override
            public int register(String subject, Schema schema) {
                return registry.lookup(subject, schema);
            }

            @Override
            public int lookup(String subject, Schema schema) {
                return registry.lookup(subject, schema);
            }

            @Override
            public Schema schemaById(int id) {
                return registry.schemaById(id);
            }
        };
    }
}
