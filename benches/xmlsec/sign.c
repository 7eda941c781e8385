/*
 * The XAdES signing of benches/signatures.rs done by libxmlsec1 (OpenSSL back end) inside one
 * process: the fair counterpart of `xades::sign_manifest` for issue 10 ("XAdES signing at
 * least as fast as libxmlsec1 in-process").
 *
 * The key and its certificate are loaded once; the template (our own signed output with the
 * values xmlsec computes emptied: reference digests, SignatureValue, X509Certificate) and
 * the manifest parts are read into memory once. Each timed round then does what
 * `sign_manifest` does: parse the signature document, register its `Id` attributes, read and
 * digest every manifest part (the CDA parsed and canonicalised with comments, the other
 * parts as raw bytes), digest the manifest and the signed properties, canonicalise
 * SignedInfo, RSA-sign it, write the certificate, serialise the document. The parts are
 * served from memory under their own `urn:oid:` URIs (no file I/O in the loop).
 *
 *   sign KEY.pem CERT.pem TEMPLATE.xml ROUNDS OUT.xml URI=FILE...   (the XML part first)
 *
 * Prints one line of mean milliseconds per signature: the total and its three parts
 * (parse = xmlReadMemory + xmlSecAddIDs, sign = xmlSecDSigCtxSign, serialize =
 * xmlDocDumpMemory), then, to say where the time goes, two pieces of the sign part timed
 * alone with the same libraries: rsa = the RSA-SHA1 signature of a SignedInfo-sized input
 * (OpenSSL EVP, the loaded key), xml_part = the first part (the CDA) parsed by libxml2,
 * canonicalised with comments (xmlC14NExecute) and digested with SHA-1. Writes the last signed document to OUT.xml (the bench checks that its
 * SignatureValue is ours). Built and run by benches/signatures.rs; by hand:
 *
 *   cc -O2 $(pkg-config --cflags xmlsec1-openssl) benches/xmlsec/sign.c \
 *      $(pkg-config --libs xmlsec1-openssl) -o /tmp/xmlsec-sign
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/c14n.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <openssl/evp.h>
#include <xmlsec/crypto.h>
#include <xmlsec/openssl/evp.h>
#include <xmlsec/io.h>
#include <xmlsec/xmldsig.h>
#include <xmlsec/xmlsec.h>
#include <xmlsec/xmltree.h>

/* A manifest part served from memory under its URI. */
struct part {
    const char *uri;
    char *data;
    size_t len;
};

#define MAX_PARTS 16
static struct part parts[MAX_PARTS];
static int part_count;

/* An open part: where the next read starts. */
struct cursor {
    const struct part *part;
    size_t pos;
};

static void die(const char *what) {
    fprintf(stderr, "xmlsec-sign: %s\n", what);
    exit(1);
}

static char *read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "xmlsec-sign: cannot open %s\n", path);
        exit(1);
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    size_t got;
    while (buf != NULL && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
        }
    }
    fclose(f);
    if (buf == NULL) die("out of memory");
    *len = n;
    return buf;
}

static const struct part *find_part(const char *uri) {
    for (int i = 0; i < part_count; i++)
        if (strcmp(parts[i].uri, uri) == 0) return &parts[i];
    return NULL;
}

static int part_match(const char *uri) { return find_part(uri) != NULL; }

static void *part_open(const char *uri) {
    const struct part *p = find_part(uri);
    if (p == NULL) return NULL;
    struct cursor *c = malloc(sizeof *c);
    if (c == NULL) return NULL;
    c->part = p;
    c->pos = 0;
    return c;
}

static int part_read(void *ctx, char *buf, int len) {
    struct cursor *c = ctx;
    size_t left = c->part->len - c->pos;
    size_t n = left < (size_t)len ? left : (size_t)len;
    memcpy(buf, c->part->data + c->pos, n);
    c->pos += n;
    return (int)n;
}

static int part_close(void *ctx) {
    free(ctx);
    return 0;
}

static double now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* SHA-1 of what the canonicaliser writes. */
static int digest_write(void *ctx, const char *buf, int len) {
    return EVP_DigestUpdate(ctx, buf, (size_t)len) == 1 ? len : -1;
}

/* The first part parsed, canonicalised with comments and digested: xmlsec's work on it. */
static void xml_part_once(const struct part *p) {
    xmlDocPtr doc = xmlReadMemory(p->data, (int)p->len, p->uri, NULL, 0);
    if (doc == NULL) die("the first part is not XML");
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestInit_ex(md, EVP_sha1(), NULL) != 1) die("SHA-1 unavailable");
    xmlOutputBufferPtr out = xmlOutputBufferCreateIO(digest_write, NULL, md, NULL);
    if (out == NULL || xmlC14NExecute(doc, NULL, NULL, XML_C14N_1_0, NULL, 1, out) < 0)
        die("C14N of the first part failed");
    xmlOutputBufferClose(out);
    unsigned char value[EVP_MAX_MD_SIZE];
    unsigned int n;
    EVP_DigestFinal_ex(md, value, &n);
    EVP_MD_CTX_free(md);
    xmlFreeDoc(doc);
}

/* One RSA-SHA1 signature of a SignedInfo-sized input with the loaded key. */
static void rsa_once(EVP_PKEY *pkey) {
    static const unsigned char data[700] = {0x5a};
    unsigned char sig[512];
    size_t len = sizeof sig;
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    if (md == NULL || EVP_DigestSignInit(md, NULL, EVP_sha1(), NULL, pkey) != 1 ||
        EVP_DigestSign(md, sig, &len, data, sizeof data) != 1)
        die("RSA-SHA1 signature failed");
    EVP_MD_CTX_free(md);
}

static const xmlChar *id_attrs[] = {BAD_CAST "Id", NULL};

