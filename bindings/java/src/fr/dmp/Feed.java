package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.len;
import static fr.dmp.Ffi.take;
import static fr.dmp.Ffi.takeText;

import com.sun.jna.ptr.PointerByReference;

/** TD2.1: feeding documents to the DMP. */
public final class Feed {
    private Feed() {}

    /** Builds a signed TD2.1 request; {@code now} RFC 3339 (null: now), {@code seed} 0: random.
     *  The same request, time, key and seed give the same bytes. */
    public static Built build(Identity identity, String requestJson, String now, long seed) {
        PointerByReference msg = new PointerByReference();
        PointerByReference info = new PointerByReference();
        Ffi.check(LIB.dmp_feed_build(identity.live(), c(requestJson, "request"), c(now, "now"), seed, msg, info));
        return new Built(take(msg), takeText(info));
    }

    /** Verifies a built TD2.1 (signatures, chains to {@code trustPem}, metadata against the CDA)
     *  at {@code at} (null: now): {@code {"ok", "signatures", "documents", "problems", "text"}};
     *  a request that does not check is {@code "ok": false}, not an exception. */
    public static String check(byte[] message, String trustPem, String at) {
        PointerByReference o = new PointerByReference();
        Ffi.check(LIB.dmp_feed_check(message, len(message), c(trustPem, "trust_pem"), c(at, "at"), o));
        return takeText(o);
    }

    /** Reads the DMP's answer to a TD2.1: {@code {"outcome": "success"|"failure"|"fault", …}}. */
    public static String parseResponse(String contentType, byte[] body) {
        PointerByReference o = new PointerByReference();
        Ffi.check(LIB.dmp_feed_parse_response(c(contentType, "content_type"), body, len(body), o));
        return takeText(o);
    }
}
