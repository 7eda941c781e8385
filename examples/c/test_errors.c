/*
 * test_errors: the error conventions of libdmp, checked from C.
 *
 * NULL arguments, invalid UTF-8, invalid JSON (code band + JSON path in the last-error
 * record), broken model rules (field/rule/value), the buffer-too-small protocol, outputs
 * left untouched on error, NULL-safe free functions; signing identities (wrong PKCS#12
 * password, missing file, NULL identity, a refusing signing callback), TD2.1 requests
 * (documents not inline, invalid JSON, bad time, unreadable messages and responses), and the
 * consultation functions (NULL and invalid arguments, the missing consent, a metadata update
 * without its TD3.1 response, answers that are not what was asked, a SOAP fault refused with
 * DMP_ERR_DMP_REFUSED, invalid actor profiles).
 * Exits non-zero if any check fails. Run from the repository root (it reads
 * examples/pki/org-sign.p12) under ASan/UBSan and valgrind by .ci/ffi-checks.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmp.h"

static int failures = 0;
static int checks = 0;

#define CHECK(cond, ...)                                                  \
    do {                                                                  \
        checks++;                                                         \
        if (!(cond)) {                                                    \
            failures++;                                                   \
            fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                 \
            fprintf(stderr, "\n");                                        \
        }                                                                 \
    } while (0)

/* A pointer value that the library must never write over on error. */
#define SENTINEL_BYTES ((dmp_bytes *)(void *)0x1)
#define SENTINEL_MATRIX ((dmp_matrix *)(void *)0x1)
#define SENTINEL_IDENTITY ((dmp_identity *)(void *)0x1)
#define SENTINEL_RETRIEVAL ((dmp_retrieval *)(void *)0x1)

/* This thread's last-error JSON record, in a static buffer. */
static const char *last_json(void) {
    static char buf[4096];
    size_t n = 0;
    if (dmp_last_error_json(buf, sizeof buf, &n) != DMP_OK) {
        return "(last error JSON too long)";
    }
    return buf;
}

static const char *last_message(void) {
    static char buf[4096];
    if (dmp_last_error_message(buf, sizeof buf, NULL) != DMP_OK) {
        return "(last error message too long)";
    }
    return buf;
}

static void test_null_arguments(void) {
    dmp_bytes *out = SENTINEL_BYTES;
    dmp_result r = dmp_check_ins(NULL, "1.2.250.1.213.1.4.10", &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(dmp_result_is_argument_error(r), "band of %u", (unsigned)r);
    CHECK(out == SENTINEL_BYTES, "output written on error");
    CHECK(strstr(last_json(), "\"argument\":\"matricule\"") != NULL, "%s", last_json());
    CHECK(strstr(last_message(), "matricule") != NULL, "%s", last_message());

    r = dmp_matrix_new_default(NULL);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"out\"") != NULL, "%s", last_json());

    out = SENTINEL_BYTES;
    r = dmp_matrix_decide(NULL, "{}", "74207-2", &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"matrix\"") != NULL, "%s", last_json());
    CHECK(out == SENTINEL_BYTES, "output written on error");

    r = dmp_cda_build("{}", NULL, 10, "application/pdf", &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"content\"") != NULL, "%s", last_json());

    r = dmp_cda_read((const uint8_t *)"<x/>", 4, NULL, NULL);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"out_header_json\"") != NULL, "%s", last_json());

    r = dmp_rights_decide("air", NULL, "normal", "TD2.1", &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(out == SENTINEL_BYTES, "output written on error");
}

static void test_invalid_utf8(void) {
    dmp_bytes *out = SENTINEL_BYTES;
    dmp_result r = dmp_check_rpps("1000242297\xff", &out);
    CHECK(r == DMP_ERR_INVALID_UTF8, "got %s", dmp_result_name(r));
    CHECK(dmp_result_is_argument_error(r), "band of %u", (unsigned)r);
    CHECK(out == SENTINEL_BYTES, "output written on error");
    CHECK(strstr(last_json(), "\"argument\":\"rpps\"") != NULL, "%s", last_json());
    CHECK(dmp_last_error_code() == DMP_ERR_INVALID_UTF8, "code %u",
          (unsigned)dmp_last_error_code());
}

