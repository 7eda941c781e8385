package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.check;
import static fr.dmp.Ffi.len;
import static fr.dmp.Ffi.takeText;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** A signing identity: the key that signs the VIHF and the XAdES of requests (in indirect mode
 *  the establishment's ORG_SIGN certificate) and its chain. A wrong password raises
 *  {@link DmpException.KeyError} (4000, record member {@code what}: {@code "password"}). */
public final class Identity extends Handle {
    private Identity(Pointer p) {
        super(p, LIB::dmp_identity_free, "identity");
    }

    /** From the bytes of a PKCS#12 (.p12) file. */
    public static Identity fromP12(byte[] p12, String password) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_identity_new_from_p12(p12, len(p12), c(password, "password"), o));
        return new Identity(o.getValue());
    }

    /** From a PKCS#12 (.p12) file. */
    public static Identity fromP12File(String path, String password) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_identity_new_from_p12_file(c(path, "path"), c(password, "password"), o));
        return new Identity(o.getValue());
    }

    /** {@code {"kind", "algorithm", "subject", "issuer", "serial", "not_before", "not_after",
     *  "structure_id", …}} (never key material). */
    public String info() {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_identity_info(live(), o));
        return takeText(o);
    }
}
