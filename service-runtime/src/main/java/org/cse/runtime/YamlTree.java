package org.cse.runtime;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A YAML document as a tree whose every node knows its line, so that an error in a configuration file
 * (the policy, the publisher registry, the ACL file) can say where it is. Jackson's own trees drop
 * locations; this keeps them.
 */
public final class YamlTree {
    /** A node: a map, a list or a scalar (text), with the line it starts on. */
    public record Node(Object value, int line, String source, Map<String, Integer> keyLines) {
        public Node(Object value, int line, String source) {
            this(value, line, source, Map.of());
        }

        /** An error about a key of this mapping, at the key's line. */
        public YamlException keyError(String key, String message) {
            return new YamlException(source + " line " + keyLines.getOrDefault(key, line) + ": " + message);
        }

        @SuppressWarnings("unchecked")
        public Map<String, Node> map(String what) {
            if (!(value instanceof Map)) {
                throw error(what + " must be a mapping");
            }
            return (Map<String, Node>) value;
        }

        @SuppressWarnings("unchecked")
        public List<Node> list(String what) {
            if (!(value instanceof List)) {
                throw error(what + " must be a list");
            }
            return (List<Node>) value;
        }

        public String text(String what) {
            if (value instanceof Map || value instanceof List || value == null) {
                throw error(what + " must be a single value");
            }
            return value.toString();
        }

        public YamlException error(String message) {
            return new YamlException(source + " line " + line + ": " + message);
        }
    }

    private YamlTree() {
    }

    public static Node parse(InputStream in, String source) {
        try (JsonParser parser = new YAMLFactory().createParser(in)) {
            if (parser.nextToken() == null) {
                throw new YamlException(source + ": the policy file is empty");
            }
            return read(parser, source);
        } catch (IOException e) {
            throw new YamlException(source + ": not valid YAML: " + e.getMessage());
        }
    }

    private static Node read(JsonParser parser, String source) throws IOException {
        int line = parser.currentTokenLocation().getLineNr();
        JsonToken token = parser.currentToken();
        if (token == JsonToken.START_OBJECT) {
            Map<String, Node> map = new LinkedHashMap<>();
            Map<String, Integer> keyLines = new LinkedHashMap<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String name = parser.currentName();
                int keyLine = parser.currentTokenLocation().getLineNr();
                keyLines.put(name, keyLine);
                parser.nextToken();
                if (map.put(name, read(parser, source)) != null) {
                    throw new YamlException(source + " line " + keyLine + ": duplicate key " + name);
                }
            }
            return new Node(map, line, source, keyLines);
        }
        if (token == JsonToken.START_ARRAY) {
            List<Node> list = new ArrayList<>();
            while (parser.nextToken() != JsonToken.END_ARRAY) {
                list.add(read(parser, source));
            }
            return new Node(list, line, source);
        }
        return new Node(token == JsonToken.VALUE_NULL ? null : parser.getText(), line, source);
    }
}