static void test_invalid_values(void) {
    dmp_bytes *out = SENTINEL_BYTES;
    dmp_result r = dmp_check_rpps("12345678901", &out);
    CHECK(r == DMP_ERR_INVALID, "got %s", dmp_result_name(r));
    CHECK(dmp_result_is_model_error(r), "band of %u", (unsigned)r);
    CHECK(out == SENTINEL_BYTES, "output written on error");
    const char *j = last_json();
    CHECK(strstr(j, "\"code\":2001") != NULL, "%s", j);
    CHECK(strstr(j, "\"field\":\"rpps\"") != NULL, "%s", j);
    CHECK(strstr(j, "\"rule\":") != NULL, "%s", j);
    CHECK(strstr(j, "\"value\":\"12345678901\"") != NULL, "%s", j);

    r = dmp_check_ins("245036912304502", "1.2.3", &out);
    CHECK(r == DMP_ERR_INVALID, "got %s", dmp_result_name(r));
    CHECK(out == SENTINEL_BYTES, "output written on error");

    r = dmp_rights_decide("carte_vitale", "non_ps", "normal", "TD2.1", &out);
    CHECK(r == DMP_ERR_INVALID, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"field\":\"auth\"") != NULL, "%s", last_json());

    r = dmp_cda_build("{}", (const uint8_t *)"x", 1, "application/msword", &out);
    CHECK(r == DMP_ERR_INVALID, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"field\":\"media_type\"") != NULL, "%s", last_json());
    CHECK(out == SENTINEL_BYTES, "output written on error");
}

