package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.check;
import static fr.dmp.Ffi.len;
import static fr.dmp.Ffi.take;
import static fr.dmp.Ffi.takeText;

import com.sun.jna.ptr.PointerByReference;

/** CDA R2 N1 documents: the file an ESSMS sends (a PDF…) under a structured header. */
public final class Cda {
    private Cda() {}

    /** What {@link #read} finds: {@code {"header", "content", "model", "model_error"}} and the
     *  N1 file (null when absent). */
    public record Read(String recordJson, byte[] body) {}

    /** Builds a CDA (the exact bytes to send) from its header and the file to embed. */
    public static byte[] build(String headerJson, byte[] content, String mediaType) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_cda_build(c(headerJson, "header"), content, len(content), c(mediaType, "media_type"), o));
        return take(o);
    }

    /** Reads a CDA: its header record and its N1 file. */
    public static Read read(byte[] xml) {
        PointerByReference h = new PointerByReference();
        PointerByReference body = new PointerByReference();
        check(LIB.dmp_cda_read(xml, len(xml), h, body));
        return new Read(takeText(h), take(body));
    }
}
