package org.cse.schemas;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;
import org.cse.events.Report;

/**
 * What a report says, as a digest: two submissions with the same report id are the same report when
 * their fingerprints match (a retry after a lost answer), and a conflict when they do not. Fields the
 * server sets, or may default on each try, are left out: {@code receivedAt} and {@code reportedAt}.
 */
public final class ReportFingerprint {
    private static final SpecificDatumWriter<Report> WRITER = new SpecificDatumWriter<>(Report.class);

    private ReportFingerprint() {
    }

    public static String of(Report report) {
        Report content = Report.newBuilder(report).setReceivedAt(Instant.EPOCH).setReportedAt(Instant.EPOCH).build();
        ByteArrayOutputStream out = new ByteArrayOutputStream(512);
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            WRITER.write(content, encoder);
            encoder.flush();
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(out.toByteArray()), 0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