static void test_invalid_json(void) {
    dmp_matrix *m = NULL;
    dmp_result r = dmp_matrix_new_default(&m);
    CHECK(r == DMP_OK && m != NULL, "matrix: %s", last_message());
    if (!m) {
        return;
    }
    dmp_bytes *out = SENTINEL_BYTES;

    /* Not JSON at all. */
    r = dmp_staff_report(m, "{\"structure\": ", &out);
    CHECK(r == DMP_ERR_JSON, "got %s", dmp_result_name(r));
    CHECK(dmp_result_is_model_error(r), "band of %u", (unsigned)r);
    CHECK(out == SENTINEL_BYTES, "output written on error");
    CHECK(strstr(last_json(), "\"argument\":\"staff_json\"") != NULL, "%s", last_json());

    /* A bad identifier deep inside: the record names its JSON path. */
    static const char staff[] =
        "{\"structure\":{\"name\":\"EHPAD\",\"finess_ej\":\"690800115\","
        "\"finess_et\":\"690800123\",\"sector\":\"SA17\",\"practice_setting\":\"ESSMS\"},\n"
        " \"staff\":[{\"idnat\":\"899900100019\",\"family_name\":\"MARTIN\","
        "\"given_name\":\"Claire\",\"profession\":{\"system\":\"TRE_G15\",\"code\":\"10\"},"
        "\"card\":\"cps\"},\n"
        "  {\"idnat\":\"899900100028\",\"family_name\":\"BERNARD\",\"given_name\":\"Sophie\","
        "\"profession\":{\"system\":\"TRE_G15\",\"code\":\"60\"},\"card\":\"none\"}]}";
    r = dmp_staff_report_text(m, staff, &out);
    CHECK(r == DMP_ERR_JSON, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(out == SENTINEL_BYTES, "output written on error");
    CHECK(strstr(last_json(), "\"path\":\"staff[1].idnat\"") != NULL, "%s", last_json());
    CHECK(strstr(last_json(), "\"line\":3") != NULL, "%s", last_json());
    CHECK(strstr(last_message(), "99900100028") != NULL, "%s", last_message());

    /* The same list with a valid RPPS-based IdNat works. */
    char fixed[sizeof staff];
    memcpy(fixed, staff, sizeof staff);
    char *bad = strstr(fixed, "899900100028");
    if (bad) {
        memcpy(bad, "899900100027", 12);
    }
    out = NULL;
    r = dmp_staff_report(m, fixed, &out);
    CHECK(r == DMP_OK, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(out != NULL && strstr((const char *)dmp_bytes_data(out), "\"entries\"") != NULL,
          "report JSON");
    dmp_bytes_free(out);

    /* Strict reader document: a misspelt member is refused, not ignored. */
    out = SENTINEL_BYTES;
    r = dmp_matrix_decide(m, "{\"profesion\":{\"system\":\"TRE_G15\",\"code\":\"60\"}}",
                          "74207-2", &out);
    CHECK(r == DMP_ERR_JSON, "got %s", dmp_result_name(r));
    CHECK(out == SENTINEL_BYTES, "output written on error");

    /* CDA header JSON: the path of the bad member. */
    r = dmp_cda_build("{\"kind\": \"nope\"}", (const uint8_t *)"x", 1, "text/plain", &out);
    CHECK(r == DMP_ERR_JSON, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"path\":\"kind\"") != NULL, "%s", last_json());
    CHECK(out == SENTINEL_BYTES, "output written on error");

    /* Settings: unknown member. */
    dmp_matrix *m2 = SENTINEL_MATRIX;
    r = dmp_matrix_with_settings(m, "{\"social_rows\": true}", &m2);
    CHECK(r == DMP_ERR_JSON, "got %s", dmp_result_name(r));
    CHECK(m2 == SENTINEL_MATRIX, "output written on error");

    /* Matrix JSON that is not one. */
    r = dmp_matrix_new_from_json("[]", &m2);
    CHECK(dmp_result_is_model_error(r), "got %s", dmp_result_name(r));
    CHECK(m2 == SENTINEL_MATRIX, "output written on error");

    dmp_matrix_free(m);
}

static void test_xml_errors(void) {
    dmp_bytes *h = SENTINEL_BYTES, *body = SENTINEL_BYTES;
    static const char not_cda[] = "<?xml version=\"1.0\"?><html/>";
    dmp_result r = dmp_cda_read((const uint8_t *)not_cda, strlen(not_cda), &h, &body);
    CHECK(r == DMP_ERR_XML, "got %s", dmp_result_name(r));
    CHECK(dmp_result_is_xml_error(r), "band of %u", (unsigned)r);
    CHECK(h == SENTINEL_BYTES && body == SENTINEL_BYTES, "outputs written on error");
    CHECK(strstr(last_json(), "\"source\":\"cda\"") != NULL, "%s", last_json());

    static const char entity[] =
        "<!DOCTYPE x [<!ENTITY a \"aaaa\">]><ClinicalDocument xmlns=\"urn:hl7-org:v3\"/>";
    r = dmp_cda_read((const uint8_t *)entity, strlen(entity), &h, &body);
    CHECK(r == DMP_ERR_XML, "DTD refused, got %s", dmp_result_name(r));
    CHECK(h == SENTINEL_BYTES && body == SENTINEL_BYTES, "outputs written on error");
}

static void test_buffer_protocol(void) {
    dmp_check_idnat("not an idnat", NULL);
    size_t n = 0;
    dmp_result r = dmp_last_error_message(NULL, 0, &n);
    CHECK(r == DMP_ERR_BUFFER_TOO_SMALL, "size query: %s", dmp_result_name(r));
    CHECK(n > 0, "length %zu", n);

    char *buf = malloc(n + 1);
    if (!buf) {
        return;
    }
    memset(buf, 'Z', n + 1);
    size_t n2 = 0;
    r = dmp_last_error_message(buf, n, &n2); /* one byte short: no room for the NUL */
    CHECK(r == DMP_ERR_BUFFER_TOO_SMALL, "got %s", dmp_result_name(r));
    CHECK(n2 == n, "%zu != %zu", n2, n);
    CHECK(buf[0] == 'Z' && buf[n - 1] == 'Z', "buffer written although too small");

    r = dmp_last_error_message(buf, n + 1, &n2);
    CHECK(r == DMP_OK, "got %s", dmp_result_name(r));
    CHECK(strlen(buf) == n, "strlen %zu, announced %zu", strlen(buf), n);
    CHECK(strstr(buf, "not an idnat") != NULL, "%s", buf);
    free(buf);

    /* The JSON record, same protocol; out_len may be NULL. */
    r = dmp_last_error_json(NULL, 0, &n);
    CHECK(r == DMP_ERR_BUFFER_TOO_SMALL && n > 0, "json size query");
    char small[8];
    r = dmp_last_error_json(small, sizeof small, NULL);
    CHECK(r == DMP_ERR_BUFFER_TOO_SMALL, "got %s", dmp_result_name(r));
    /* The accessors never change the last error. */
    CHECK(dmp_last_error_code() == DMP_ERR_INVALID, "code %u", (unsigned)dmp_last_error_code());

    /* A success clears it. */
    r = dmp_check_finess("690800123", NULL);
    CHECK(r == DMP_OK, "got %s", dmp_result_name(r));
    CHECK(dmp_last_error_message(NULL, 0, &n) == DMP_ERR_BUFFER_TOO_SMALL && n == 0, "%zu", n);
    char empty[1] = {'Z'};
    CHECK(dmp_last_error_message(empty, 1, &n) == DMP_OK && empty[0] == 0, "empty message");
    CHECK(strcmp(last_json(), "{\"code\":0,\"message\":\"\",\"name\":\"DMP_OK\"}") == 0, "%s",
          last_json());
}

static void test_free_and_accessors_null_safe(void) {
    dmp_bytes_free(NULL);
    dmp_matrix_free(NULL);
    CHECK(dmp_bytes_data(NULL) == NULL, "data(NULL)");
    CHECK(dmp_bytes_len(NULL) == 0, "len(NULL)");
}

static void test_names_and_bands(void) {
    CHECK(strcmp(dmp_result_name(DMP_ERR_JSON), "DMP_ERR_JSON") == 0, "name");
    CHECK(strcmp(dmp_result_name(DMP_ERR_DMP_REFUSED), "DMP_ERR_DMP_REFUSED") == 0, "name");
    CHECK(dmp_result_is_dmp_error(DMP_ERR_DMP_REFUSED), "7000 is 7xxx");
    CHECK(strcmp(dmp_result_name(12345), "DMP_ERR_UNKNOWN") == 0, "unknown name");
    CHECK(!dmp_result_is_argument_error(DMP_OK) && !dmp_result_is_model_error(DMP_OK), "OK");
    CHECK(dmp_result_is_argument_error(DMP_ERR_PANIC), "panic is 1xxx");
    CHECK(dmp_result_is_habilitation_error(3001) && dmp_result_is_key_error(4001) &&
              dmp_result_is_transport_error(6001) && dmp_result_is_dmp_error(7001),
          "reserved bands");
    CHECK(strcmp(dmp_version(), DMP_VERSION_STRING) == 0, "%s vs %s", dmp_version(),
          DMP_VERSION_STRING);
}

static void test_success_outputs(void) {
    dmp_bytes *out = NULL;
    dmp_result r = dmp_check_ins_cx("245036912304502^^^&1.2.250.1.213.1.4.10&ISO^NH", &out);
    CHECK(r == DMP_OK, "%s", last_message());
    if (out) {
        const char *j = (const char *)dmp_bytes_data(out);
        CHECK(strlen(j) == dmp_bytes_len(out), "NUL-terminated at len");
        CHECK(strstr(j, "\"matricule\":\"245036912304502\"") != NULL, "%s", j);
        dmp_bytes_free(out);
    }
    out = NULL;
    r = dmp_rights_decide("directe_cps", "medecin", "normal", "TD3.2", &out);
    CHECK(r == DMP_OK && out != NULL, "%s", last_message());
    dmp_bytes_free(out);
}

/* A signing "card" that refuses (PIN blocked): the library reports DMP_ERR_KEY. */
static int32_t refusing_card(void *user_data, const uint8_t *data, size_t len, uint8_t *sig_out,
                             size_t sig_cap, size_t *sig_len) {
    int *calls = (int *)user_data;
    (void)data;
    (void)len;
    (void)sig_out;
    (void)sig_cap;
    (void)sig_len;
    (*calls)++;
    return 42;
}

/* The smallest TD2.1 request that parses and reaches the document checks. */
static const char *const REQUEST_WITH_CASE_FILE =
    "{\"documents\":[{\"case\":\"../cases/dlu.json\"}],"
    "\"user\":{\"idnat\":\"899900100019\",\"family_name\":\"MARTIN\",\"given_name\":\"Claire\","
    "\"specialty\":\"G15_10/SM26\"},"
    "\"identity_status\":\"qualifiee\","
    "\"lps\":{\"id\":\"01.01.01.01\",\"nom\":\"DUI-EHPAD-DEMO\",\"version\":\"1.0.0\","
    "\"homologation\":\"TEST-HOMOLOGATION-0000\"},"
    "\"source_id\":\"1.2.250.1.999.1.1.7898.9\",\"environment\":\"test\"}";

static void test_identity_and_feed(void) {
    const char *p12_path = "examples/pki/org-sign.p12";
    dmp_identity *id = SENTINEL_IDENTITY;
    dmp_bytes *out = SENTINEL_BYTES, *info = SENTINEL_BYTES;

    /* Wrong password: key band, `what` in the record, output untouched. */
    dmp_result r = dmp_identity_new_from_p12_file(p12_path, "wrong password", &id);
    CHECK(r == DMP_ERR_KEY, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(dmp_result_is_key_error(r), "band of %u", (unsigned)r);
    CHECK(id == SENTINEL_IDENTITY, "output written on error");
    CHECK(strstr(last_json(), "\"code\":4000") != NULL, "%s", last_json());
    CHECK(strstr(last_json(), "\"what\":\"password\"") != NULL, "%s", last_json());

    r = dmp_identity_new_from_p12_file("examples/pki/no-such.p12", "dmp-test", &id);
    CHECK(r == DMP_ERR_INVALID_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"path\"") != NULL, "%s", last_json());
    r = dmp_identity_new_from_p12((const uint8_t *)"not a p12", 9, "dmp-test", &id);
    CHECK(r == DMP_ERR_KEY, "got %s", dmp_result_name(r));
    r = dmp_identity_new_from_p12(NULL, 10, "dmp-test", &id);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    r = dmp_identity_new_from_p12_file(p12_path, "dmp-test\xff", &id);
    CHECK(r == DMP_ERR_INVALID_UTF8, "got %s", dmp_result_name(r));
    CHECK(id == SENTINEL_IDENTITY, "output written on error");
    r = dmp_identity_new_from_callback("rsa-sha1", "-----BEGIN CERTIFICATE-----", NULL, NULL,
                                       &id);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"cb\"") != NULL, "%s", last_json());
    CHECK(id == SENTINEL_IDENTITY, "output written on error");

    /* NULL identity. */
    r = dmp_identity_info(NULL, &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    r = dmp_feed_build(NULL, REQUEST_WITH_CASE_FILE, NULL, 1, &out, &info);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"identity\"") != NULL, "%s", last_json());
    CHECK(out == SENTINEL_BYTES && info == SENTINEL_BYTES, "output written on error");
    dmp_identity_free(NULL);

    id = NULL;
    r = dmp_identity_new_from_p12_file(p12_path, "dmp-test", &id);
    CHECK(r == DMP_OK && id != NULL, "%s", last_message());
    if (id) {
        /* A document given as a file: the ABI wants it inline; the field is named. */
        r = dmp_feed_build(id, REQUEST_WITH_CASE_FILE, "2026-11-20T15:00:00+01:00", 1, &out,
                           &info);
        CHECK(r == DMP_ERR_INVALID, "got %s: %s", dmp_result_name(r), last_message());
        CHECK(strstr(last_json(), "\"field\":\"documents[0].case\"") != NULL, "%s",
              last_json());
        /* Invalid JSON: the JSON path. */
        r = dmp_feed_build(id, "{\"documents\": 3}", NULL, 1, &out, NULL);
        CHECK(r == DMP_ERR_JSON, "got %s", dmp_result_name(r));
        CHECK(strstr(last_json(), "\"path\":\"documents\"") != NULL, "%s", last_json());
        CHECK(strstr(last_json(), "\"argument\":\"feed_request_json\"") != NULL, "%s",
              last_json());
        /* A time that is not RFC 3339. */
        r = dmp_feed_build(id, REQUEST_WITH_CASE_FILE, "20/11/2026", 1, &out, NULL);
        CHECK(r == DMP_ERR_INVALID_ARGUMENT, "got %s", dmp_result_name(r));
        CHECK(strstr(last_json(), "\"argument\":\"now_rfc3339\"") != NULL, "%s", last_json());
        r = dmp_feed_build(id, REQUEST_WITH_CASE_FILE, NULL, 1, NULL, NULL);
        CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
        CHECK(out == SENTINEL_BYTES && info == SENTINEL_BYTES, "output written on error");
        dmp_identity_free(id);
    }

    /* Unreadable messages and responses: XML band; a NULL message. */
    r = dmp_feed_check((const uint8_t *)"hello", 5, NULL, NULL, &out);
    CHECK(r != DMP_OK, "a non-MIME, non-XML message was accepted");
    r = dmp_feed_check(NULL, 5, NULL, NULL, &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    r = dmp_feed_check((const uint8_t *)"x", 1, "not PEM", NULL, &out);
    CHECK(r != DMP_OK, "a trust list without certificates was accepted");
    r = dmp_feed_parse_response("application/soap+xml", (const uint8_t *)"<oops", 5, &out);
    CHECK(r == DMP_ERR_XML || r == DMP_ERR_DATA, "got %s", dmp_result_name(r));
    r = dmp_feed_parse_response(NULL, (const uint8_t *)"<x/>", 4, &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(out == SENTINEL_BYTES, "output written on error");
}

static void test_refusing_callback(void) {
    static char chain[16384];
    FILE *f = fopen("examples/pki/org-sign-chain.pem", "rb");
    CHECK(f != NULL, "cannot open examples/pki/org-sign-chain.pem (run from the repo root)");
    if (!f) {
        return;
    }
    size_t n = fread(chain, 1, sizeof chain - 1, f);
    fclose(f);
    chain[n] = 0;
    int calls = 0;
    dmp_identity *id = NULL;
    dmp_result r = dmp_identity_new_from_callback("ecdsa-p256-sha256", chain, refusing_card,
                                                  &calls, &id);
    CHECK(r == DMP_ERR_KEY, "an ECDSA algorithm for an RSA key: got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"what\":\"algorithm\"") != NULL, "%s", last_json());
    r = dmp_identity_new_from_callback("rsa-sha1", chain, refusing_card, &calls, &id);
    CHECK(r == DMP_OK && id != NULL, "%s", last_message());
    dmp_bytes *info = NULL;
    r = dmp_identity_info(id, &info);
    CHECK(r == DMP_OK && strstr((const char *)dmp_bytes_data(info), "\"kind\":\"callback\""),
          "%s", last_message());
    dmp_bytes_free(info);
    CHECK(calls == 0, "the callback is called only when a request is built");
    dmp_identity_free(id);
}

