package fr.dmp;

import static fr.dmp.Ffi.LIB;
import static fr.dmp.Ffi.c;
import static fr.dmp.Ffi.check;
import static fr.dmp.Ffi.takeText;

import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** A habilitation (consultation) matrix, and the staff report made with it. Immutable: one
 *  instance may be used by several threads; {@link #close()} it when none uses it any more. */
public final class Matrix extends Handle {
    private Matrix(Pointer p) {
        super(p, LIB::dmp_matrix_free, "matrix");
    }

    /** The embedded (provisional) matrix. */
    public Matrix() {
        this(embedded());
    }

    private static Pointer embedded() {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_matrix_new_default(o));
        return o.getValue();
    }

    /** A matrix from its CSV table and its description ({@code {"id", "title", "date", "legal_basis"}}). */
    public static Matrix fromCsv(String csv, String infoJson) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_matrix_new_from_csv(c(csv, "csv"), c(infoJson, "info"), o));
        return new Matrix(o.getValue());
    }

    /** A matrix from its JSON form. */
    public static Matrix fromJson(String json) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_matrix_new_from_json(c(json, "json"), o));
        return new Matrix(o.getValue());
    }

    /** A new matrix: this one with other settings ({@code {"social_rows_in_force": true}}). */
    public Matrix withSettings(String settingsJson) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_matrix_with_settings(live(), c(settingsJson, "settings"), o));
        return new Matrix(o.getValue());
    }

    /** {@code {"info", "settings"}}. */
    public String info() {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_matrix_info(live(), o));
        return takeText(o);
    }

    /** May this reader ({@code {"profession": {"system", "code"}}}) open documents of this type? */
    public String decide(String readerJson, String typeCode) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_matrix_decide(live(), c(readerJson, "reader"), c(typeCode, "type_code"), o));
        return takeText(o);
    }

    /** The document types this reader may open. */
    public String readableTypes(String readerJson) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_matrix_readable_types(live(), c(readerJson, "reader"), o));
        return takeText(o);
    }

    /** Who of the staff may feed and consult, as JSON. */
    public String staffReport(String staffJson) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_staff_report(live(), c(staffJson, "staff"), o));
        return takeText(o);
    }

    /** The same report, as text for people. */
    public String staffReportText(String staffJson) {
        PointerByReference o = new PointerByReference();
        check(LIB.dmp_staff_report_text(live(), c(staffJson, "staff"), o));
        return takeText(o);
    }
}
