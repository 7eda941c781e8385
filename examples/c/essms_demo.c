/*
 * essms_demo: what an ESSMS DUI does with libdmp, from C.
 *
 *   essms_demo OUT.xml [DATA_DIR [REQUEST.mime [SANDBOX_DIR]]]
 *       DATA_DIR defaults to examples/data; the test PKI is DATA_DIR/../pki;
 *       REQUEST.mime defaults to OUT.xml with ".td21.mime" appended.
 *
 * 1. checks an INS and prints its HL7 CX form;
 * 2. prints the "professionnels concernés" staff report of DATA_DIR/ehpad-staff.json;
 * 3. decides one cell of the habilitation matrix (a nurse, a DLU);
 * 4. builds the DLU CDA of DATA_DIR/cases/dlu.json (its "header" object + sample.pdf) into
 *    OUT.xml, then reads it back and checks the embedded PDF;
 * 5. loads the establishment's signing identity (PKI/org-sign.p12, password in PKI/PASSWORD)
 *    and prints what it is;
 * 6. builds the TD2.1 feed request for that DLU (the request of DATA_DIR/feed/dlu.json with
 *    the document inline: the case header + the PDF in base64) into REQUEST.mime, at a fixed
 *    time and seed (so two runs write the same bytes);
 * 7. checks the request as the DMP will (signatures, chain to PKI/root.pem + org-ca.pem,
 *    metadata against the CDA) and prints the verdict;
 * 8. as the médecin coordonnateur (DATA_DIR/actors/medecin-coordonnateur-cps.json, her CPS
 *    signature key PKI/cps-sign.p12, direct mode), builds a TD0.2 status request and a TD3.1
 *    document search with a care-team consent for the first usager of DATA_DIR/usagers.json,
 *    prints their size and transaction, then shows the typed refusal of the same search
 *    without the consent (DMP_ERR_INVALID, field "consent");
 * 9. with SANDBOX_DIR: over the wire. Starts the local DMP sandbox in-process (mutual TLS on
 *    127.0.0.1, SQLite in SANDBOX_DIR), then as the EHPAD (DATA_DIR/actors/ehpad-etablissement.json,
 *    whose "transport" names its TLS certificate and the server root) sends a TD0.2 and the
 *    TD2.1 of the DLU built now, shows the DMP's refusal of the same submission sent twice
 *    (its code passed through), and as the médecin retrieves the DLU (TD3.2) and checks that
 *    its bytes are the CDA of step 4, finds its entry (TD3.1 reference search), archives it
 *    (TD3.3d), declares herself authorised (TD0.3) and lists her DMPs (TD0.4);
 * 10. with SANDBOX_DIR: the establishment's journal (SANDBOX_DIR/journal.sqlite, under a
 *    TEST-ONLY establishment key): a second DLU (its own ids) is journaled, not sent; the
 *    flush sends it as the EHPAD; the facts show it accepted.
 *
 * Build (see dmp-ffi/README.md):
 *   cargo build -p dmp-ffi
 *   gcc -std=c99 -Wall -Iinclude examples/c/essms_demo.c target/debug/libdmp.a \
 *       -lpthread -ldl -lm -o essms_demo
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmp.h"

/* Prints the failed call, its code and the library's message; returns 1 for main(). */
static int report_failure(const char *what, dmp_result r) {
    char msg[1024];
    size_t n = 0;
    if (dmp_last_error_message(msg, sizeof msg, &n) != DMP_OK) {
        snprintf(msg, sizeof msg, "(message of %zu bytes truncated)", n);
    }
    fprintf(stderr, "essms_demo: %s failed: %s (%u): %s\n", what, dmp_result_name(r),
            (unsigned)r, msg);
    return 1;
}

/* Reads a whole file; the result is NUL-terminated (not counted in *len). NULL on error. */
static unsigned char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    unsigned char *buf = NULL;
    size_t cap = 0, n = 0;
    if (!f) {
        perror(path);
        return NULL;
    }
    for (;;) {
        if (n + 4096 + 1 > cap) {
            size_t ncap = cap ? cap * 2 : 65536;
            unsigned char *nb = realloc(buf, ncap);
            if (!nb) {
                free(buf);
                fclose(f);
                return NULL;
            }
            buf = nb;
            cap = ncap;
        }
        size_t got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
        if (got == 0) {
            break;
        }
    }
    if (ferror(f)) {
        perror(path);
        free(buf);
        fclose(f);
        return NULL;
    }
    fclose(f);
    buf[n] = 0;
    *len = n;
    return buf;
}

static int write_file(const char *path, const uint8_t *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f) {
        perror(path);
        return -1;
    }
    size_t put = fwrite(data, 1, len, f);
    if (fclose(f) != 0 || put != len) {
        perror(path);
        return -1;
    }
    return 0;
}

/*
 * Returns a malloc'ed copy of the JSON object that is the value of the top-level member
 * `key` of `json` (a naive scanner that respects strings, good enough for the sample case
 * file). A real DUI builds the header JSON from its own records instead.
 */
