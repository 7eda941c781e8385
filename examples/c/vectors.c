/*
 * vectors: the shared test vectors (bindings/test-vectors.json) through the C ABI, with the
 * same cases and assertions as the Rust, Python, C# and Java runners, so that no binding can
 * drift from the library. The format is described in the file's "about" member and in
 * bindings/README.md.
 *
 * Usage: vectors [REPOSITORY_ROOT]   (default: the current directory)
 *
 * Prints one line per case ("ok", or "FAIL" with the path, what was found and what was
 * expected) and exits 1 if any case fails, 2 if the vectors cannot be read. C99, no
 * dependency but libdmp: it carries its own small JSON reader and writer (enough for the
 * vectors and the library's answers), base64 and FNV-1a. Every allocation goes to one pool
 * freed at exit, so that the program stays clean under ASan/LeakSanitizer and valgrind.
 */
#ifndef _WIN32
#define _XOPEN_SOURCE 700
#endif

#include <limits.h>
#ifdef _WIN32
#include <direct.h>
#include <windows.h>
#ifndef PATH_MAX
#define PATH_MAX MAX_PATH
#endif
#else
#include <ftw.h>
#endif
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dmp.h"

/* ---- memory: one pool, freed at exit ---------------------------------------------------- */

typedef union block {
    union block *next;
    long double align_ld;
    void *align_p;
    long long align_ll;
} block;

static block *pool = NULL;

static void die(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "vectors: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, "\n");
    va_end(ap);
    exit(2);
}

static void *pool_alloc(size_t n) {
    if (n > SIZE_MAX - sizeof(block)) die("out of memory");
    block *b = malloc(sizeof(block) + n);
    if (b == NULL) die("out of memory");
    b->next = pool;
    pool = b;
    return b + 1;
}

static void pool_free_all(void) {
    while (pool != NULL) {
        block *next = pool->next;
        free(pool);
        pool = next;
    }
}

static char *pool_copy(const void *data, size_t n) {
    char *p = pool_alloc(n + 1);
    if (n > 0) memcpy(p, data, n);
    p[n] = '\0';
    return p;
}

/* A growable byte buffer (malloc'd; its content is copied into the pool when done). */
typedef struct {
    char *p;
    size_t n, cap;
} buf;

static void buf_add(buf *b, const void *data, size_t n) {
    if (b->cap - b->n < n + 1) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->n < n + 1) {
            if (cap > SIZE_MAX / 2) die("out of memory");
            cap *= 2;
        }
        char *p = realloc(b->p, cap);
        if (p == NULL) die("out of memory");
        b->p = p;
        b->cap = cap;
    }
    if (n > 0) memcpy(b->p + b->n, data, n);
    b->n += n;
    b->p[b->n] = '\0';
}

static void buf_str(buf *b, const char *s) { buf_add(b, s, strlen(s)); }

static char *buf_take(buf *b, size_t *len) {
    char *p = pool_copy(b->p ? b->p : "", b->n);
    if (len) *len = b->n;
    free(b->p);
    b->p = NULL;
    b->n = b->cap = 0;
    return p;
}

/* ---- JSON values ------------------------------------------------------------------------ */

typedef enum { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ, J_BYTES } jtype;

/* A JSON value; J_BYTES (a file's bytes, never in JSON text) holds a `{"$bytes": p}`
 * argument once read. Children of arrays and objects are a linked list; members carry
 * their name in `key`. */
typedef struct jv {
    jtype t;
    int b;       /* J_BOOL */
    char *s;     /* J_STR, J_BYTES: the bytes (NUL-terminated); J_NUM: its text */
    size_t n;    /* length of s */
    struct jv *head, *tail;
    size_t count;
    char *key;
    struct jv *next;
} jv;

static jv *jnew(jtype t) {
    jv *v = pool_alloc(sizeof *v);
    memset(v, 0, sizeof *v);
    v->t = t;
    return v;
}

static jv *jstr(const void *s, size_t n) {
    jv *v = jnew(J_STR);
    v->s = pool_copy(s, n);
    v->n = n;
    return v;
}