/* The sample médecin's actor profile (examples/data/actors/medecin-coordonnateur-cps.json):
 * its mode and card, then the rest. */
#define ACTOR_REST                                                                      \
    "\"user\":{\"idnat\":\"899900100019\",\"family_name\":\"MARTIN\",\"given_name\":\"Claire\"," \
    "\"specialty\":\"G15_10/SM26\"},\"structure\":{\"name\":\"EHPAD Les Tilleuls\","         \
    "\"finess\":\"690800123\",\"sector\":\"SA17\",\"practice_setting\":\"ESSMS\"},"            \
    "\"lps\":{\"id\":\"01.01.01.01\",\"nom\":\"DUI-EHPAD-DEMO\",\"version\":\"1.0.0\","       \
    "\"homologation\":\"TEST-HOMOLOGATION-0000\"},"                                         \
    "\"source_id\":\"1.2.250.1.999.1.1.7898.9\",\"environment\":\"test\"}"
#define MEDECIN_ACTOR "{\"mode\":\"directe\",\"card\":\"cps\"," ACTOR_REST
#define TEST_INS "{\"matricule\":\"245036912304502\",\"oid\":\"1.2.250.1.213.1.4.10\"}"

static const char *const SEARCH_WITHOUT_CONSENT =
    "{\"actor\":" MEDECIN_ACTOR ",\"transaction\":{\"kind\":\"search\",\"ins\":" TEST_INS
    ",\"query\":{\"query\":\"find_documents\",\"patient\":" TEST_INS "}}}";