static char *json_member_object(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\"", key);
    const char *p = strstr(json, pattern);
    if (!p) {
        return NULL;
    }
    p = strchr(p + strlen(pattern), '{');
    if (!p) {
        return NULL;
    }
    int depth = 0, in_string = 0;
    for (const char *q = p; *q; q++) {
        if (in_string) {
            if (*q == '\\' && q[1]) {
                q++;
            } else if (*q == '"') {
                in_string = 0;
            }
        } else if (*q == '"') {
            in_string = 1;
        } else if (*q == '{') {
            depth++;
        } else if (*q == '}' && --depth == 0) {
            size_t n = (size_t)(q - p) + 1;
            char *out = malloc(n + 1);
            if (out) {
                memcpy(out, p, n);
                out[n] = 0;
            }
            return out;
        }
    }
    return NULL;
}

/* Standard base64 of `data` (malloc'ed, NUL-terminated). NULL when out of memory. */
static char *base64(const unsigned char *data, size_t len) {
    static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *out = malloc((len + 2) / 3 * 4 + 1);
    char *o = out;
    if (!out) {
        return NULL;
    }
    for (size_t i = 0; i < len; i += 3) {
        unsigned long n = (unsigned long)data[i] << 16;
        if (i + 1 < len) {
            n |= (unsigned long)data[i + 1] << 8;
        }
        if (i + 2 < len) {
            n |= data[i + 2];
        }
        *o++ = A[(n >> 18) & 63];
        *o++ = A[(n >> 12) & 63];
        *o++ = i + 1 < len ? A[(n >> 6) & 63] : '=';
        *o++ = i + 2 < len ? A[n & 63] : '=';
    }
    *o = 0;
    return out;
}

/* Concatenates two files (NUL-terminated, malloc'ed). NULL on error. */
static char *read_two(const char *a, const char *b) {
    size_t la = 0, lb = 0;
    unsigned char *x = read_file(a, &la), *y = x ? read_file(b, &lb) : NULL;
    char *out = y ? malloc(la + lb + 1) : NULL;
    if (out) {
        memcpy(out, x, la);
        memcpy(out + la, y, lb);
        out[la + lb] = 0;
    }
    free(x);
    free(y);
    return out;
}

/*
 * Prints the string value of the first member `key` of a flat JSON text (the info JSON of a
 * request, the last-error record), or "?" when absent. Enough for values without escapes.
 */
static void print_json_string(const char *json, const char *key) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *p = strstr(json, pattern);
    const char *end = p ? strchr(p + strlen(pattern), '"') : NULL;
    if (!end) {
        fputs("?", stdout);
        return;
    }
    p += strlen(pattern);
    fwrite(p, 1, (size_t)(end - p), stdout);
}

/* The fixed time and seed of the consultation requests (reproducible bytes; a DUI passes
 * NULL, now, and 0, a random seed). */
#define CONSULT_NOW "2026-12-01T10:00:00+01:00"
#define CONSULT_SEED 20261201

/* Builds one consultation request and prints its size, transaction and service path. */
static int build_and_print(const dmp_identity *card, const char *request, const char *label) {
    dmp_bytes *message = NULL, *info = NULL;
    dmp_result r =
        dmp_consult_build(card, request, NULL, 0, CONSULT_NOW, CONSULT_SEED, &message, &info);
    if (r != DMP_OK) {
        return report_failure("dmp_consult_build", r);
    }
    printf("%s: %zu bytes, transaction ", label, dmp_bytes_len(message));
    print_json_string((const char *)dmp_bytes_data(info), "transaction");
    printf(", to ");
    print_json_string((const char *)dmp_bytes_data(info), "path");
    printf("\n");
    dmp_bytes_free(info);
    dmp_bytes_free(message);
    return 0;
}

/*
 * Step 8: consultation requests as the médecin coordonnateur. `password` unlocks her
 * PKCS#12. Returns 0 when everything behaved as expected.
 */