static jv *jbool(int b) {
    jv *v = jnew(J_BOOL);
    v->b = b != 0;
    return v;
}

static jv *jnum_u64(uint64_t u) {
    char text[32];
    int n = snprintf(text, sizeof text, "%llu", (unsigned long long)u);
    jv *v = jnew(J_NUM);
    v->s = pool_copy(text, (size_t)n);
    v->n = (size_t)n;
    return v;
}

static void jappend(jv *parent, const char *key, jv *child) {
    child->key = key ? pool_copy(key, strlen(key)) : NULL;
    child->next = NULL;
    if (parent->tail) parent->tail->next = child;
    else parent->head = child;
    parent->tail = child;
    parent->count++;
}

static jv *jget(const jv *obj, const char *key) {
    if (obj == NULL || obj->t != J_OBJ) return NULL;
    for (jv *m = obj->head; m; m = m->next)
        if (strcmp(m->key, key) == 0) return m;
    return NULL;
}

/* Sets member `key` of `obj`, replacing its value in place if it exists. */
static void jset(jv *obj, const char *key, jv *val) {
    jv *prev = NULL;
    for (jv *m = obj->head; m; prev = m, m = m->next) {
        if (strcmp(m->key, key) == 0) {
            val->key = m->key;
            val->next = m->next;
            if (prev) prev->next = val;
            else obj->head = val;
            if (obj->tail == m) obj->tail = val;
            return;
        }
    }
    jappend(obj, key, val);
}

static const char *jstring(const jv *v) { return v && v->t == J_STR ? v->s : NULL; }

/* ---- JSON reader ------------------------------------------------------------------------ */

typedef struct {
    const char *p, *end;
    const char *what; /* for messages: where the text comes from */
    int depth;
} reader;

static void skip_ws(reader *r) {
    while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
        r->p++;
}

static int hex4(const char *p, unsigned *out) {
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (unsigned)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static size_t utf8_put(char *o, unsigned cp) {
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | (cp >> 6));
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12));
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18));
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* A string starting after its opening quote; NULL when malformed. The decoded text is
 * never longer than its escaped form, so the span bounds the allocation. */
static char *read_string(reader *r, size_t *len) {
    const char *start = r->p, *q = r->p;
    while (q < r->end && *q != '"') {
        if (*q == '\\') {
            if (r->end - q < 2) return NULL;
            q++;
        }
        q++;
    }
    if (q >= r->end) return NULL;
    char *out = pool_alloc((size_t)(q - start) + 1);
    size_t n = 0;
    const char *p = start;
    while (p < q) {
        unsigned char c = (unsigned char)*p++;
        if (c < 0x20) return NULL;
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        char e = *p++;
        switch (e) {
        case '"': out[n++] = '"'; break;
        case '\\': out[n++] = '\\'; break;
        case '/': out[n++] = '/'; break;
        case 'b': out[n++] = '\b'; break;
        case 'f': out[n++] = '\f'; break;
        case 'n': out[n++] = '\n'; break;
        case 'r': out[n++] = '\r'; break;
        case 't': out[n++] = '\t'; break;
        case 'u': {
            unsigned cp, lo;
            if (q - p < 4 || !hex4(p, &cp)) return NULL;
            p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (q - p < 6 || p[0] != '\\' || p[1] != 'u' || !hex4(p + 2, &lo) || lo < 0xDC00 ||
                    lo > 0xDFFF)
                    return NULL;
                p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return NULL;
            }
            n += utf8_put(out + n, cp);
            break;
        }
        default: return NULL;
        }
    }
    out[n] = '\0';
    r->p = q + 1;
    *len = n;
    return out;
}

static jv *read_value(reader *r);

