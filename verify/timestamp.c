/*
 * timestamp.c - RFC 3161 timestamps for evidence reports through the
 * OpenSSL TS API: a query with a SHA-256 imprint and a random nonce, and
 * the verification of a returned response against a CA certificate.
 */
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ts.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hallmark/error.h"
#include "hallmark/report.h"
#include "report_internal.h"

int hm_report_ts_query(const uint8_t *data, size_t len, uint8_t **out, size_t *outlen)
{
    TS_REQ *req = NULL;
    TS_MSG_IMPRINT *mi = NULL;
    X509_ALGOR *algo = NULL;
    ASN1_INTEGER *nonce = NULL;
    uint8_t h[32], nb[8];
    unsigned char *der = NULL, *p;
    int dlen, s = HM_E_CRYPTO;
    BIGNUM *bn = NULL;
    if (!data || !out || !outlen) return HM_E_MISUSE;
    *out = NULL;
    *outlen = 0;
    if (hm_report_sha256(data, len, h) != HM_OK) return HM_E_CRYPTO;
    req = TS_REQ_new();
    mi = TS_MSG_IMPRINT_new();
    algo = X509_ALGOR_new();
    if (!req || !mi || !algo) goto done;
    if (!TS_REQ_set_version(req, 1)) goto done;
    if (!X509_ALGOR_set0(algo, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, NULL)) goto done;
    if (!TS_MSG_IMPRINT_set_algo(mi, algo)) goto done;
    if (!TS_MSG_IMPRINT_set_msg(mi, h, 32)) goto done;
    if (!TS_REQ_set_msg_imprint(req, mi)) goto done;
    randombytes_buf(nb, sizeof nb);
    nb[0] &= 0x7f;
    bn = BN_bin2bn(nb, sizeof nb, NULL);
    nonce = bn ? BN_to_ASN1_INTEGER(bn, NULL) : NULL;
    if (!nonce || !TS_REQ_set_nonce(req, nonce)) goto done;
    if (!TS_REQ_set_cert_req(req, 1)) goto done;
    dlen = i2d_TS_REQ(req, NULL);
    if (dlen <= 0) goto done;
    der = malloc((size_t)dlen);
    if (!der) {
        s = HM_E_NOMEM;
        goto done;
    }
    p = der;
    if (i2d_TS_REQ(req, &p) != dlen) goto done;
    *out = der;
    *outlen = (size_t)dlen;
    der = NULL;
    s = HM_OK;
done:
    free(der);
    BN_free(bn);
    ASN1_INTEGER_free(nonce);
    X509_ALGOR_free(algo);
    TS_MSG_IMPRINT_free(mi);
    TS_REQ_free(req);
    ERR_clear_error();
    return s;
}