static int consult_as_medecin(const char *data_dir, const char *password) {
    static const char status_fmt[] =
        "{\"actor\":%s,\"transaction\":{\"kind\":\"status\",\"ins\":%s}}";
    /* %s: the actor, the consent member (or nothing), the INS twice. */
    static const char search_fmt[] =
        "{\"actor\":%s,%s\"transaction\":{\"kind\":\"search\",\"ins\":%s,"
        "\"query\":{\"query\":\"find_documents\",\"patient\":%s}}}";
    /* She is in the usager's care team: the usager gave the initial consent, was informed
     * and did not object. */
    static const char care_team[] =
        "\"consent\":{\"care_team\":{\"initial_consent_at\":\"2026-01-15T09:00:00+01:00\","
        "\"informed\":true}},";
    char path[4096], record[4096];
    int status = 1;
    size_t actor_len = 0, usagers_len = 0, record_len = 0, n = 0;
    dmp_result r;
    dmp_identity *card = NULL;
    dmp_bytes *message = NULL;
    unsigned char *actor = NULL, *usagers = NULL;
    char *ins = NULL, *request = NULL;

    snprintf(path, sizeof path, "%s/actors/medecin-coordonnateur-cps.json", data_dir);
    if (!(actor = read_file(path, &actor_len))) {
        goto done;
    }
    snprintf(path, sizeof path, "%s/usagers.json", data_dir);
    if (!(usagers = read_file(path, &usagers_len))) {
        goto done;
    }
    /* The first "ins" of the file: the first usager's {"matricule", "oid"}. */
    if (!(ins = json_member_object((const char *)usagers, "ins"))) {
        fprintf(stderr, "essms_demo: no \"ins\" in %s\n", path);
        goto done;
    }
    n = actor_len + 2 * strlen(ins) + sizeof search_fmt + sizeof care_team;
    if (!(request = malloc(n))) {
        goto done;
    }
    /* Her CPS signature key signs the VIHF in direct mode (a DUI signs with the card itself
     * through a callback identity, dmp_identity_new_from_callback). */
    snprintf(path, sizeof path, "%s/../pki/cps-sign.p12", data_dir);
    r = dmp_identity_new_from_p12_file(path, password, &card);
    if (r != DMP_OK) {
        status = report_failure("dmp_identity_new_from_p12_file (CPS)", r);
        goto done;
    }

    /* TD0.2: does the usager have a DMP, may she use it (no consent needed). */
    snprintf(request, n, status_fmt, (const char *)actor, ins);
    if (build_and_print(card, request, "TD0.2 status request") != 0) {
        goto done;
    }
    /* TD3.1: the usager's documents, under the care-team consent. */
    snprintf(request, n, search_fmt, (const char *)actor, care_team, ins, ins);
    if (build_and_print(card, request, "TD3.1 search request (care-team consent)") != 0) {
        goto done;
    }
    /* The same search without the consent: refused before anything is signed, with the
     * field and the rule; the output is left untouched. */
    snprintf(request, n, search_fmt, (const char *)actor, "", ins, ins);
    r = dmp_consult_build(card, request, NULL, 0, CONSULT_NOW, CONSULT_SEED, &message, NULL);
    if (r != DMP_ERR_INVALID || message != NULL ||
        dmp_last_error_json(record, sizeof record, &record_len) != DMP_OK ||
        !strstr(record, "\"field\":\"consent\"")) {
        fprintf(stderr, "essms_demo: a search without consent was not refused as expected (%s)\n",
                dmp_result_name(r));
        goto done;
    }
    printf("TD3.1 search without consent: %s (%u), field ", dmp_result_name(r), (unsigned)r);
    print_json_string(record, "field");
    printf(": ");
    print_json_string(record, "rule");
    printf("\n");
    status = 0;

done:
    dmp_bytes_free(message);
    dmp_identity_free(card);
    free(request);
    free(ins);
    free(usagers);
    free(actor);
    return status;
}

/* Sends `message` with `client`, signed checks by `identity`; prints the outcome. Returns the
 * result; on DMP_OK `*response` holds the HTTP response (the caller frees it). */
static dmp_result send_and_print(const dmp_client *client, const dmp_identity *identity,
                                 const dmp_bytes *message, const char *label,
                                 dmp_bytes **response) {
    dmp_bytes *outcome = NULL;
    char record[4096];
    size_t record_len = 0;
    dmp_result r = dmp_send(client, identity, dmp_bytes_data(message), dmp_bytes_len(message),
                            30000, response, &outcome);
    if (r == DMP_OK) {
        printf("%s: ", label);
        print_json_string((const char *)dmp_bytes_data(outcome), "outcome");
        printf(" (HTTP %s)\n",
               strstr((const char *)dmp_bytes_data(outcome), "\"http_status\":200") ? "200"
                                                                                     : "other");
        dmp_bytes_free(outcome);
    } else if (dmp_last_error_json(record, sizeof record, &record_len) == DMP_OK) {
        printf("%s: %s: %s\n", label, dmp_result_name(r), record);
    }
    return r;
}

/* Builds a consultation request (`request`, with `search` the TD3.1 answer an update needs, or
 * NULL) now with random ids, sends it, and keeps the HTTP response in `*response` (freed
 * first). Returns the result of dmp_send (or of the build). */
static dmp_result consult_send(const dmp_client *client, const dmp_identity *card,
                               const char *request, const dmp_bytes *search, const char *label,
                               dmp_bytes **response) {
    dmp_bytes *message = NULL;
    dmp_result r;
    dmp_bytes_free(*response);
    *response = NULL;
    r = dmp_consult_build(card, request, search ? dmp_bytes_data(search) : NULL,
                          search ? dmp_bytes_len(search) : 0, NULL, 0, &message, NULL);
    if (r != DMP_OK) {
        report_failure(label, r);
        return r;
    }
    r = send_and_print(client, card, message, label, response);
    dmp_bytes_free(message);
    return r;
}

/*
 * Step 10: the journal. `feed_request` with the DLU's ids changed (a document of its own) is
 * journaled, then flushed to the sandbox as the EHPAD; the facts say it was accepted.
 */