static jv *read_container(reader *r, int is_obj) {
    jv *v = jnew(is_obj ? J_OBJ : J_ARR);
    char close = is_obj ? '}' : ']';
    if (++r->depth > 64) return NULL;
    skip_ws(r);
    if (r->p < r->end && *r->p == close) {
        r->p++;
        r->depth--;
        return v;
    }
    for (;;) {
        char *key = NULL;
        if (is_obj) {
            size_t klen;
            skip_ws(r);
            if (r->p >= r->end || *r->p != '"') return NULL;
            r->p++;
            if ((key = read_string(r, &klen)) == NULL) return NULL;
            if (jget(v, key) != NULL) return NULL; /* duplicated member */
            skip_ws(r);
            if (r->p >= r->end || *r->p != ':') return NULL;
            r->p++;
        }
        jv *item = read_value(r);
        if (item == NULL) return NULL;
        jappend(v, key, item);
        skip_ws(r);
        if (r->p >= r->end) return NULL;
        if (*r->p == ',') {
            r->p++;
            continue;
        }
        if (*r->p != close) return NULL;
        r->p++;
        r->depth--;
        return v;
    }
}

static jv *read_value(reader *r) {
    skip_ws(r);
    if (r->p >= r->end) return NULL;
    char c = *r->p;
    if (c == '{' || c == '[') {
        r->p++;
        return read_container(r, c == '{');
    }
    if (c == '"') {
        size_t n;
        r->p++;
        char *s = read_string(r, &n);
        if (s == NULL) return NULL;
        jv *v = jnew(J_STR);
        v->s = s;
        v->n = n;
        return v;
    }
    static const struct {
        const char *word;
        jtype t;
        int b;
    } words[] = {{"null", J_NULL, 0}, {"true", J_BOOL, 1}, {"false", J_BOOL, 0}};
    for (size_t i = 0; i < sizeof words / sizeof words[0]; i++) {
        size_t n = strlen(words[i].word);
        if ((size_t)(r->end - r->p) >= n && memcmp(r->p, words[i].word, n) == 0) {
            r->p += n;
            jv *v = jnew(words[i].t);
            v->b = words[i].b;
            return v;
        }
    }
    const char *start = r->p;
    while (r->p < r->end && strchr("+-.eE0123456789", *r->p) != NULL && *r->p != '\0') r->p++;
    if (r->p == start) return NULL;
    jv *v = jnew(J_NUM);
    v->s = pool_copy(start, (size_t)(r->p - start));
    v->n = (size_t)(r->p - start);
    return v;
}

/* Parses a whole JSON text; NULL (with a message on stderr) when it is not JSON. */
static jv *parse_json(const char *text, size_t len, const char *what) {
    reader r = {text, text + len, what, 0};
    jv *v = read_value(&r);
    if (v != NULL) {
        skip_ws(&r);
        if (r.p == r.end) return v;
    }
    fprintf(stderr, "vectors: %s is not valid JSON (near byte %ld)\n", what,
            (long)(r.p - text));
    return NULL;
}

/* ---- JSON writer ------------------------------------------------------------------------ */

static void write_string(buf *b, const char *s, size_t n) {
    buf_add(b, "\"", 1);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            buf_add(b, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            buf_add(b, esc, 6);
        } else {
            buf_add(b, &s[i], 1);
        }
    }
    buf_add(b, "\"", 1);
}

static void write_json(buf *b, const jv *v) {
    switch (v->t) {
    case J_NULL: buf_str(b, "null"); break;
    case J_BOOL: buf_str(b, v->b ? "true" : "false"); break;
    case J_NUM: buf_add(b, v->s, v->n); break;
    case J_STR: write_string(b, v->s, v->n); break;
    case J_BYTES: buf_str(b, "\"(bytes)\""); break;
    case J_ARR:
    case J_OBJ: {
        buf_str(b, v->t == J_ARR ? "[" : "{");
        for (const jv *m = v->head; m; m = m->next) {
            if (m != v->head) buf_str(b, ",");
            if (v->t == J_OBJ) {
                write_string(b, m->key, strlen(m->key));
                buf_str(b, ":");
            }
            write_json(b, m);
        }
        buf_str(b, v->t == J_ARR ? "]" : "}");
        break;
    }
    }
}

static char *to_json(const jv *v) {
    buf b = {0};
    write_json(&b, v);
    return buf_take(&b, NULL);
}

/* An argument as the C functions take it: a string as it is, any other value serialized. */
static const char *c_arg(const jv *v) {
    if (v == NULL) return "null";
    return v->t == J_STR ? v->s : to_json(v);
}