static const char *const MASK_REQUEST =
    "{\"actor\":" MEDECIN_ACTOR ",\"transaction\":{\"kind\":\"mask\",\"ins\":" TEST_INS
    ",\"unique_id\":\"1.2.250.1.999.1.1.7898.1.42\"}}";

/* A SOAP fault as the DMP sends it when it refuses the VIHF. */
static const char SOAP_FAULT[] =
    "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>"
    "<soap:Fault><soap:Code><soap:Value>soap:Sender</soap:Value></soap:Code>"
    "<soap:Reason><soap:Text xml:lang=\"fr\">VIHF invalide</soap:Text></soap:Reason>"
    "</soap:Fault></soap:Body></soap:Envelope>";
/* A TD3.1 answer (no entry): not a TD3.2 answer. */
static const char EMPTY_SEARCH[] =
    "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"><soap:Body>"
    "<q:AdhocQueryResponse xmlns:q=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" "
    "status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\"/>"
    "</soap:Body></soap:Envelope>";

static void test_consult_build(void) {
    dmp_identity *id = NULL;
    dmp_bytes *msg = SENTINEL_BYTES, *info = SENTINEL_BYTES;
    dmp_result r = dmp_consult_build(NULL, SEARCH_WITHOUT_CONSENT, NULL, 0, NULL, 1, &msg, &info);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"identity\"") != NULL, "%s", last_json());

    r = dmp_identity_new_from_p12_file("examples/pki/org-sign.p12", "dmp-test", &id);
    CHECK(r == DMP_OK && id != NULL, "%s", last_message());
    if (!id) {
        return;
    }
    r = dmp_consult_build(id, NULL, NULL, 0, NULL, 1, &msg, &info);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"request_json\"") != NULL, "%s", last_json());
    r = dmp_consult_build(id, SEARCH_WITHOUT_CONSENT, NULL, 0, NULL, 1, NULL, &info);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"out_message\"") != NULL, "%s", last_json());
    r = dmp_consult_build(id, "{\"actor\": \"\xe9\"}", NULL, 0, NULL, 1, &msg, &info);
    CHECK(r == DMP_ERR_INVALID_UTF8, "got %s", dmp_result_name(r));
    /* Invalid JSON: the JSON path and the argument. */
    r = dmp_consult_build(id, "{\"transaction\": 3}", NULL, 0, NULL, 1, &msg, &info);
    CHECK(r == DMP_ERR_JSON, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"request_json\"") != NULL, "%s", last_json());
    r = dmp_consult_build(id, SEARCH_WITHOUT_CONSENT, NULL, 0, "demain", 1, &msg, &info);
    CHECK(r == DMP_ERR_INVALID_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"now_rfc3339\"") != NULL, "%s", last_json());
    /* A consultation without the usager's consent: refused, the field named. */
    r = dmp_consult_build(id, SEARCH_WITHOUT_CONSENT, NULL, 0, "2026-12-01T10:00:00+01:00", 1,
                          &msg, &info);
    CHECK(r == DMP_ERR_INVALID, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(dmp_result_is_model_error(r), "band of %u", (unsigned)r);
    CHECK(strstr(last_json(), "\"field\":\"consent\"") != NULL, "%s", last_json());
    CHECK(strstr(last_json(), "\"value\":\"none given\"") != NULL, "%s", last_json());
    /* A metadata update needs the TD3.1 response holding the document's entry. */
    r = dmp_consult_build(id, MASK_REQUEST, NULL, 0, NULL, 1, &msg, &info);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"search_response\"") != NULL, "%s", last_json());
    r = dmp_consult_build(id, MASK_REQUEST, (const uint8_t *)"x", 1, NULL, 1, &msg, &info);
    CHECK(r == DMP_ERR_INVALID, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"field\":\"search_response\"") != NULL, "%s", last_json());
    r = dmp_consult_build(id, MASK_REQUEST, (const uint8_t *)EMPTY_SEARCH, strlen(EMPTY_SEARCH),
                          NULL, 1, &msg, &info);
    CHECK(r == DMP_ERR_INVALID, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"field\":\"unique_id\"") != NULL, "%s", last_json());
    CHECK(msg == SENTINEL_BYTES && info == SENTINEL_BYTES, "output written on error");
    dmp_identity_free(id);
}