static int journal_step(const dmp_client *ehpad, const dmp_identity *seal,
                        const char *feed_request, const char *sandbox_dir) {
    /* TEST ONLY: a real DUI keeps 32 random bytes per establishment as a secret
     * (head -c 32 /dev/urandom), never in its code. */
    static const char key[] = "TEST-ONLY-do-not-use-in-prod-key";
    static const char old_ids[] = "7898.3.100", new_ids[] = "7898.3.200";
    char path[4096];
    int status = 1;
    dmp_result r;
    dmp_journal *journal = NULL;
    dmp_bytes *deposited = NULL, *report = NULL, *facts = NULL;
    /* Same length, so the copy is the request with every occurrence replaced. */
    char *second = malloc(strlen(feed_request) + 1);
    if (!second) {
        return 1;
    }
    strcpy(second, feed_request);
    for (char *at = strstr(second, old_ids); at; at = strstr(at, old_ids)) {
        memcpy(at, new_ids, sizeof new_ids - 1);
    }
    snprintf(path, sizeof path, "%s/journal.sqlite", sandbox_dir);
    r = dmp_journal_open(path, (const uint8_t *)key, sizeof key - 1, &journal);
    if (r != DMP_OK) {
        status = report_failure("dmp_journal_open", r);
        goto done;
    }
    r = dmp_journal_deposit(journal, second, "{\"author_role\":\"infirmier coordonnateur\"}",
                            &deposited);
    if (r != DMP_OK) {
        status = report_failure("dmp_journal_deposit", r);
        goto done;
    }
    printf("journal: deposited %s\n", (const char *)dmp_bytes_data(deposited));
    r = dmp_journal_flush(journal, ehpad, seal, &report);
    if (r != DMP_OK) {
        status = report_failure("dmp_journal_flush", r);
        goto done;
    }
    printf("journal: flushed %s\n", (const char *)dmp_bytes_data(report));
    if (!strstr((const char *)dmp_bytes_data(report), "\"accepted\":[1]")) {
        fprintf(stderr, "essms_demo: the journaled DLU was not accepted\n");
        goto done;
    }
    r = dmp_journal_facts(journal, NULL, NULL, &facts);
    if (r != DMP_OK) {
        status = report_failure("dmp_journal_facts", r);
        goto done;
    }
    if (!strstr((const char *)dmp_bytes_data(facts), "\"status\":\"accepted\"") ||
        !strstr((const char *)dmp_bytes_data(facts), "\"kind\":\"dlu\"")) {
        fprintf(stderr, "essms_demo: facts without the accepted DLU: %s\n",
                (const char *)dmp_bytes_data(facts));
        goto done;
    }
    printf("journal: facts (%zu bytes of JSON) hold the accepted DLU\n", dmp_bytes_len(facts));
    status = 0;

done:
    dmp_bytes_free(facts);
    dmp_bytes_free(report);
    dmp_bytes_free(deposited);
    dmp_journal_free(journal);
    free(second);
    return status;
}

/*
 * Step 9: the round trip with the local sandbox. `feed_request` is the TD2.1 request JSON of
 * step 6, `cda` the DLU of step 4. Returns 0 when everything behaved as expected.
 */
