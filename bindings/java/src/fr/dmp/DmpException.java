package fr.dmp;

import java.util.Map;

/**
 * An error reported by libdmp: its {@link #code()} (stable, in bands of a thousand), its
 * {@link #name()} ({@code "DMP_ERR_INVALID"}…), a message for people, and when they apply the
 * {@link #argument()} at fault, the {@link #field()}, {@link #rule()} and {@link #value()} of
 * a broken model rule, the JSON {@link #path()} of an input, and the DMP's own refusal
 * ({@link #dmpError()}, verbatim). One subclass per band, so callers catch what they handle.
 */
public class DmpException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int code;
    private final String recordJson;
    private final transient Map<String, Object> record;

    DmpException(int code, Map<String, Object> record, String recordJson) {
        super(record.get("name") + " (" + code + "): " + record.get("message"));
        this.code = code;
        this.record = record;
        this.recordJson = recordJson;
    }

    static DmpException of(int code, Map<String, Object> record, String json) {
        return switch (code / 1000) {
            case 1 -> new ArgumentError(code, record, json);
            case 2 -> new ModelError(code, record, json);
            case 3 -> new HabilitationError(code, record, json);
            case 4 -> new KeyError(code, record, json);
            case 5 -> new XmlError(code, record, json);
            case 6 -> new TransportError(code, record, json);
            case 7 -> new DmpRefused(code, record, json);
            default -> new DmpException(code, record, json);
        };
    }

    private String text(String member) {
        Object v = record == null ? null : record.get(member);
        return v == null ? null : v.toString();
    }

    /** The result code ({@code 2001}…). */
    public int code() {
        return code;
    }

    /** The code's name ({@code "DMP_ERR_INVALID"}…). */
    public String name() {
        return text("name");
    }

    /** The library's message (English, the offending values quoted). */
    public String message() {
        return text("message");
    }

    /** The C argument at fault (1xxx, and JSON errors: {@code "header_json"}…), or null. */
    public String argument() {
        return text("argument");
    }

    /** The field of a broken rule ({@code "finess"}, {@code "consent"}…), or null. */
    public String field() {
        return text("field");
    }

    /** The rule broken, or null. */
    public String rule() {
        return text("rule");
    }

    /** The value refused, or null. */
    public String value() {
        return text("value");
    }

    /** Where in a JSON input ({@code "staff[1].idnat"}), or null. */
    public String path() {
        return text("path");
    }

    /** The DMP's refusal as JSON ({@code {"source", "code", "details": [{"code", "text"}]}}), or null. */
    public String dmpError() {
        Object v = record == null ? null : record.get("dmp_error");
        return v == null ? null : Json.write(v);
    }

    /** The whole last-error record, as JSON. */
    public String recordJson() {
        return recordJson;
    }

    /** The whole last-error record, parsed ({@link Json}). */
    public Map<String, Object> record() {
        return record;
    }

    /** 1xxx: NULL or non-UTF-8 argument, buffer too small, a caught panic. */
    public static class ArgumentError extends DmpException {
        private static final long serialVersionUID = 1L;

        ArgumentError(int c, Map<String, Object> r, String j) {
            super(c, r, j);
        }
    }

    /** 2xxx: JSON input or model validation (field, rule, value, JSON path). */
    public static class ModelError extends DmpException {
        private static final long serialVersionUID = 1L;

        ModelError(int c, Map<String, Object> r, String j) {
            super(c, r, j);
        }
    }

    /** 3xxx: habilitation or functional-rights refusal (reserved). */
    public static class HabilitationError extends DmpException {
        private static final long serialVersionUID = 1L;

        HabilitationError(int c, Map<String, Object> r, String j) {
            super(c, r, j);
        }
    }

    /** 4xxx: key, certificate, PKCS#12 ({@code record().get("what")}: password, usage…). */
    public static class KeyError extends DmpException {
        private static final long serialVersionUID = 1L;

        KeyError(int c, Map<String, Object> r, String j) {
            super(c, r, j);
        }
    }

    /** 5xxx: XML or signature. */
    public static class XmlError extends DmpException {
        private static final long serialVersionUID = 1L;

        XmlError(int c, Map<String, Object> r, String j) {
            super(c, r, j);
        }
    }

    /** 6xxx: transport settings (6000), not sent (6001: may be sent again), outcome unknown
     *  (6002: search the DMP before sending again), sandbox (6003). */
    public static class TransportError extends DmpException {
        private static final long serialVersionUID = 1L;

        TransportError(int c, Map<String, Object> r, String j) {
            super(c, r, j);
        }
    }

    /** 7xxx: the DMP refused where a result was needed; its codes and texts in {@link #dmpError()}. */
    public static class DmpRefused extends DmpException {
        private static final long serialVersionUID = 1L;

        DmpRefused(int c, Map<String, Object> r, String j) {
            super(c, r, j);
        }
    }
}