/* ---- files, base64, FNV-1a -------------------------------------------------------------- */

static char root[PATH_MAX];

static char *repo_file(const char *rel, size_t *len) {
    char path[PATH_MAX * 2];
    snprintf(path, sizeof path, "%s/%s", root, rel);
    FILE *f = fopen(path, "rb");
    if (f == NULL) die("cannot open %s (run from the repository root or pass it)", path);
    buf b = {0};
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        buf_add(&b, chunk, n);
        if (b.n > 64u << 20) die("%s is larger than 64 MiB", path);
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) die("cannot read %s", path);
    return buf_take(&b, len);
}

static char *base64(const unsigned char *d, size_t n) {
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = pool_alloc((n + 2) / 3 * 4 + 1), *p = o;
    for (size_t i = 0; i < n; i += 3) {
        uint32_t v = (uint32_t)d[i] << 16;
        if (i + 1 < n) v |= (uint32_t)d[i + 1] << 8;
        if (i + 2 < n) v |= d[i + 2];
        *p++ = al[(v >> 18) & 63];
        *p++ = al[(v >> 12) & 63];
        *p++ = i + 1 < n ? al[(v >> 6) & 63] : '=';
        *p++ = i + 2 < n ? al[v & 63] : '=';
    }
    *p = '\0';
    return o;
}

/* FNV-1a 64-bit, as the vectors write it (a fingerprint, not a security check). */
static jv *blob(const char *d, size_t n) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ (unsigned char)d[i]) * 0x100000001b3ULL;
    char hex[17];
    snprintf(hex, sizeof hex, "%016llx", (unsigned long long)h);
    jv *v = jnew(J_OBJ);
    jappend(v, "length", jnum_u64(n));
    jappend(v, "fnv1a64", jstr(hex, 16));
    return v;
}

/* ---- arguments: '$' references to repository files -------------------------------------- */

static jv *resolve(const jv *v) {
    if (v->t == J_ARR) {
        jv *out = jnew(J_ARR);
        for (const jv *m = v->head; m; m = m->next) jappend(out, NULL, resolve(m));
        return out;
    }
    if (v->t != J_OBJ) { /* a copy: the caller links it into another list */
        jv *out = jnew(v->t);
        out->b = v->b;
        out->s = v->s;
        out->n = v->n;
        return out;
    }
    const char *p;
    size_t n;
    if ((p = jstring(jget(v, "$file"))) != NULL) {
        char *text = repo_file(p, &n);
        jv *out = parse_json(text, n, p);
        if (out == NULL) exit(2);
        const char *member = jstring(jget(v, "$member"));
        if (member != NULL) {
            jv *m = jget(out, member);
            out = m ? m : jnew(J_NULL);
        }
        const jv *merge = jget(v, "$merge");
        if (merge && merge->t == J_OBJ && out->t == J_OBJ)
            for (const jv *m = merge->head; m; m = m->next) jset(out, m->key, resolve(m));
        return out;
    }
    if ((p = jstring(jget(v, "$text"))) != NULL) {
        char *text = repo_file(p, &n);
        while (n > 0 && strchr(" \t\r\n\f\v", text[n - 1]) != NULL) text[--n] = '\0';
        jv *out = jnew(J_STR);
        out->s = text;
        out->n = n;
        return out;
    }
    if ((p = jstring(jget(v, "$bytes"))) != NULL) {
        jv *out = jnew(J_BYTES);
        out->s = repo_file(p, &out->n);
        return out;
    }
    if ((p = jstring(jget(v, "$base64"))) != NULL) {
        char *d = repo_file(p, &n);
        char *b = base64((const unsigned char *)d, n);
        return jstr(b, strlen(b));
    }
    if ((p = jstring(jget(v, "$path"))) != NULL) {
        char path[PATH_MAX * 2];
        int len = snprintf(path, sizeof path, "%s/%s", root, p);
        return jstr(path, (size_t)len);
    }
    jv *out = jnew(J_OBJ);
    for (const jv *m = v->head; m; m = m->next) jappend(out, m->key, resolve(m));
    return out;
}

/* ---- calls ------------------------------------------------------------------------------ */