/* One round; adds its parts' times to the sums; returns the serialised document. */
static xmlChar *sign_once(const char *tmpl, size_t tmpl_len, xmlSecKeyPtr key, int *out_len,
                          double *parse, double *sign, double *serialize) {
    double t0 = now_ms();
    xmlDocPtr doc = xmlReadMemory(tmpl, (int)tmpl_len, "template.xml", NULL, 0);
    if (doc == NULL) die("the template is not XML");
    xmlNodePtr root = xmlDocGetRootElement(doc);
    xmlSecAddIDs(doc, root, id_attrs);
    double t1 = now_ms();
    xmlNodePtr node = xmlSecFindNode(root, xmlSecNodeSignature, xmlSecDSigNs);
    if (node == NULL) die("no ds:Signature in the template");
    xmlSecDSigCtxPtr ctx = xmlSecDSigCtxCreate(NULL);
    if (ctx == NULL) die("xmlSecDSigCtxCreate failed");
    /* The key loaded once: lent to the context, taken back before it is destroyed. */
    ctx->signKey = key;
    int rc = xmlSecDSigCtxSign(ctx, node);
    ctx->signKey = NULL;
    xmlSecDSigCtxDestroy(ctx);
    if (rc < 0) die("xmlSecDSigCtxSign failed");
    double t2 = now_ms();
    xmlChar *out = NULL;
    xmlDocDumpMemory(doc, &out, out_len);
    xmlFreeDoc(doc);
    double t3 = now_ms();
    if (out == NULL) die("xmlDocDumpMemory failed");
    *parse += t1 - t0;
    *sign += t2 - t1;
    *serialize += t3 - t2;
    return out;
}

int main(int argc, char **argv) {
    if (argc < 6) {
        fprintf(stderr, "usage: %s KEY.pem CERT.pem TEMPLATE.xml ROUNDS OUT.xml URI=FILE...\n",
                argv[0]);
        return 2;
    }
    int rounds = atoi(argv[4]);
    if (rounds < 1) die("ROUNDS must be a positive number");
    for (int i = 6; i < argc; i++) {
        char *eq = strchr(argv[i], '=');
        if (eq == NULL || part_count == MAX_PARTS) die("parts are given as URI=FILE (16 at most)");
        *eq = '\0';
        parts[part_count].uri = argv[i];
        parts[part_count].data = read_file(eq + 1, &parts[part_count].len);
        part_count++;
    }

    xmlInitParser();
    LIBXML_TEST_VERSION
    if (xmlSecInit() < 0) die("xmlSecInit failed");
    if (xmlSecCheckVersion() != 1) die("libxmlsec1 version mismatch");
    if (xmlSecCryptoAppInit(NULL) < 0) die("xmlSecCryptoAppInit failed");
    if (xmlSecCryptoInit() < 0) die("xmlSecCryptoInit failed");
    /* Only the in-memory parts: no file or network URI is opened. */
    xmlSecIOCleanupCallbacks();
    if (xmlSecIORegisterCallbacks(part_match, part_open, part_read, part_close) < 0)
        die("xmlSecIORegisterCallbacks failed");

    xmlSecKeyPtr key = xmlSecCryptoAppKeyLoad(argv[1], xmlSecKeyDataFormatPem, NULL, NULL, NULL);
    if (key == NULL) die("cannot load the private key");
    if (xmlSecCryptoAppKeyCertLoad(key, argv[2], xmlSecKeyDataFormatPem) < 0)
        die("cannot load the certificate");
    size_t tmpl_len;
    char *tmpl = read_file(argv[3], &tmpl_len);

    double parse = 0, sign = 0, serialize = 0;
    int out_len = 0;
    /* Warm-up (caches, allocator), not counted. */
    for (int i = 0; i < 3; i++) xmlFree(sign_once(tmpl, tmpl_len, key, &out_len, &parse, &sign, &serialize));
    parse = sign = serialize = 0;
    xmlChar *out = NULL;
    double start = now_ms();
    for (int i = 0; i < rounds; i++) {
        if (out != NULL) xmlFree(out);
        out = sign_once(tmpl, tmpl_len, key, &out_len, &parse, &sign, &serialize);
    }
    double total = now_ms() - start;

    EVP_PKEY *pkey = xmlSecOpenSSLEvpKeyDataGetEvp(xmlSecKeyGetValue(key));
    if (pkey == NULL) die("the key has no OpenSSL value");
    rsa_once(pkey);
    start = now_ms();
    for (int i = 0; i < rounds; i++) rsa_once(pkey);
    double rsa = (now_ms() - start) / rounds;
    double xml_part = 0;
    if (part_count > 0) {
        xml_part_once(&parts[0]);
        start = now_ms();
        for (int i = 0; i < rounds; i++) xml_part_once(&parts[0]);
        xml_part = (now_ms() - start) / rounds;
    }
    printf("total_ms=%.4f parse_ms=%.4f sign_ms=%.4f serialize_ms=%.4f rsa_ms=%.4f "
           "xml_part_ms=%.4f rounds=%d\n",
           total / rounds, parse / rounds, sign / rounds, serialize / rounds, rsa, xml_part,
           rounds);

    FILE *f = fopen(argv[5], "wb");
    if (f == NULL || fwrite(out, 1, (size_t)out_len, f) != (size_t)out_len || fclose(f) != 0)
        die("cannot write the signed document");
    xmlFree(out);
    free(tmpl);
    for (int i = 0; i < part_count; i++) free(parts[i].data);
    xmlSecKeyDestroy(key);
    xmlSecCryptoShutdown();
    xmlSecCryptoAppShutdown();
    xmlSecShutdown();
    xmlCleanupParser();
    return 0;
}
