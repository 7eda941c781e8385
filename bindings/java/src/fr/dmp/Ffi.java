package fr.dmp;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import com.sun.jna.ptr.PointerByReference;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** What every call needs: strings in, bytes out, error codes turned into exceptions. */
final class Ffi {
    private Ffi() {}

    static final NativeLib LIB = NativeLib.LIB;

    /** A string as NUL-terminated UTF-8 (null stays null: an optional C argument). */
    static byte[] c(String s, String what) {
        if (s == null) {
            return null;
        }
        if (s.indexOf('\0') >= 0) {
            throw new IllegalArgumentException(what + " must not contain NUL characters");
        }
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[b.length + 1];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    static NativeLib.SizeT len(byte[] b) {
        return new NativeLib.SizeT(b == null ? 0 : b.length);
    }

    /** Throws the exception of the band of {@code rc} with this thread's last-error record. */
    static void check(int rc) {
        if (rc == 0) {
            return;
        }
        String json = lastErrorJson();
        Map<String, Object> record = null;
        if (json != null) {
            Object parsed = Json.parse(json);
            if (parsed instanceof Map<?, ?> m && Json.number(m.get("code")) == rc) {
                @SuppressWarnings("unchecked")
                Map<String, Object> r = (Map<String, Object>) m;
                record = r;
            }
        }
        if (record == null) { // should not happen: the record is per thread
            String name = cString(LIB.dmp_result_name(rc));
            json = Json.write(Map.of("code", (long) rc, "name", name, "message", name));
            record = Json.object(Json.parse(json));
        }
        throw DmpException.of(rc, record, json);
    }

    private static String lastErrorJson() {
        Memory n = new Memory(Native.SIZE_T_SIZE);
        LIB.dmp_last_error_json(null, new NativeLib.SizeT(0), n);
        long need = Native.SIZE_T_SIZE == 8 ? n.getLong(0) : n.getInt(0) & 0xffffffffL;
        byte[] buf = new byte[(int) need + 1];
        if (LIB.dmp_last_error_json(buf, new NativeLib.SizeT(buf.length), n) != 0) {
            return null;
        }
        return new String(buf, 0, (int) need, StandardCharsets.UTF_8);
    }

    /** Copies and frees a dmp_bytes (null for NULL). */
    static byte[] take(PointerByReference ref) {
        Pointer p = ref.getValue();
        if (p == null) {
            return null;
        }
        try {
            long n = LIB.dmp_bytes_len(p).longValue();
            return n == 0 ? new byte[0] : LIB.dmp_bytes_data(p).getByteArray(0, (int) n);
        } finally {
            LIB.dmp_bytes_free(p);
        }
    }

    static String takeText(PointerByReference ref) {
        byte[] b = take(ref);
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static String cString(Pointer p) {
        return p == null ? null : p.getString(0, "UTF-8");
    }
}
