package fr.dmp;

import com.sun.jna.IntegerType;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;

/** The C functions of libdmp (include/dmp.h), declared for JNA. Strings are passed as
 *  NUL-terminated UTF-8 byte arrays so that the platform's default encoding never applies. */
interface NativeLib extends Library {
    /** C {@code size_t}: its width follows the platform (JNA 5). */
    final class SizeT extends IntegerType {
        private static final long serialVersionUID = 1L;

        public SizeT() {
            this(0);
        }

        public SizeT(long value) {
            super(Native.SIZE_T_SIZE, value, true);
        }
    }

    /** The library, found by {@link #load()}. */
    NativeLib LIB = load();

    /** {@code DMP_LIBRARY} (a path) when set, else "dmp" on {@code jna.library.path} and the
     *  system search path. An explicit path that fails does not fall back silently. */
    private static NativeLib load() {
        String explicit = System.getenv("DMP_LIBRARY");
        String name = explicit != null && !explicit.isEmpty() ? explicit : "dmp";
        return Native.load(name, NativeLib.class);
    }

    Pointer dmp_version();
    int dmp_last_error_json(byte[] buf, SizeT len, Pointer outLen);
    int dmp_last_error_code();
    Pointer dmp_result_name(int result);

    Pointer dmp_bytes_data(Pointer bytes);
    SizeT dmp_bytes_len(Pointer bytes);
    void dmp_bytes_free(Pointer bytes);

    int dmp_check_ins(byte[] matricule, byte[] oid, PointerByReference out);
    int dmp_check_ins_cx(byte[] cx, PointerByReference out);
    int dmp_check_rpps(byte[] rpps, PointerByReference out);
    int dmp_check_finess(byte[] finess, PointerByReference out);
    int dmp_check_idnat(byte[] idnat, PointerByReference out);

    int dmp_matrix_new_default(PointerByReference out);
    int dmp_matrix_new_from_csv(byte[] csv, byte[] infoJson, PointerByReference out);
    int dmp_matrix_new_from_json(byte[] json, PointerByReference out);
    int dmp_matrix_with_settings(Pointer matrix, byte[] settingsJson, PointerByReference out);
    int dmp_matrix_info(Pointer matrix, PointerByReference out);
    int dmp_matrix_decide(Pointer matrix, byte[] readerJson, byte[] typeCode, PointerByReference out);
    int dmp_matrix_readable_types(Pointer matrix, byte[] readerJson, PointerByReference out);
    void dmp_matrix_free(Pointer matrix);
    int dmp_rights_decide(byte[] auth, byte[] actor, byte[] mode, byte[] transaction, PointerByReference out);
    int dmp_staff_report(Pointer matrix, byte[] staffJson, PointerByReference out);
    int dmp_staff_report_text(Pointer matrix, byte[] staffJson, PointerByReference out);

    int dmp_cda_build(byte[] headerJson, byte[] content, SizeT len, byte[] mediaType, PointerByReference out);
    int dmp_cda_read(byte[] xml, SizeT len, PointerByReference outHeader, PointerByReference outContent);

    int dmp_identity_new_from_p12(byte[] p12, SizeT len, byte[] password, PointerByReference out);
    int dmp_identity_new_from_p12_file(byte[] path, byte[] password, PointerByReference out);
    int dmp_identity_info(Pointer identity, PointerByReference out);
    void dmp_identity_free(Pointer identity);

    int dmp_feed_build(Pointer identity, byte[] requestJson, byte[] now, long seed,
            PointerByReference outMessage, PointerByReference outInfo);
    int dmp_feed_check(byte[] message, SizeT len, byte[] trustPem, byte[] at, PointerByReference out);
    int dmp_feed_parse_response(byte[] contentType, byte[] body, SizeT len, PointerByReference out);

    int dmp_consult_build(Pointer identity, byte[] requestJson, byte[] searchResponse, SizeT searchLen,
            byte[] now, long seed, PointerByReference outMessage, PointerByReference outInfo);
    int dmp_consult_parse_response(byte[] contentType, byte[] body, SizeT len, byte[] actorJson,
            PointerByReference out);
    int dmp_retrieval_parse(byte[] contentType, byte[] body, SizeT len, PointerByReference out);
    SizeT dmp_retrieval_count(Pointer retrieval);
    int dmp_retrieval_document(Pointer retrieval, SizeT index, PointerByReference outDocument,
            PointerByReference outInfo, PointerByReference outN1);
    void dmp_retrieval_free(Pointer retrieval);
    int dmp_actor_profile_check(byte[] profileJson, PointerByReference out);

    int dmp_client_new(byte[] profileJson, byte[] profileDir, byte[] endpoint, PointerByReference out);
    void dmp_client_free(Pointer client);
    int dmp_send(Pointer client, Pointer identity, byte[] message, SizeT len, int timeoutMs,
            PointerByReference outResponse, PointerByReference outOutcome);

    int dmp_sandbox_start(byte[] dataDir, byte[] uiAddress, PointerByReference out);
    Pointer dmp_sandbox_base_url(Pointer sandbox);
    Pointer dmp_sandbox_ui_url(Pointer sandbox);
    void dmp_sandbox_free(Pointer sandbox);
}