static int round_trip(const char *data_dir, const char *password, const dmp_identity *seal,
                      const char *feed_request, const dmp_bytes *cda, const char *sandbox_dir) {
    static const char status_fmt[] =
        "{\"actor\":%s,\"transaction\":{\"kind\":\"status\",\"ins\":%s}}";
    static const char retrieve_fmt[] =
        "{\"actor\":%s,\"consent\":{\"care_team\":{\"initial_consent_at\":"
        "\"2026-01-15T09:00:00+01:00\",\"informed\":true}},\"transaction\":{\"kind\":"
        "\"retrieve\",\"ins\":%s,\"documents\":[{\"repository_unique_id\":"
        "\"1.2.250.1.213.4.1.1.1.2\",\"document_unique_id\":\"%s\"}]}}";
    char path[4096], record[4096], unique_id[256] = "";
    size_t ehpad_len = 0, doctor_len = 0, kine_len = 0, usagers_len = 0, record_len = 0, n;
    int status = 1;
    dmp_result r;
    dmp_sandbox *sandbox = NULL;
    dmp_client *ehpad = NULL, *doctor = NULL, *kine_client = NULL;
    dmp_identity *card = NULL;
    dmp_bytes *message = NULL, *info = NULL, *response = NULL, *doc = NULL;
    dmp_retrieval *retrieval = NULL;
    unsigned char *ehpad_json = NULL, *doctor_json = NULL, *kine_json = NULL, *usagers = NULL;
    char *ins = NULL, *request = NULL, actors[4096];
    const char *at;

    r = dmp_sandbox_start(sandbox_dir, NULL, &sandbox);
    if (r != DMP_OK) {
        return report_failure("dmp_sandbox_start", r);
    }
    printf("DMP sandbox at %s\n", dmp_sandbox_base_url(sandbox));
    snprintf(actors, sizeof actors, "%s/actors", data_dir);
    snprintf(path, sizeof path, "%s/actors/ehpad-etablissement.json", data_dir);
    if (!(ehpad_json = read_file(path, &ehpad_len))) {
        goto done;
    }
    snprintf(path, sizeof path, "%s/actors/medecin-coordonnateur-cps.json", data_dir);
    if (!(doctor_json = read_file(path, &doctor_len))) {
        goto done;
    }
    snprintf(path, sizeof path, "%s/actors/kine-liberal-cps.json", data_dir);
    if (!(kine_json = read_file(path, &kine_len))) {
        goto done;
    }
    snprintf(path, sizeof path, "%s/usagers.json", data_dir);
    if (!(usagers = read_file(path, &usagers_len)) ||
        !(ins = json_member_object((const char *)usagers, "ins"))) {
        goto done;
    }
    /* One client per actor: its TLS identity and server roots (paths relative to the
     * profile's folder), the sandbox instead of the profile's base URL. */
    r = dmp_client_new((const char *)ehpad_json, actors, dmp_sandbox_base_url(sandbox), &ehpad);
    if (r != DMP_OK) {
        status = report_failure("dmp_client_new (EHPAD)", r);
        goto done;
    }
    r = dmp_client_new((const char *)doctor_json, actors, dmp_sandbox_base_url(sandbox), &doctor);
    if (r != DMP_OK) {
        status = report_failure("dmp_client_new (médecin)", r);
        goto done;
    }
    /* The kiné's profile names no TLS identity: refused with the JSON field. */
    r = dmp_client_new((const char *)kine_json, actors, dmp_sandbox_base_url(sandbox),
                       &kine_client);
    if (r != DMP_ERR_TRANSPORT_SETTINGS || kine_client != NULL) {
        fprintf(stderr, "essms_demo: a profile without transport was not refused (%s)\n",
                dmp_result_name(r));
        goto done;
    }
    printf("client for a profile without \"transport\": %s\n", dmp_result_name(r));

    /* TD0.2 as the EHPAD, built now (NULL) with random ids (0). */
    n = ehpad_len + strlen(ins) + sizeof status_fmt;
    if (!(request = malloc(n))) {
        goto done;
    }
    snprintf(request, n, status_fmt, (const char *)ehpad_json, ins);
    r = dmp_consult_build(seal, request, NULL, 0, NULL, 0, &message, NULL);
    if (r != DMP_OK) {
        status = report_failure("dmp_consult_build (TD0.2)", r);
        goto done;
    }
    if (send_and_print(ehpad, seal, message, "TD0.2 sent", &response) != DMP_OK) {
        goto done;
    }
    dmp_bytes_free(response);
    response = NULL;
    dmp_bytes_free(message);
    message = NULL;

    /* TD2.1 of the DLU, built now. */
    r = dmp_feed_build(seal, feed_request, NULL, 0, &message, &info);
    if (r != DMP_OK) {
        status = report_failure("dmp_feed_build", r);
        goto done;
    }
    at = strstr((const char *)dmp_bytes_data(info), "\"unique_id\":\"");
    if (!at || sscanf(at + 13, "%255[0-9.]", unique_id) != 1) {
        fprintf(stderr, "essms_demo: no unique_id in %s\n", (const char *)dmp_bytes_data(info));
        goto done;
    }
    if (send_and_print(ehpad, seal, message, "TD2.1 sent", &response) != DMP_OK) {
        goto done;
    }
    dmp_bytes_free(response);
    response = NULL;
    /* The same submission again: the DMP's refusal, its code passed through unchanged. */
    r = send_and_print(ehpad, seal, message, "TD2.1 sent twice", &response);
    if (r != DMP_ERR_DMP_REFUSED || response != NULL ||
        dmp_last_error_json(record, sizeof record, &record_len) != DMP_OK ||
        !strstr(record, "XDSDuplicateUniqueIdInRegistry")) {
        fprintf(stderr, "essms_demo: the duplicate was not refused as the DMP does (%s)\n",
                dmp_result_name(r));
        goto done;
    }

    /* TD3.2 as the médecin coordonnateur, with her card and a care-team consent. */
    snprintf(path, sizeof path, "%s/../pki/cps-sign.p12", data_dir);
    r = dmp_identity_new_from_p12_file(path, password, &card);
    if (r != DMP_OK) {
        status = report_failure("dmp_identity_new_from_p12_file (CPS)", r);
        goto done;
    }
    free(request);
    n = doctor_len + strlen(ins) + strlen(unique_id) + sizeof retrieve_fmt;
    if (!(request = malloc(n))) {
        goto done;
    }
    snprintf(request, n, retrieve_fmt, (const char *)doctor_json, ins, unique_id);
    dmp_bytes_free(message);
    message = NULL;
    r = dmp_consult_build(card, request, NULL, 0, NULL, 0, &message, NULL);
    if (r != DMP_OK) {
        status = report_failure("dmp_consult_build (TD3.2)", r);
        goto done;
    }
    if (send_and_print(doctor, card, message, "TD3.2 sent", &response) != DMP_OK) {
        goto done;
    }
    /* The whole HTTP response (NULL content type) into its documents. */
    r = dmp_retrieval_parse(NULL, dmp_bytes_data(response), dmp_bytes_len(response), &retrieval);
    if (r != DMP_OK) {
        status = report_failure("dmp_retrieval_parse", r);
        goto done;
    }
    r = dmp_retrieval_document(retrieval, 0, &doc, NULL, NULL);
    if (r != DMP_OK) {
        status = report_failure("dmp_retrieval_document", r);
        goto done;
    }
    if (dmp_bytes_len(doc) != dmp_bytes_len(cda) ||
        memcmp(dmp_bytes_data(doc), dmp_bytes_data(cda), dmp_bytes_len(cda)) != 0) {
        fprintf(stderr, "essms_demo: the DLU retrieved differs from the CDA of step 4\n");
        goto done;
    }
    printf("TD3.2: %s retrieved, %zu bytes, identical to the CDA built in step 4\n", unique_id,
           dmp_bytes_len(doc));

    /* TD3.1 reference search, then TD3.3d archive with its answer (the current entry), then
     * TD0.3 (she declares herself authorised) and TD0.4 (the DMPs she is authorised on). */
    {
        static const char reference_fmt[] =
            "{\"actor\":%s,\"transaction\":{\"kind\":\"reference\",\"ins\":%s,\"query\":"
            "{\"query\":\"get_documents\",\"by\":{\"unique_ids\":[\"%s\"]}}}}";
        static const char archive_fmt[] =
            "{\"actor\":%s,\"transaction\":{\"kind\":\"archive\",\"ins\":%s,"
            "\"unique_id\":\"%s\"}}";
        static const char authorize_fmt[] =
            "{\"actor\":%s,\"transaction\":{\"kind\":\"authorize\",\"ins\":%s,"
            "\"action\":\"add\"}}";
        static const char list_fmt[] =
            "{\"actor\":%s,\"transaction\":{\"kind\":\"authorized_list\",\"ins\":%s,"
            "\"since\":\"2020-01-01T00:00:00+01:00\",\"date_type\":\"last_authorization\"}}";
        dmp_bytes *found = NULL, *answer = NULL;
        int ok = 0;
        free(request);
        n = doctor_len + strlen(ins) + strlen(unique_id) + sizeof reference_fmt + 64;
        if (!(request = malloc(n))) {
            goto done;
        }
        snprintf(request, n, reference_fmt, (const char *)doctor_json, ins, unique_id);
        if (consult_send(doctor, card, request, NULL, "TD3.1 reference search", &found) ==
            DMP_OK) {
            snprintf(request, n, archive_fmt, (const char *)doctor_json, ins, unique_id);
            if (consult_send(doctor, card, request, found, "TD3.3d archive", &answer) == DMP_OK) {
                snprintf(request, n, authorize_fmt, (const char *)doctor_json, ins);
                if (consult_send(doctor, card, request, NULL, "TD0.3 authorize", &answer) ==
                    DMP_OK) {
                    snprintf(request, n, list_fmt, (const char *)doctor_json, ins);
                    ok = consult_send(doctor, card, request, NULL, "TD0.4 authorized list",
                                      &answer) == DMP_OK &&
                         strstr((const char *)dmp_bytes_data(answer), "245036912304502");
                }
            }
        }
        dmp_bytes_free(answer);
        dmp_bytes_free(found);
        if (!ok) {
            fprintf(stderr, "essms_demo: a management transaction failed\n");
            goto done;
        }
    }
    if (journal_step(ehpad, seal, feed_request, sandbox_dir) != 0) {
        goto done;
    }
    status = 0;

done:
    dmp_bytes_free(doc);
    dmp_retrieval_free(retrieval);
    dmp_bytes_free(response);
    dmp_bytes_free(info);
    dmp_bytes_free(message);
    dmp_identity_free(card);
    dmp_client_free(kine_client);
    dmp_client_free(doctor);
    dmp_client_free(ehpad);
    dmp_sandbox_free(sandbox);
    free(request);
    free(ins);
    free(usagers);
    free(kine_json);
    free(doctor_json);
    free(ehpad_json);
    return status;
}