/* The outcome of a call: its result tree, or the last-error record of its failure. */
typedef struct {
    int failed;
    jv *tree;
} outcome;

static jv *last_error_record(dmp_result r) {
    size_t n = 0;
    dmp_last_error_json(NULL, 0, &n);
    char *text = pool_alloc(n + 1);
    if (dmp_last_error_json(text, n + 1, NULL) != DMP_OK) die("cannot read the last error");
    jv *record = parse_json(text, n, "the last-error record");
    if (record == NULL) exit(2);
    const jv *code = jget(record, "code");
    if (code == NULL || code->t != J_NUM || strtoul(code->s, NULL, 10) != (unsigned long)r)
        die("the last-error record is not the call's (%s for result %u)", text, (unsigned)r);
    return record;
}

static char *take(dmp_bytes *b, size_t *len) {
    char *p = pool_copy(dmp_bytes_data(b), dmp_bytes_len(b));
    if (len) *len = dmp_bytes_len(b);
    dmp_bytes_free(b);
    return p;
}

static jv *take_json(dmp_bytes *b, const char *what) {
    size_t n;
    char *text = take(b, &n);
    jv *v = parse_json(text, n, what);
    if (v == NULL) exit(2);
    return v;
}

static jv *wrap(const char *key, jv *v) {
    jv *o = jnew(J_OBJ);
    jappend(o, key, v);
    return o;
}

/* Sets *err and returns 0 when the call failed. */
#define TRY(call)                                 \
    do {                                          \
        dmp_result r_ = (call);                   \
        if (r_ != DMP_OK) {                       \
            *err = last_error_record(r_);         \
            goto fail;                            \
        }                                         \
    } while (0)

static uint64_t u64_arg(const jv *v) {
    return v && v->t == J_NUM ? strtoull(v->s, NULL, 10) : 0;
}

static dmp_identity *identity(const jv *a, jv **err) {
    const jv *p12 = jget(a, "p12");
    dmp_identity *id = NULL;
    if (p12 == NULL || p12->t != J_BYTES) die("a case's p12 is not a {\"$bytes\": path}");
    TRY(dmp_identity_new_from_p12((const uint8_t *)p12->s, p12->n, c_arg(jget(a, "password")),
                                  &id));
    return id;
fail:
    return NULL;
}

/* dmp_feed_build or dmp_consult_build; the message's bytes in *msg, its info in *info. */
static int build(const dmp_identity *id, const char *kind, const jv *request, const char *now,
                 uint64_t seed, char **msg, size_t *msg_len, jv **info, jv **err) {
    dmp_bytes *m = NULL, *i = NULL;
    if (strcmp(kind, "feed") == 0)
        TRY(dmp_feed_build(id, c_arg(request), now, seed, &m, &i));
    else
        TRY(dmp_consult_build(id, c_arg(request), NULL, 0, now, seed, &m, &i));
    *msg = take(m, msg_len);
    *info = take_json(i, "the info of a request");
    return 1;
fail:
    return 0;
}

/* A fresh temporary directory for the sandbox's data, in `buf`; NULL when none can be made. The
 * sandbox writes its SQLite files directly in DIR/dmp (one level), which remove_tree deletes. */
#ifdef _WIN32
static char *make_temp_dir(char *buf, size_t cap) {
    char base[MAX_PATH];
    if (GetTempPathA(sizeof base, base) == 0) return NULL;
    for (int i = 0; i < 1000; i++) {
        snprintf(buf, cap, "%sdmp-vectors-%lu-%d", base, (unsigned long)GetCurrentProcessId(), i);
        if (_mkdir(buf) == 0) return buf;
    }
    return NULL;
}

/* Deletes the files of `dir` (no sub-folder), then `dir`. */
static void remove_flat(const char *dir) {
    char pattern[MAX_PATH + 4], file[2 * MAX_PATH];
    WIN32_FIND_DATAA f;
    snprintf(pattern, sizeof pattern, "%s\\*", dir);
    HANDLE h = FindFirstFileA(pattern, &f);
    if (h != INVALID_HANDLE_VALUE) {
        do {
            if (!(f.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)) {
                snprintf(file, sizeof file, "%s\\%s", dir, f.cFileName);
                DeleteFileA(file);
            }
        } while (FindNextFileA(h, &f));
        FindClose(h);
    }
    RemoveDirectoryA(dir);
}

