package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.check;
import static fr.dmp.Ffi.len;
import static fr.dmp.Ffi.take;
import static fr.dmp.Ffi.takeText;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** A client of the DMP for one actor: its profile's {@code transport} (TLS client certificate,
 *  server roots, timeouts, retries). Unusable settings raise {@link DmpException.TransportError}
 *  (6000, {@code field}). Connections are kept; one client may be used by several threads. */
public final class Client extends Handle {
    /** The DMP's HTTP response and {@code {"outcome": "accepted", "attempts", "confirmed_by_check",
     *  "http_status", "response"}}. */
    public record Sent(byte[] response, String outcomeJson) {}

    /** {@code profileDir}: what relative paths of the profile are relative to (null: the current
     *  directory); {@code endpoint}: a base URL instead of the profile's (null: the profile's). */
    public Client(String profileJson, String profileDir, String endpoint) {
        super(make(profileJson, profileDir, endpoint), LIB::dmp_client_free, "client");
    }

    private static Pointer make(String profileJson, String profileDir, String endpoint) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_client_new(c(profileJson, "profile"), c(profileDir, "profile_dir"), c(endpoint, "endpoint"), o));
        return o.getValue();
    }

    /** Sends a built request and waits ({@code timeoutMs} 0: the profile's). {@code identity}
     *  (may be null) signs the search that tells whether a TD2.1/TD3.3 whose answer was lost was
     *  applied. Refused: {@link DmpException.DmpRefused}; not sent (6001) or outcome unknown
     *  (6002, search before sending again): {@link DmpException.TransportError}. */
    public Sent send(byte[] message, Identity identity, int timeoutMs) {
        PointerByReference resp = new PointerByReference();
        PointerByReference outcome = new PointerByReference();
        check(LIB.dmp_send(live(), identity == null ? null : identity.live(), message, len(message),
                timeoutMs, resp, outcome));
        return new Sent(take(resp), takeText(outcome));
    }
}
