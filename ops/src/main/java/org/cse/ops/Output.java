package org.cse.ops;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The output choice every command shares: aligned text for a person, or one JSON document (or line) for a script. */
final class Output {
    static final ObjectMapper JSON = new ObjectMapper();

    @Option(names = "--json", description = "Print JSON instead of text (one object per line for record streams).")
    boolean json;

    static String json(Object value) {
        try {
            return JSON.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A text table: columns padded to their widest cell. */
    static final class Table {
        private final List<String[]> rows = new ArrayList<>();

        Table(String... header) {
            rows.add(header);
        }

        Table row(Object... cells) {
            String[] text = new String[cells.length];
            for (int i = 0; i < cells.length; i++) {
                text[i] = cells[i] == null ? "-" : cells[i].toString();
            }
            rows.add(text);
            return this;
        }

        int size() {
            return rows.size() - 1;
        }

        void print(PrintWriter out) {
            int columns = rows.get(0).length;
            int[] widths = new int[columns];
            for (String[] row : rows) {
                for (int i = 0; i < columns; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            for (String[] row : rows) {
                StringBuilder line = new StringBuilder();
                for (int i = 0; i < columns; i++) {
                    line.append(i == columns - 1 ? row[i] : String.format("%-" + widths[i] + "s  ", row[i]));
                }
                out.println(line.toString().stripTrailing());
            }
            out.flush();
        }
    }
}