static void remove_tree(const char *dir) {
    char data[2 * MAX_PATH];
    snprintf(data, sizeof data, "%s\\dmp", dir);
    remove_flat(data);
    remove_flat(dir);
}
#else
static char *make_temp_dir(char *buf, size_t cap) {
    snprintf(buf, cap, "%s/dmp-vectors-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    return mkdtemp(buf);
}

static int unlink_cb(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Removes the sandbox's temporary directory and everything in it. */
static void remove_tree(const char *dir) { nftw(dir, unlink_cb, 16, FTW_DEPTH | FTW_PHYS); }
#endif

static jv *sandbox_round_trip(const jv *a, jv **err) {
    dmp_identity *me = identity(a, err);
    dmp_sandbox *sandbox = NULL;
    dmp_client *client = NULL;
    jv *out = NULL;
    char tmp[PATH_MAX];
    if (me == NULL) return NULL;
    if (make_temp_dir(tmp, sizeof tmp) == NULL) die("cannot create a temporary directory");
    char data_dir[PATH_MAX + 8];
    snprintf(data_dir, sizeof data_dir, "%s/dmp", tmp);
    TRY(dmp_sandbox_start(data_dir, NULL, &sandbox));
    TRY(dmp_client_new(c_arg(jget(a, "actor")), c_arg(jget(a, "profile_dir")),
                       dmp_sandbox_base_url(sandbox), &client));
    out = jnew(J_OBJ);
    char *message = NULL;
    size_t len = 0;
    const jv *steps = jget(a, "requests");
    uint64_t timeout = u64_arg(jget(a, "timeout_ms"));
    for (const jv *step = steps ? steps->head : NULL; step; step = step->next) {
        const char *name = jstring(jget(step, "name"));
        const char *kind = jstring(jget(step, "kind"));
        if (name == NULL) die("a sandbox step has no name");
        if (strcmp(name, "again") != 0) {
            jv *info;
            if (kind == NULL) die("the sandbox step %s has no kind", name);
            if (!build(me, kind, jget(step, "request"), NULL, 0, &message, &len, &info, err))
                goto fail;
        }
        dmp_bytes *resp = NULL, *oc = NULL;
        dmp_result r = dmp_send(client, me, (const uint8_t *)message, len,
                                timeout > UINT32_MAX ? UINT32_MAX : (uint32_t)timeout, &resp, &oc);
        if (r == DMP_OK) {
            take(resp, NULL);
            jappend(out, name, wrap("outcome", take_json(oc, "a send outcome")));
        } else {
            jappend(out, name, wrap("error", last_error_record(r)));
        }
    }
fail:
    dmp_client_free(client);
    dmp_sandbox_free(sandbox);
    dmp_identity_free(me);
    remove_tree(tmp);
    return *err ? NULL : out;
}

/* Runs one call; its result tree, or NULL with the last-error record in *err. */
static jv *run(const char *call, const jv *a, jv **err) {
    dmp_bytes *o = NULL, *o2 = NULL;
    dmp_matrix *m = NULL;
    dmp_identity *id = NULL;
    jv *tree = NULL;
#define S(k) c_arg(jget(a, k))
    if (strcmp(call, "check_ins") == 0) {
        TRY(dmp_check_ins(S("matricule"), S("oid"), &o));
        tree = wrap("text", jstr(dmp_bytes_data(o), dmp_bytes_len(o)));
    } else if (strcmp(call, "check_finess") == 0) {
        TRY(dmp_check_finess(S("finess"), &o));
        tree = wrap("text", jstr(dmp_bytes_data(o), dmp_bytes_len(o)));
    } else if (strcmp(call, "matrix_decide") == 0 || strcmp(call, "staff_report") == 0) {
        TRY(dmp_matrix_new_default(&m));
        if (call[0] == 'm') TRY(dmp_matrix_decide(m, S("reader"), S("type_code"), &o));
        else TRY(dmp_staff_report(m, S("staff"), &o));
        tree = wrap("json", take_json(o, call));
        o = NULL;
    } else if (strcmp(call, "rights_decide") == 0) {
        TRY(dmp_rights_decide(S("auth"), S("actor"), S("mode"), S("transaction"), &o));
        tree = wrap("json", take_json(o, call));
        o = NULL;
    } else if (strcmp(call, "cda_round_trip") == 0) {
        const jv *content = jget(a, "content");
        if (content == NULL || content->t != J_BYTES) die("cda_round_trip needs content bytes");
        size_t xml_len, body_len, rebuilt_len;
        TRY(dmp_cda_build(S("header"), (const uint8_t *)content->s, content->n, S("media_type"),
                          &o));
        char *xml = take(o, &xml_len);
        o = NULL;
        TRY(dmp_cda_read((const uint8_t *)xml, xml_len, &o, &o2));
        jv *record = take_json(o, "the record of dmp_cda_read");
        char *body = take(o2, &body_len);
        o = o2 = NULL;
        TRY(dmp_cda_build(c_arg(jget(record, "model")), (const uint8_t *)body, body_len,
                          S("media_type"), &o));
        char *rebuilt = take(o, &rebuilt_len);
        o = NULL;
        tree = jnew(J_OBJ);
        jappend(tree, "xml", blob(xml, xml_len));
        jappend(tree, "read", record);
        jappend(tree, "body_equals_content",
                jbool(body_len == content->n && memcmp(body, content->s, body_len) == 0));
        jappend(tree, "rebuilt_equals_xml",
                jbool(rebuilt_len == xml_len && memcmp(rebuilt, xml, xml_len) == 0));
    } else if (strcmp(call, "identity_info") == 0) {
        if ((id = identity(a, err)) == NULL) goto fail;
        TRY(dmp_identity_info(id, &o));
        tree = wrap("json", take_json(o, call));
        o = NULL;
    } else if (strcmp(call, "feed_build_check") == 0 || strcmp(call, "consult_build") == 0) {
        int feed = call[0] == 'f';
        const char *now = jstring(jget(a, "now"));
        char *msg;
        size_t len;
        jv *info;
        if ((id = identity(a, err)) == NULL) goto fail;
        if (!build(id, feed ? "feed" : "consult", jget(a, "request"), now,
                   u64_arg(jget(a, "seed")), &msg, &len, &info, err))
            goto fail;
        tree = jnew(J_OBJ);
        jappend(tree, "message", blob(msg, len));
        jappend(tree, "info", info);
        if (feed) {
            buf trust = {0};
            const jv *pems = jget(a, "trust");
            for (const jv *p = pems ? pems->head : NULL; p; p = p->next) {
                if (p != pems->head) buf_str(&trust, "\n");
                buf_str(&trust, c_arg(p));
            }
            char *trust_pem = buf_take(&trust, NULL);
            TRY(dmp_feed_check((const uint8_t *)msg, len, trust_pem, now, &o));
            jappend(tree, "check", take_json(o, "the report of dmp_feed_check"));
            o = NULL;
        }
    } else if (strcmp(call, "sandbox_round_trip") == 0) {
        tree = sandbox_round_trip(a, err);
    } else {
        die("unknown call '%s' in test-vectors.json", call);
    }
#undef S
fail:
    dmp_bytes_free(o);
    dmp_bytes_free(o2);
    dmp_matrix_free(m);
    dmp_identity_free(id);
    return *err ? NULL : tree;
}

/* ---- checks ----------------------------------------------------------------------------- */

/* The value at a dot-separated path ('#': the length of an array); NULL if absent. */
static const jv *lookup(const jv *tree, const char *path) {
    char *copy = pool_copy(path, strlen(path));
    for (char *seg = copy, *dot; tree != NULL && seg != NULL; seg = dot) {
        dot = strchr(seg, '.');
        if (dot) *dot++ = '\0';
        if (strcmp(seg, "#") == 0) {
            if (tree->t != J_ARR) return NULL;
            return jnum_u64(tree->count);
        }
        if (tree->t == J_ARR) {
            char *end;
            unsigned long i = strtoul(seg, &end, 10);
            if (*seg == '\0' || *end != '\0') return NULL;
            const jv *m = tree->head;
            while (m && i-- > 0) m = m->next;
            tree = m;
        } else {
            tree = jget(tree, seg);
        }
    }
    return tree;
}

static int is_integer(const jv *v) { return strpbrk(v->s, ".eE") == NULL; }

static int equal(const jv *a, const jv *b) {
    if (a->t != b->t) return 0;
    switch (a->t) {
    case J_NULL: return 1;
    case J_BOOL: return a->b == b->b;
    case J_NUM: return is_integer(a) == is_integer(b) && strtod(a->s, NULL) == strtod(b->s, NULL);
    case J_STR:
    case J_BYTES: return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
    case J_ARR: {
        if (a->count != b->count) return 0;
        for (const jv *x = a->head, *y = b->head; x && y; x = x->next, y = y->next)
            if (!equal(x, y)) return 0;
        return 1;
    }
    case J_OBJ: {
        if (a->count != b->count) return 0;
        for (const jv *x = a->head; x; x = x->next) {
            const jv *y = jget(b, x->key);
            if (y == NULL || !equal(x, y)) return 0;
        }
        return 1;
    }
    }
    return 0;
}

/* Compares every path of `expected` in `tree`; prints the first mismatch. */
static int check(const char *name, const jv *tree, const jv *expected, const char *what) {
    for (const jv *want = expected->head; want; want = want->next) {
        const jv *got = lookup(tree, want->key);
        const char *prefix = jstring(jget(want, "$starts_with"));
        int ok = got != NULL &&
                 (prefix ? got->t == J_STR && strncmp(got->s, prefix, strlen(prefix)) == 0
                         : equal(got, want));
        if (!ok) {
            printf("FAIL %s: %s %s: got %s, expected %s\n", name, what, want->key,
                   got ? to_json(got) : "nothing", to_json(want));
            return 0;
        }
    }
    return 1;
}

int main(int argc, char **argv) {
    if (argc > 2) {
        fprintf(stderr, "usage: %s [REPOSITORY_ROOT]\n", argv[0]);
        return 2;
    }
#ifdef _WIN32
    if (_fullpath(root, argc == 2 ? argv[1] : ".", sizeof root) == NULL)
#else
    if (realpath(argc == 2 ? argv[1] : ".", root) == NULL)
#endif
        die("cannot find the repository root %s", argc == 2 ? argv[1] : ".");
    size_t len;
    char *text = repo_file("bindings/test-vectors.json", &len);
    jv *vectors = parse_json(text, len, "bindings/test-vectors.json");
    const jv *cases = jget(vectors, "cases");
    if (cases == NULL || cases->t != J_ARR || cases->count == 0)
        die("bindings/test-vectors.json has no cases");
    int failed = 0, total = 0;
    for (const jv *c = cases->head; c; c = c->next) {
        const char *name = jstring(jget(c, "name")), *call = jstring(jget(c, "call"));
        const jv *args = jget(c, "args"), *expect = jget(c, "expect");
        const jv *want_ok = jget(expect, "ok"), *want_err = jget(expect, "error");
        if (!name || !call || !args || !(want_ok || want_err)) die("case %d is incomplete", total);
        total++;
        jv *err = NULL;
        jv *tree = run(call, resolve(args), &err);
        int ok;
        if (want_ok && tree) ok = check(name, tree, want_ok, "result");
        else if (want_err && err) ok = check(name, err, want_err, "last error");
        else {
            ok = 0;
            printf("FAIL %s: expected %s, got %s\n", name, want_ok ? "a result" : "an error",
                   to_json(tree ? tree : err));
        }
        if (ok) {
            const jv *msg = jget(tree, "message");
            if (msg)
                printf("ok   %s (length %s, fnv1a64 %s)\n", name, jget(msg, "length")->s,
                       jget(msg, "fnv1a64")->s);
            else printf("ok   %s\n", name);
        }
        failed += !ok;
    }
    printf("%d cases, %d failed\n", total, failed);
    pool_free_all();
    return failed ? 1 : 0;
}
