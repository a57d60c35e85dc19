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
}
