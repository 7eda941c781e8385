package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.check;
import static fr.dmp.Ffi.len;
import static fr.dmp.Ffi.take;
import static fr.dmp.Ffi.takeText;

import com.sun.jna.ptr.PointerByReference;

/** Consultation and management: TD0.2, TD0.3, TD0.4, TD3.1, TD3.2, TD3.3. */
public final class Consult {
    private Consult() {}

    /** Builds a request ({@code {"actor", "consent", "transaction": {"kind", …}}});
     *  {@code searchResponse}: for the metadata updates, a TD3.1 answer holding the document
     *  (else null). A missing consent or a refused transaction: {@link DmpException.ModelError}. */
    public static Built build(Identity identity, String requestJson, byte[] searchResponse, String now, long seed) {
        PointerByReference msg = new PointerByReference();
        PointerByReference info = new PointerByReference();
        check(LIB.dmp_consult_build(identity.live(), c(requestJson, "request"), searchResponse,
                len(searchResponse), c(now, "now"), seed, msg, info));
        return new Built(take(msg), takeText(info));
    }

    /** Reads the DMP's answer to any transaction ({@code contentType} null: {@code body} is the
     *  whole HTTP response of {@link Client#send}); a refusal is data ({@code "error"}). */
    public static String parseResponse(String contentType, byte[] body, String actorProfileJson) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_consult_parse_response(c(contentType, "content_type"), body, len(body),
                c(actorProfileJson, "actor"), o));
        return takeText(o);
    }
}
