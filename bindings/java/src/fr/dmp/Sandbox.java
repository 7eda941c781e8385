package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.check;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** A local DMP for tests, in-process, on 127.0.0.1 with mutual TLS (test PKI of
 *  examples/pki), storing in {@code dataDir}. {@link #close()} stops it. */
public final class Sandbox extends Handle {
    /** {@code uiAddress}: a loopback {@code IP:PORT} for the HTML page, or null. */
    public Sandbox(String dataDir, String uiAddress) {
        super(start(dataDir, uiAddress), LIB::dmp_sandbox_free, "sandbox");
    }

    private static Pointer start(String dataDir, String uiAddress) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_sandbox_start(c(dataDir, "data_dir"), c(uiAddress, "ui_address"), o));
        return o.getValue();
    }

    /** {@code https://127.0.0.1:PORT}: the endpoint of a {@link Client}. */
    public String baseUrl() {
        return Ffi.cString(LIB.dmp_sandbox_base_url(live()));
    }

    /** {@code http://127.0.0.1:PORT/}, or null without a page. */
    public String uiUrl() {
        return Ffi.cString(LIB.dmp_sandbox_ui_url(live()));
    }
}
