/*
 * essms_demo: what an ESSMS DUI does with libdmp, from C.
 *
 *   essms_demo OUT.xml [DATA_DIR]      (DATA_DIR defaults to examples/data)
 *
 * 1. checks an INS and prints its HL7 CX form;
 * 2. prints the "professionnels concernés" staff report of DATA_DIR/ehpad-staff.json;
 * 3. decides one cell of the habilitation matrix (a nurse, a DLU);
 * 4. builds the DLU CDA of DATA_DIR/cases/dlu.json (its "header" object + sample.pdf) into
 *    OUT.xml, then reads it back and checks the embedded PDF.
 *
 * Not yet: loading the establishment's signing identity (.p12) and building the TD2.1 feed
 * request that sends OUT.xml to the DMP come with the next version of the library (see the
 * "Coming next" list at the top of dmp.h). The CDA built here is what that request will carry.
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

int main(int argc, char **argv) {
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s OUT.xml [DATA_DIR]\n", argv[0]);
        return 2;
    }
    const char *out_path = argv[1];
    const char *data_dir = argc == 3 ? argv[2] : "examples/data";
    char path[4096];
    int status = 1;
    dmp_result r;
    dmp_matrix *matrix = NULL;
    dmp_bytes *cx = NULL, *report = NULL, *decision = NULL, *xml = NULL;
    dmp_bytes *read_header = NULL, *read_body = NULL;
    unsigned char *staff = NULL, *case_json = NULL, *pdf = NULL;
    char *header = NULL;
    size_t staff_len = 0, case_len = 0, pdf_len = 0;

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

    /* Coming next: dmp_identity_new_from_p12(...) and the TD2.1 request carrying `xml`. */
    status = 0;

done:
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