static void test_consult_responses(void) {
    dmp_bytes *out = SENTINEL_BYTES;
    const uint8_t *fault = (const uint8_t *)SOAP_FAULT;
    dmp_result r;
    r = dmp_consult_parse_response("application/soap+xml", NULL, 5, NULL, &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    r = dmp_consult_parse_response("application/soap+xml", fault, strlen(SOAP_FAULT), NULL, NULL);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    r = dmp_consult_parse_response("application/soap+xml", (const uint8_t *)"<oops", 5, NULL,
                                   &out);
    CHECK(r == DMP_ERR_XML, "got %s: %s", dmp_result_name(r), last_message());
    r = dmp_consult_parse_response("application/soap+xml", fault, strlen(SOAP_FAULT),
                                   "{\"mode\": \"directe\"}", &out);
    CHECK(r == DMP_ERR_JSON, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"actor_profile_json\"") != NULL, "%s",
          last_json());
    CHECK(out == SENTINEL_BYTES, "output written on error");
    /* A refusal read as a whole is a result: DMP_OK, the DMP's codes verbatim. */
    out = NULL;
    r = dmp_consult_parse_response("application/soap+xml", fault, strlen(SOAP_FAULT), NULL, &out);
    CHECK(r == DMP_OK, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(out != NULL && strstr((const char *)dmp_bytes_data(out), "\"kind\":\"fault\""),
          "fault JSON");
    dmp_bytes_free(out);
    /* The same with a NULL content type (the body is then a whole message). */
    out = NULL;
    r = dmp_consult_parse_response(NULL, fault, strlen(SOAP_FAULT), NULL, &out);
    CHECK(r == DMP_OK, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(out != NULL && strstr((const char *)dmp_bytes_data(out), "\"kind\":\"fault\""),
          "fault JSON");
    dmp_bytes_free(out);

    /* Where the documents are needed, a refusal is an error of the 7xxx band. */
    dmp_retrieval *h = SENTINEL_RETRIEVAL;
    r = dmp_retrieval_parse("application/soap+xml", fault, strlen(SOAP_FAULT), &h);
    CHECK(r == DMP_ERR_DMP_REFUSED, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(dmp_result_is_dmp_error(r), "band of %u", (unsigned)r);
    CHECK(strstr(last_json(), "\"dmp_error\":{") != NULL, "%s", last_json());
    CHECK(strstr(last_json(), "VIHF invalide") != NULL, "%s", last_json());
    r = dmp_retrieval_parse("application/soap+xml", (const uint8_t *)EMPTY_SEARCH,
                            strlen(EMPTY_SEARCH), &h);
    CHECK(r == DMP_ERR_INVALID_ARGUMENT, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(strstr(last_json(), "\"argument\":\"body\"") != NULL, "%s", last_json());
    /* A NULL content type: the body is the whole HTTP response dmp_send gives (or bare XML). */
    r = dmp_retrieval_parse(NULL, fault, strlen(SOAP_FAULT), &h);
    CHECK(r == DMP_ERR_DMP_REFUSED, "got %s: %s", dmp_result_name(r), last_message());
    r = dmp_retrieval_parse(NULL, (const uint8_t *)"HTTP/1.1 200 OK\r\n\r\n", 19, &h);
    CHECK(r == DMP_ERR_DATA, "got %s: %s", dmp_result_name(r), last_message());
    r = dmp_retrieval_parse("application/soap+xml", fault, strlen(SOAP_FAULT), NULL);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(h == SENTINEL_RETRIEVAL, "output written on error");
    out = SENTINEL_BYTES;
    r = dmp_retrieval_document(NULL, 0, &out, NULL, NULL);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"retrieval\"") != NULL, "%s", last_json());
    CHECK(out == SENTINEL_BYTES, "output written on error");
    CHECK(dmp_retrieval_count(NULL) == 0, "count(NULL)");
    dmp_retrieval_free(NULL);
}

static void test_actor_profile_check(void) {
    dmp_bytes *out = SENTINEL_BYTES;
    dmp_result r = dmp_actor_profile_check(NULL, &out);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    r = dmp_actor_profile_check(MEDECIN_ACTOR, NULL);
    CHECK(r == DMP_ERR_NULL_ARGUMENT, "got %s", dmp_result_name(r));
    r = dmp_actor_profile_check("{}", &out);
    CHECK(r == DMP_ERR_JSON, "got %s", dmp_result_name(r));
    CHECK(strstr(last_json(), "\"argument\":\"actor_profile_json\"") != NULL, "%s",
          last_json());
    /* A card in indirect mode: the rule of the profile. */
    static const char card_in_indirect[] = "{\"mode\":\"indirecte\",\"card\":\"cps\"," ACTOR_REST;
    r = dmp_actor_profile_check(card_in_indirect, &out);
    CHECK(r == DMP_ERR_INVALID, "got %s: %s", dmp_result_name(r), last_message());
    CHECK(strstr(last_json(), "\"field\":\"card\"") != NULL, "%s", last_json());
    CHECK(out == SENTINEL_BYTES, "output written on error");
    out = NULL;
    r = dmp_actor_profile_check(MEDECIN_ACTOR, &out);
    CHECK(r == DMP_OK && out != NULL, "%s", last_message());
    if (out) {
        const char *j = (const char *)dmp_bytes_data(out);
        CHECK(strstr(j, "\"vihf_mode\":\"DIRECTE\"") != NULL, "%s", j);
        CHECK(strstr(j, "\"actor\":\"medecin\"") != NULL, "%s", j);
        dmp_bytes_free(out);
    }
}

int main(void) {
    test_null_arguments();
    test_invalid_utf8();
    test_invalid_values();
    test_invalid_json();
    test_xml_errors();
    test_buffer_protocol();
    test_free_and_accessors_null_safe();
    test_names_and_bands();
    test_success_outputs();
    test_identity_and_feed();
    test_refusing_callback();
    test_consult_build();
    test_consult_responses();
    test_actor_profile_check();
    printf("test_errors: %d checks, %d failed\n", checks, failures);
    return failures == 0 ? 0 : 1;
}