int hm_report_ts_verify(const uint8_t *tsr, size_t tsr_len, const uint8_t *query,
                        size_t query_len, const uint8_t *data, size_t len, const uint8_t *ca_pem,
                        size_t ca_len, char *gen_time, size_t cap)
{
    TS_RESP *resp = NULL;
    PKCS7 *token = NULL;
    TS_REQ *req = NULL;
    TS_VERIFY_CTX *ctx = NULL;
    X509_STORE *store = NULL;
    BIO *cabio = NULL, *dbio = NULL;
    const unsigned char *p;
    int s = HM_E_SIGNATURE, ok, n_certs = 0;
    X509 *cert;
    if (!tsr || !data || !ca_pem || (gen_time && !cap)) return HM_E_MISUSE;
    if (gen_time) gen_time[0] = 0;
    if (tsr_len > 0x7fffffff || ca_len > 0x7fffffff || query_len > 0x7fffffff || len > 0x7fffffff)
        return HM_E_LIMIT;
    p = tsr;
    resp = d2i_TS_RESP(NULL, &p, (long)tsr_len);
    if (!resp || p != tsr + tsr_len) {
        TS_RESP_free(resp);
        resp = NULL;
        p = tsr;
        token = d2i_PKCS7(NULL, &p, (long)tsr_len);
        if (!token || p != tsr + tsr_len) {
            s = HM_E_FORMAT;
            goto done;
        }
    }
    if (query) {
        p = query;
        req = d2i_TS_REQ(NULL, &p, (long)query_len);
        if (!req || p != query + query_len) {
            s = HM_E_FORMAT;
            goto done;
        }
        ctx = TS_REQ_to_TS_VERIFY_CTX(req, NULL);
        if (!ctx) goto done;
    } else {
        ctx = TS_VERIFY_CTX_new();
        if (!ctx) goto done;
        TS_VERIFY_CTX_set_flags(ctx, TS_VFY_VERSION | TS_VFY_SIGNATURE | TS_VFY_DATA);
    }
    {
        /* TS_REQ_to_TS_VERIFY_CTX sets TS_VFY_IMPRINT; we want DATA instead */
        unsigned fl = (unsigned)TS_VERIFY_CTX_add_flags(ctx, 0);
        fl = (fl & ~(unsigned)TS_VFY_IMPRINT) |
             (unsigned)(TS_VFY_DATA | TS_VFY_SIGNATURE | TS_VFY_VERSION);
        TS_VERIFY_CTX_set_flags(ctx, (int)fl);
    }
    dbio = BIO_new_mem_buf(data, (int)len);
    if (!dbio) goto done;
    TS_VERIFY_CTX_set_data(ctx, dbio);
    dbio = NULL;
    store = X509_STORE_new();
    cabio = BIO_new_mem_buf(ca_pem, (int)ca_len);
    if (!store || !cabio) goto done;
    while ((cert = PEM_read_bio_X509(cabio, NULL, NULL, NULL)) != NULL) {
        ok = X509_STORE_add_cert(store, cert);
        X509_free(cert);
        if (!ok) goto done;
        n_certs++;
    }
    if (n_certs == 0) {
        s = HM_E_FORMAT;
        goto done;
    }
    {
        /* Validate the TSA's certificate chain at the token's genTime, not
         * now: a token stays evidence of when the data existed after the
         * TSA's certificate expires (the TSA's signature binds genTime, so
         * a forged time fails the signature check).  Revocation is not
         * checked (no CRL or OCSP is fetched): docs/evidence.md. */
        TS_TST_INFO *pre = resp ? TS_RESP_get_tst_info(resp) : PKCS7_to_TS_TST_INFO(token);
        const ASN1_GENERALIZEDTIME *gt = pre ? TS_TST_INFO_get_time(pre) : NULL;
        struct tm tm;
        memset(&tm, 0, sizeof tm);
        if (gt && ASN1_TIME_to_tm(gt, &tm) == 1) {
            X509_VERIFY_PARAM *vp = X509_STORE_get0_param(store);
            X509_VERIFY_PARAM_set_time(vp, timegm(&tm));
        }
        if (!resp) TS_TST_INFO_free(pre);
    }
    TS_VERIFY_CTX_set_store(ctx, store);
    store = NULL;
    ok = resp ? TS_RESP_verify_response(ctx, resp) : TS_RESP_verify_token(ctx, token);
    if (ok == 1) {
        TS_TST_INFO *info = resp ? TS_RESP_get_tst_info(resp) : PKCS7_to_TS_TST_INFO(token);
        if (info && gen_time) {
            const ASN1_GENERALIZEDTIME *gt = TS_TST_INFO_get_time(info);
            size_t n = gt ? (size_t)gt->length : 0;
            if (n >= cap) n = cap - 1;
            if (gt) memcpy(gen_time, gt->data, n);
            gen_time[n] = 0;
        }
        if (!resp) TS_TST_INFO_free(info);
        s = HM_OK;
    }
done:
    BIO_free(cabio);
    BIO_free(dbio);
    X509_STORE_free(store);
    TS_VERIFY_CTX_free(ctx);
    TS_REQ_free(req);
    TS_RESP_free(resp);
    PKCS7_free(token);
    ERR_clear_error();
    return s;
}