int main(int argc, char **argv) {
    if (argc < 2 || argc > 5) {
        fprintf(stderr, "usage: %s OUT.xml [DATA_DIR [REQUEST.mime [SANDBOX_DIR]]]\n", argv[0]);
        return 2;
    }
    const char *out_path = argv[1];
    const char *data_dir = argc >= 3 ? argv[2] : "examples/data";
    char path[4096], path2[4096], request_path[4096];
    const char *sandbox_dir = argc == 5 ? argv[4] : NULL;
    if (argc >= 4) {
        snprintf(request_path, sizeof request_path, "%s", argv[3]);
    } else {
        snprintf(request_path, sizeof request_path, "%s.td21.mime", out_path);
    }
    int status = 1;
    dmp_result r;
    dmp_matrix *matrix = NULL;
    dmp_bytes *cx = NULL, *report = NULL, *decision = NULL, *xml = NULL;
    dmp_bytes *read_header = NULL, *read_body = NULL;
    unsigned char *staff = NULL, *case_json = NULL, *pdf = NULL;
    char *header = NULL;
    size_t staff_len = 0, case_len = 0, pdf_len = 0;
    dmp_identity *identity = NULL;
    dmp_bytes *identity_info = NULL, *message = NULL, *message_info = NULL, *check = NULL;
    unsigned char *password = NULL, *feed_json = NULL;
    char *user = NULL, *lps = NULL, *pdf64 = NULL, *request = NULL, *trust = NULL;
    size_t password_len = 0, feed_len = 0;

    /* 0. The header and the library agree (no ABI promise before 1.0). */
    if (strcmp(dmp_version(), DMP_VERSION_STRING) != 0) {
        fprintf(stderr, "essms_demo: header %s but library %s\n", DMP_VERSION_STRING,
                dmp_version());
        return 1;
    }
    printf("libdmp %s\n\n", dmp_version());

    /* 1. An INS (test system OID) and its CX form for the XDS patientId. */
    r = dmp_check_ins("245036912304502", "1.2.250.1.213.1.4.10", &cx);
    if (r != DMP_OK) {
        status = report_failure("dmp_check_ins", r);
        goto done;
    }
    printf("INS ok, CX: %s\n\n", (const char *)dmp_bytes_data(cx));

    /* 2. The staff report with the embedded (provisional) matrix. */
    r = dmp_matrix_new_default(&matrix);
    if (r != DMP_OK) {
        status = report_failure("dmp_matrix_new_default", r);
        goto done;
    }
    snprintf(path, sizeof path, "%s/ehpad-staff.json", data_dir);
    if (!(staff = read_file(path, &staff_len))) {
        goto done;
    }
    r = dmp_staff_report_text(matrix, (const char *)staff, &report);
    if (r != DMP_OK) {
        status = report_failure("dmp_staff_report_text", r);
        goto done;
    }
    fwrite(dmp_bytes_data(report), 1, dmp_bytes_len(report), stdout);
    printf("\n");

    /* 3. One cell: may a nurse (TRE_G15 60) read a DLU (LOINC 74207-2)? */
    r = dmp_matrix_decide(matrix, "{\"profession\":{\"system\":\"TRE_G15\",\"code\":\"60\"}}",
                          "74207-2", &decision);
    if (r != DMP_OK) {
        status = report_failure("dmp_matrix_decide", r);
        goto done;
    }
    printf("Decision (nurse, 74207-2): %s\n\n", (const char *)dmp_bytes_data(decision));

    /* 4. Build the DLU: the case's "header" object as header JSON, the PDF as content. */
    snprintf(path, sizeof path, "%s/cases/dlu.json", data_dir);
    if (!(case_json = read_file(path, &case_len))) {
        goto done;
    }
    header = json_member_object((const char *)case_json, "header");
    if (!header) {
        fprintf(stderr, "essms_demo: no \"header\" object in %s\n", path);
        goto done;
    }
    snprintf(path, sizeof path, "%s/cases/sample.pdf", data_dir);
    if (!(pdf = read_file(path, &pdf_len))) {
        goto done;
    }
    r = dmp_cda_build(header, pdf, pdf_len, "application/pdf", &xml);
    if (r != DMP_OK) {
        status = report_failure("dmp_cda_build", r);
        goto done;
    }
    if (write_file(out_path, dmp_bytes_data(xml), dmp_bytes_len(xml)) != 0) {
        goto done;
    }
    printf("CDA written to %s (%zu bytes)\n", out_path, dmp_bytes_len(xml));

    /* ... and read it back: header JSON and the decoded PDF. */
    r = dmp_cda_read(dmp_bytes_data(xml), dmp_bytes_len(xml), &read_header, &read_body);
    if (r != DMP_OK) {
        status = report_failure("dmp_cda_read", r);
        goto done;
    }
    if (!read_body || dmp_bytes_len(read_body) != pdf_len ||
        memcmp(dmp_bytes_data(read_body), pdf, pdf_len) != 0) {
        fprintf(stderr, "essms_demo: the PDF read back differs from sample.pdf\n");
        goto done;
    }
    printf("Read back: %zu bytes of header JSON, PDF identical (%zu bytes)\n",
           dmp_bytes_len(read_header), pdf_len);
    if (!strstr((const char *)dmp_bytes_data(read_header), "\"model_error\":null")) {
        fprintf(stderr, "essms_demo: the header read back does not validate: %s\n",
                (const char *)dmp_bytes_data(read_header));
        goto done;
    }

    /* 5. The establishment's signing identity (ORG_SIGN certificate). A DUI keeps the
     *    password in its secret store; the test PKI's is in a file. */
    snprintf(path, sizeof path, "%s/../pki/PASSWORD", data_dir);
    if (!(password = read_file(path, &password_len))) {
        goto done;
    }
    while (password_len > 0 &&
           (password[password_len - 1] == '\n' || password[password_len - 1] == '\r')) {
        password[--password_len] = 0;
    }
    snprintf(path, sizeof path, "%s/../pki/org-sign.p12", data_dir);
    r = dmp_identity_new_from_p12_file(path, (const char *)password, &identity);
    if (r != DMP_OK) {
        status = report_failure("dmp_identity_new_from_p12_file", r);
        goto done;
    }
    r = dmp_identity_info(identity, &identity_info);
    if (r != DMP_OK) {
        status = report_failure("dmp_identity_info", r);
        goto done;
    }
    printf("\nSigning identity: %s\n", (const char *)dmp_bytes_data(identity_info));

    /* 6. The TD2.1 request: who acts, from which software, and the DLU inline. */
    snprintf(path, sizeof path, "%s/feed/dlu.json", data_dir);
    if (!(feed_json = read_file(path, &feed_len))) {
        goto done;
    }
    user = json_member_object((const char *)feed_json, "user");
    lps = json_member_object((const char *)feed_json, "lps");
    pdf64 = base64(pdf, pdf_len);
    if (!user || !lps || !pdf64) {
        fprintf(stderr, "essms_demo: no \"user\"/\"lps\" in %s, or out of memory\n", path);
        goto done;
    }
    {
        static const char fmt[] =
            "{\"documents\":[{\"header\":%s,"
            "\"content\":{\"media_type\":\"application/pdf\",\"base64\":\"%s\"},"
            "\"comments\":\"DLU \\u00e0 l'entr\\u00e9e en EHPAD\"}],"
            "\"mode\":\"indirecte\",\"access_mode\":\"normal\",\"user\":%s,"
            "\"local_authentication\":{\"class\":\"password_protected_transport\"},"
            "\"identity_status\":\"qualifiee\",\"lps\":%s,"
            "\"source_id\":\"1.2.250.1.999.1.1.7898.9\",\"environment\":\"test\"}";
        size_t n = sizeof fmt + strlen(header) + strlen(pdf64) + strlen(user) + strlen(lps);
        if (!(request = malloc(n))) {
            goto done;
        }
        snprintf(request, n, fmt, header, pdf64, user, lps);
    }
    /* A fixed time and seed: reproducible bytes. A DUI passes NULL (now) and 0 (random). */
    r = dmp_feed_build(identity, request, "2026-11-20T15:00:00+01:00", 20261120, &message,
                       &message_info);
    if (r != DMP_OK) {
        status = report_failure("dmp_feed_build", r);
        goto done;
    }
    if (write_file(request_path, dmp_bytes_data(message), dmp_bytes_len(message)) != 0) {
        goto done;
    }
    printf("TD2.1 request written to %s (%zu bytes): %s\n", request_path,
           dmp_bytes_len(message), (const char *)dmp_bytes_data(message_info));

    /* 7. Check it as the DMP will, with the test PKI as trusted roots. */
    snprintf(path, sizeof path, "%s/../pki/root.pem", data_dir);
    snprintf(path2, sizeof path2, "%s/../pki/org-ca.pem", data_dir);
    if (!(trust = read_two(path, path2))) {
        goto done;
    }
    r = dmp_feed_check(dmp_bytes_data(message), dmp_bytes_len(message), trust,
                       "2026-11-20T15:00:00+01:00", &check);
    if (r != DMP_OK) {
        status = report_failure("dmp_feed_check", r);
        goto done;
    }
    /* Top-level "ok" (the nested members are "valid" and "digest_ok"). */
    if (!strstr((const char *)dmp_bytes_data(check), "\"ok\":true")) {
        fprintf(stderr, "essms_demo: the request does not check: %s\n",
                (const char *)dmp_bytes_data(check));
        goto done;
    }
    printf("TD2.1 request check: OK (signatures valid and trusted, metadata = CDA)\n\n");

    /* 8. Consulting the DMP as the médecin coordonnateur, with her card. */
    if (consult_as_medecin(data_dir, (const char *)password) != 0) {
        goto done;
    }
    printf("Consultation requests: OK\n");

    /* 9. Over the wire, with the local DMP sandbox. */
    if (sandbox_dir) {
        printf("\n");
        if (round_trip(data_dir, (const char *)password, identity, request, xml, sandbox_dir) != 0) {
            goto done;
        }
        printf("Round trip with the sandbox: OK\n");
    }
    status = 0;

done:
    dmp_bytes_free(check);
    dmp_bytes_free(message_info);
    dmp_bytes_free(message);
    dmp_bytes_free(identity_info);
    dmp_identity_free(identity);
    free(trust);
    free(request);
    free(pdf64);
    free(lps);
    free(user);
    free(feed_json);
    free(password);
    dmp_bytes_free(read_body);
    dmp_bytes_free(read_header);
    dmp_bytes_free(xml);
    dmp_bytes_free(decision);
    dmp_bytes_free(report);
    dmp_bytes_free(cx);
    dmp_matrix_free(matrix);
    free(header);
    free(pdf);
    free(case_json);
    free(staff);
    return status;
}
