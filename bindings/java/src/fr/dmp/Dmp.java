package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.check;
import static fr.dmp.Ffi.takeText;

import com.sun.jna.ptr.PointerByReference;

/** Identifiers, functional rights, actor profiles: the functions of libdmp without a handle.
 *  JSON goes in and out as text ({@link Json} reads it). */
public final class Dmp {
    private Dmp() {}

    /** The version of the loaded library ({@code "0.1.0"}). */
    public static String version() {
        return Ffi.cString(LIB.dmp_version());
    }

    /** Checks an INS (matricule + INS OID); its HL7 CX form. */
    public static String checkIns(String matricule, String oid) {
        PointerByReference out = new PointerByReference();
        check(LIB.dmp_check_ins(c(matricule, "matricule"), c(oid, "oid"), out));
        return takeText(out);
    }

    /** Checks an INS in CX form: {@code {"matricule", "oid"}}. */
    public static String checkInsCx(String cx) {
        PointerByReference out = new PointerByReference();
        check(LIB.dmp_check_ins_cx(c(cx, "cx"), out));
        return takeText(out);
    }

    /** Checks an RPPS number; its IdNat_PS ({@code 8} + RPPS). */
    public static String checkRpps(String rpps) {
        PointerByReference out = new PointerByReference();
        check(LIB.dmp_check_rpps(c(rpps, "rpps"), out));
        return takeText(out);
    }

    /** Checks a FINESS number; its canonical form. */
    public static String checkFiness(String finess) {
        PointerByReference out = new PointerByReference();
        check(LIB.dmp_check_finess(c(finess, "finess"), out));
        return takeText(out);
    }

    /** Checks an IdNat_PS; its canonical form. */
    public static String checkIdnat(String idnat) {
        PointerByReference out = new PointerByReference();
        check(LIB.dmp_check_idnat(c(idnat, "idnat"), out));
        return takeText(out);
    }

    /** Whether the functional rights allow {@code transaction}: {@code {"allowed", "rows", "transaction"}}. */
    public static String rightsDecide(String auth, String actor, String mode, String transaction) {
        PointerByReference out = new PointerByReference();
        check(LIB.dmp_rights_decide(c(auth, "auth"), c(actor, "actor"), c(mode, "mode"),
                c(transaction, "transaction"), out));
        return takeText(out);
    }

    /** Checks an actor profile; what the library derives from it ({@code "allowed_transactions"}…). */
    public static String actorProfileCheck(String profileJson) {
        PointerByReference out = new PointerByReference();
        check(LIB.dmp_actor_profile_check(c(profileJson, "profile"), out));
        return takeText(out);
    }
}
