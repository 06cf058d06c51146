/* test_key.c - keys: sizes, ids and commitments (vectors), derivation,
 * Ed25519 signing, key-file round trips, wrong passphrases, truncation at
 * every length and tampering at every byte. */
#include "harness.h"
#include "testutil.h"
#include "hallmark.h"
#include "hallmark/key.h"
#include "key_internal.h"

#include <sodium.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#define CREATED_VEC 1700000000ULL /* 2023-11-14T22:13:20Z */

static const char *PASS = "correct horse battery staple";

/* memmem without _GNU_SOURCE. */
static const uint8_t *find_bytes(const uint8_t *hay, size_t n, const char *needle, size_t m)
{
    size_t i;
    for (i = 0; i + m <= n; i++)
        if (memcmp(hay + i, needle, m) == 0) return hay + i;
    return NULL;
}

static void master_bytes(uint8_t b[32])
{
    unsigned i;
    for (i = 0; i < 32; i++) b[i] = (uint8_t)i;
}

static void to_hex(const uint8_t *b, size_t n, char *out)
{
    sodium_bin2hex(out, 2 * n + 1, b, n);
}

static hm_key *vec_master(void)
{
    uint8_t b[32];
    hm_key *k = NULL;
    master_bytes(b);
    if (hm_key_from_bytes(b, CREATED_VEC, &k) != HM_OK) return NULL;
    return k;
}

/* Reads tests/<rel> into a malloc'd buffer. */
static uint8_t *read_vec(const char *rel, size_t *len)
{
    return hm_test_slurp(hm_test_path(rel), len);
}

/* Recomputes the Checksum line of a (modified) key file in place, the way
 * a deliberate forger would. */
static void reseal(uint8_t *buf, size_t len)
{
    const char *tag = "\nChecksum: ";
    size_t i, tl = strlen(tag);
    uint8_t sum[32];
    char hex[65];
    for (i = 0; i + tl <= len; i++)
        if (memcmp(buf + i, tag, tl) == 0) break;
    if (i + tl > len) return;
    crypto_generichash(sum, 32, buf, i + 1, NULL, 0);
    to_hex(sum, 32, hex);
    memcpy(buf + i + tl, hex, 64);
}

/* Replaces the value of line "Name: " in buf (len bytes, capacity cap);
 * returns the new length, 0 if not found or no room. */
static size_t set_field_len(uint8_t *buf, size_t len, size_t cap, const char *name,
                            const char *value)
{
    size_t i, nl = strlen(name), vl = strlen(value);
    for (i = 0; i + nl + 2 <= len; i++) {
        if ((i == 0 || buf[i - 1] == '\n') && memcmp(buf + i, name, nl) == 0 &&
            buf[i + nl] == ':') {
            size_t j = i + nl + 2, e = j, nlen;
            while (e < len && buf[e] != '\n') e++;
            nlen = len - (e - j) + vl;
            if (nlen > cap) return 0;
            memmove(buf + j + vl, buf + e, len - e);
            memcpy(buf + j, value, vl);
            return nlen;
        }
    }
    return 0;
}

/* Same-length replacement. */
static int set_field(uint8_t *buf, size_t len, const char *name, const char *value)
{
    return set_field_len(buf, len, len, name, value) == len;
}

HM_TEST(key_size_constants_match_runtime_twins)
{
    CHECK_EQ_U64(hm_key_bytes(), HM_KEY_BYTES);
    CHECK_EQ_U64(hm_key_commitmentbytes(), HM_KEY_COMMITMENTBYTES);
    CHECK_EQ_U64(hm_key_idbytes(), HM_KEY_IDBYTES);
    CHECK_EQ_U64(hm_key_id_bufsize(), HM_KEY_ID_BUFSIZE);
    CHECK_EQ_U64(hm_key_publickeybytes(), HM_KEY_PUBLICKEYBYTES);
    CHECK_EQ_U64(hm_key_signaturebytes(), HM_KEY_SIGNATUREBYTES);
    CHECK_EQ_U64(hm_key_tenant_maxbytes(), HM_KEY_TENANT_MAXBYTES);
    CHECK_EQ_U64(HM_KEY_ID_BUFSIZE, 2 * HM_KEY_IDBYTES + 1);
    CHECK_EQ_U64(HM_KEY_BYTES, HM_KEY_SECRET_BYTES);
    CHECK_EQ_U64(HM_KEY_PUBLICKEYBYTES, crypto_sign_PUBLICKEYBYTES);
    CHECK_EQ_U64(HM_KEY_SIGNATUREBYTES, crypto_sign_BYTES);
}

HM_TEST(key_generate_is_random_and_private)
{
    hm_key *a = NULL, *b = NULL;
    char ia[HM_KEY_ID_BUFSIZE], ib[HM_KEY_ID_BUFSIZE];
    uint64_t now = (uint64_t)time(NULL);
    REQUIRE_OK(hm_key_generate(&a));
    REQUIRE_OK(hm_key_generate(&b));
    CHECK_EQ_INT(hm_key_kind(a), HM_KEY_MASTER);
    CHECK_STR(hm_key_kind_name(hm_key_kind(a)), "master");
    CHECK(hm_key_created(a) + 5 >= now && hm_key_created(a) <= now + 5);
    CHECK_OK(hm_key_id(a, ia));
    CHECK_OK(hm_key_id(b, ib));
    CHECK_EQ_U64(strlen(ia), 16);
    CHECK(strcmp(ia, ib) != 0);
    CHECK(hm_key_secret(a) != NULL);
    CHECK(memcmp(hm_key_secret(a), hm_key_secret(b), 32) != 0);
    CHECK(hm_key_tenant(a) == NULL);
    CHECK_EQ_U64(hm_key_epoch(a), 0);
    CHECK_EQ_INT(hm_key_parent_id(a, ia), HM_E_STATE);
    hm_key_free(a);
    hm_key_free(b);
    hm_key_free(NULL);
    CHECK_EQ_INT(hm_key_kind(NULL), 0);
    CHECK_STR(hm_key_kind_name(99), "unknown");
}

HM_TEST(key_misuse_is_reported)
{
    hm_key *k = vec_master(), *out = (hm_key *)&out;
    uint8_t buf[64], *img = NULL;
    size_t n = 0;
    char id[HM_KEY_ID_BUFSIZE];
    REQUIRE(k != NULL);
    CHECK_EQ_INT(hm_key_generate(NULL), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_from_bytes(NULL, 0, &out), HM_E_MISUSE);
    CHECK(out == NULL);
    CHECK_EQ_INT(hm_key_from_bytes(buf, HM_KEY_CREATED_MAX + 1, &out), HM_E_RANGE);
    CHECK_EQ_INT(hm_key_id(NULL, id), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_commitment(k, NULL), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_derive(k, NULL, 0, 0, &out), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_sign(k, buf, 1, buf), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_verify(k, buf, 1, buf), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_public(k, &out), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_public_bytes(k, buf), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_save(k, "", 0, HM_KDF_MIN, &img, &n), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_save(k, PASS, strlen(PASS), 77, &img, &n), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_save_public(k, &img, &n), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_load(NULL, 5, NULL, 0, &out), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_load(NULL, 0, NULL, 0, &out), HM_E_TRUNCATED);
    CHECK(img == NULL && n == 0);
    hm_key_buffer_free(NULL, 0);
    hm_key_free(k);
}

HM_TEST(key_id_and_commitment_vectors)
{
    hm_key *k = vec_master();
    char id[HM_KEY_ID_BUFSIZE], hex[65];
    uint8_t c[HM_KEY_COMMITMENTBYTES], b[32];
    REQUIRE(k != NULL);
    master_bytes(b);
    CHECK(memcmp(hm_key_secret(k), b, 32) == 0);
    CHECK_OK(hm_key_id(k, id));
    CHECK_STR(id, "bad1d6e116597043");
    CHECK_OK(hm_key_commitment(k, c));
    to_hex(c, 32, hex);
    CHECK_STR(hex, "6f622f1a824cc8d06fb1d53f8a29b92f057b4a096d9decd7c445226a14e35f49");
    hm_key_free(k);
}

struct dvec {
    const char *tenant;
    uint64_t epoch;
    const char *secret, *id, *commitment;
};

HM_TEST(key_derivation_vectors)
{
    static const struct dvec v[] = {
        {"acme", 0, "dcf5d0b336b9845baa47ea17ef93b8b34fbbb7ef88c22c534b0dab7b6a55c9e7",
         "6e050df8491d1b6c", "53c5af680981bc9ee362159f1c81cac86d5430c31b20edcc1c39a709fa601984"},
        {"acme", 1, "61ad98f1a723327936e3a0b088a7308638143a3d605b977df139ba168f81b156",
         "ed3ffc892e4866e4", "b711a5821bc1b4fcd55a6a16d4aabae0a1b85d30dbd910edb23d71c83a6931bb"},
        {"caf\xc3\xa9-\xe6\x9d\xb1\xe4\xba\xac", 2026,
         "31aaf6be6c9dec5a29d23313b656d474bd32cb8c2c5c284603ab73f450414967", "4c906eed5d7a1f70",
         "15babfc13a7d24fdf5acc485cc849f48d4399ce11230dd665c852f60fbb5899d"},
    };
    hm_key *m = vec_master();
    size_t i;
    REQUIRE(m != NULL);
    for (i = 0; i < sizeof v / sizeof v[0]; i++) {
        hm_key *d = NULL;
        char id[HM_KEY_ID_BUFSIZE], hex[65];
        uint8_t c[32];
        REQUIRE_OK(hm_key_derive(m, v[i].tenant, strlen(v[i].tenant), v[i].epoch, &d));
        CHECK_EQ_INT(hm_key_kind(d), HM_KEY_DERIVED);
        to_hex(hm_key_secret(d), 32, hex);
        CHECK_STR(hex, v[i].secret);
        CHECK_OK(hm_key_id(d, id));
        CHECK_STR(id, v[i].id);
        CHECK_OK(hm_key_commitment(d, c));
        to_hex(c, 32, hex);
        CHECK_STR(hex, v[i].commitment);
        CHECK_STR(hm_key_tenant(d), v[i].tenant);
        CHECK_EQ_U64(hm_key_epoch(d), v[i].epoch);
        CHECK_OK(hm_key_parent_id(d, id));
        CHECK_STR(id, "bad1d6e116597043");
        CHECK_OK(hm_key_verify_derived(m, d));
        hm_key_free(d);
    }
    hm_key_free(m);
}

HM_TEST(key_derivation_is_injective_and_checked)
{
    hm_key *m = vec_master(), *other = NULL, *a = NULL, *b = NULL, *c = NULL, *dd = NULL;
    char long_tenant[HM_KEY_TENANT_MAXBYTES + 2];
    REQUIRE(m != NULL);
    REQUIRE_OK(hm_key_generate(&other));
    /* ("ab", 0) vs ("a", ...) vs ("ab", 1) */
    REQUIRE_OK(hm_key_derive(m, "ab", 2, 0, &a));
    REQUIRE_OK(hm_key_derive(m, "a", 1, 0, &b));
    REQUIRE_OK(hm_key_derive(m, "ab", 2, 1, &c));
    CHECK(memcmp(hm_key_secret(a), hm_key_secret(b), 32) != 0);
    CHECK(memcmp(hm_key_secret(a), hm_key_secret(c), 32) != 0);
    CHECK(memcmp(hm_key_secret(a), hm_key_secret(m), 32) != 0);
    CHECK_EQ_INT(hm_key_verify_derived(other, a), HM_E_SIGNATURE);
    CHECK_EQ_INT(hm_key_verify_derived(m, m), HM_E_MISUSE);
    CHECK_EQ_INT(hm_key_verify_derived(a, b), HM_E_MISUSE);
    /* A derived key is a watermark key but not a master. */
    CHECK_EQ_INT(hm_key_derive(a, "x", 1, 0, &dd), HM_E_MISUSE);
    CHECK(dd == NULL);
    /* Tenant validation. */
    CHECK_EQ_INT(hm_key_derive(m, "", 0, 0, &dd), HM_E_RANGE);
    memset(long_tenant, 'x', sizeof long_tenant);
    CHECK_EQ_INT(hm_key_derive(m, long_tenant, HM_KEY_TENANT_MAXBYTES + 1, 0, &dd), HM_E_RANGE);
    REQUIRE_OK(hm_key_derive(m, long_tenant, HM_KEY_TENANT_MAXBYTES, 0, &dd));
    hm_key_free(dd);
    dd = NULL;
    CHECK_EQ_INT(hm_key_derive(m, "a\nb", 3, 0, &dd), HM_E_UTF8);
    CHECK_EQ_INT(hm_key_derive(m, "a\x7f", 2, 0, &dd), HM_E_UTF8);
    CHECK_EQ_INT(hm_key_derive(m, "a\0b", 3, 0, &dd), HM_E_UTF8);
    CHECK_EQ_INT(hm_key_derive(m, "\xc3", 1, 0, &dd), HM_E_UTF8);         /* cut */
    CHECK_EQ_INT(hm_key_derive(m, "\xc0\xaf", 2, 0, &dd), HM_E_UTF8);     /* overlong */
    CHECK_EQ_INT(hm_key_derive(m, "\xed\xa0\x80", 3, 0, &dd), HM_E_UTF8); /* surrogate */
    CHECK_EQ_INT(hm_key_derive(m, "\xf4\x90\x80\x80", 4, 0, &dd), HM_E_UTF8);
    CHECK_EQ_INT(hm_key_derive(m, "\xff", 1, 0, &dd), HM_E_UTF8);
    CHECK_OK(hm_key_derive(m, "\xf0\x9f\x94\x91 key", 8, UINT64_MAX, &dd));
    CHECK_EQ_U64(hm_key_epoch(dd), UINT64_MAX);
    hm_key_free(dd);
    hm_key_free(a);
    hm_key_free(b);
    hm_key_free(c);
    hm_key_free(other);
    hm_key_free(m);
}

HM_TEST(key_ed25519_rfc8032_vector_and_sign_verify)
{
    static const char *seed_hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
    static const char *sig_hex =
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701"
        "cf9b46bd25bf5f0595bbe24655141438e7a100b";
    uint8_t seed[32], sig[64], pk[32];
    char hex[129], id[HM_KEY_ID_BUFSIZE], id2[HM_KEY_ID_BUFSIZE];
    hm_key *s = NULL, *p = NULL, *g = NULL;
    const uint8_t msg[] = "report.json bytes";
    REQUIRE(sodium_hex2bin(seed, 32, seed_hex, 64, NULL, NULL, NULL) == 0);
    REQUIRE_OK(hm_key_signing_from_seed(seed, CREATED_VEC, &s));
    CHECK_EQ_INT(hm_key_kind(s), HM_KEY_SIGNING);
    CHECK(hm_key_secret(s) == NULL);
    CHECK_OK(hm_key_public_bytes(s, pk));
    to_hex(pk, 32, hex);
    CHECK_STR(hex, "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
    CHECK_OK(hm_key_sign(s, NULL, 0, sig));
    to_hex(sig, 64, hex);
    CHECK_STR(hex, sig_hex);
    CHECK_OK(hm_key_id(s, id));
    CHECK_STR(id, "20342a89b04b87dd");
    REQUIRE_OK(hm_key_public(s, &p));
    CHECK_EQ_INT(hm_key_kind(p), HM_KEY_PUBLIC);
    CHECK_OK(hm_key_id(p, id2));
    CHECK_STR(id, id2);
    CHECK_OK(hm_key_verify(p, NULL, 0, sig));
    CHECK_OK(hm_key_sign(s, msg, sizeof msg, sig));
    CHECK_OK(hm_key_verify(p, msg, sizeof msg, sig));
    CHECK_OK(hm_key_verify(s, msg, sizeof msg, sig));
    CHECK_EQ_INT(hm_key_verify(p, msg, sizeof msg - 1, sig), HM_E_SIGNATURE);
    sig[5] ^= 1;
    CHECK_EQ_INT(hm_key_verify(p, msg, sizeof msg, sig), HM_E_SIGNATURE);
    CHECK_EQ_INT(hm_key_sign(p, msg, sizeof msg, sig), HM_E_MISUSE);
    REQUIRE_OK(hm_key_generate_signing(&g));
    CHECK_OK(hm_key_sign(g, msg, sizeof msg, sig));
    CHECK_EQ_INT(hm_key_verify(p, msg, sizeof msg, sig), HM_E_SIGNATURE);
    CHECK_OK(hm_key_verify(g, msg, sizeof msg, sig));
    hm_key_free(g);
    hm_key_free(p);
    hm_key_free(s);
}

/* The library writes the same bytes as the independent Python writer
 * (tests/vectors/keys/make_vectors.py), and reads them back. */
HM_TEST(key_file_vectors_match_independent_writer)
{
    uint8_t seed[32], *img = NULL, *vec;
    size_t n = 0, vn = 0;
    hm_key *m = vec_master(), *d = NULL, *s = NULL, *back = NULL;
    char id[HM_KEY_ID_BUFSIZE];
    REQUIRE(m != NULL);
    vec = read_vec("vectors/keys/master-insecure.key", &vn);
    REQUIRE(vec != NULL);
    REQUIRE_OK(hm_key_save_insecure(m, &img, &n));
    CHECK(n == vn && memcmp(img, vec, n) == 0);
    REQUIRE_OK(hm_key_load(vec, vn, NULL, 0, &back));
    CHECK(memcmp(hm_key_secret(back), hm_key_secret(m), 32) == 0);
    CHECK_EQ_U64(hm_key_created(back), CREATED_VEC);
    hm_key_free(back);
    back = NULL;
    hm_key_buffer_free(img, n);
    free(vec);

    REQUIRE_OK(hm_key_derive(m, "caf\xc3\xa9-\xe6\x9d\xb1\xe4\xba\xac", 12, 2026, &d));
    d->created = CREATED_VEC; /* fixed for the vector */
    vec = read_vec("vectors/keys/derived-insecure.key", &vn);
    REQUIRE(vec != NULL);
    REQUIRE_OK(hm_key_save_insecure(d, &img, &n));
    CHECK(n == vn && memcmp(img, vec, n) == 0);
    REQUIRE_OK(hm_key_load(vec, vn, NULL, 0, &back));
    CHECK_OK(hm_key_verify_derived(m, back));
    CHECK_STR(hm_key_tenant(back), "caf\xc3\xa9-\xe6\x9d\xb1\xe4\xba\xac");
    CHECK_EQ_U64(hm_key_epoch(back), 2026);
    CHECK_OK(hm_key_parent_id(back, id));
    CHECK_STR(id, "bad1d6e116597043");
    hm_key_free(back);
    back = NULL;
    hm_key_buffer_free(img, n);
    free(vec);

    REQUIRE(sodium_hex2bin(seed, 32, "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                           64, NULL, NULL, NULL) == 0);
    REQUIRE_OK(hm_key_signing_from_seed(seed, CREATED_VEC, &s));
    vec = read_vec("vectors/keys/signing-insecure.key", &vn);
    REQUIRE(vec != NULL);
    REQUIRE_OK(hm_key_save_insecure(s, &img, &n));
    CHECK(n == vn && memcmp(img, vec, n) == 0);
    hm_key_buffer_free(img, n);
    free(vec);
    vec = read_vec("vectors/keys/signing.pub", &vn);
    REQUIRE(vec != NULL);
    REQUIRE_OK(hm_key_save_public(s, &img, &n));
    CHECK(n == vn && memcmp(img, vec, n) == 0);
    REQUIRE_OK(hm_key_load(vec, vn, NULL, 0, &back));
    CHECK_EQ_INT(hm_key_kind(back), HM_KEY_PUBLIC);
    CHECK_OK(hm_key_id(back, id));
    CHECK_STR(id, "20342a89b04b87dd");
    hm_key_free(back);
    hm_key_buffer_free(img, n);
    free(vec);
    hm_key_free(s);
    hm_key_free(d);
    hm_key_free(m);
}

HM_TEST(key_file_encrypted_round_trip_and_wrong_passphrase)
{
    hm_key *m = vec_master(), *back = NULL;
    uint8_t *img = NULL;
    size_t n = 0;
    int kind = 0, enc = 0;
    REQUIRE(m != NULL);
    /* A real preset once (Argon2id over 64 MiB), the rest at HM_KDF_MIN. */
    REQUIRE_OK(hm_key_save(m, PASS, strlen(PASS), HM_KDF_INTERACTIVE, &img, &n));
    CHECK(find_bytes(img, n, "KDF-Memlimit: 67108864\n", 23) != NULL);
    CHECK(find_bytes(img, n, "UNENCRYPTED", 11) == NULL);
    CHECK_OK(hm_key_probe(img, n, &kind, &enc));
    CHECK_EQ_INT(kind, HM_KEY_MASTER);
    CHECK_EQ_INT(enc, 1);
    REQUIRE_OK(hm_key_load(img, n, PASS, strlen(PASS), &back));
    CHECK(memcmp(hm_key_secret(back), hm_key_secret(m), 32) == 0);
    CHECK_EQ_U64(hm_key_created(back), CREATED_VEC);
    hm_key_free(back);
    back = NULL;
    CHECK_EQ_INT(hm_key_load(img, n, "wrong", 5, &back), HM_E_PASSPHRASE);
    CHECK(back == NULL);
    CHECK_EQ_INT(hm_key_load(img, n, NULL, 0, &back), HM_E_PASSPHRASE);
    hm_key_buffer_free(img, n);

    /* Two saves differ (fresh salt and nonce) but both open. */
    {
        uint8_t *i1 = NULL, *i2 = NULL;
        size_t n1 = 0, n2 = 0;
        REQUIRE_OK(hm_key_save(m, PASS, strlen(PASS), HM_KDF_MIN, &i1, &n1));
        REQUIRE_OK(hm_key_save(m, PASS, strlen(PASS), HM_KDF_MIN, &i2, &n2));
        CHECK(n1 == n2 && memcmp(i1, i2, n1) != 0);
        CHECK_OK(hm_key_load(i2, n2, PASS, strlen(PASS), &back));
        hm_key_free(back);
        back = NULL;
        CHECK_OK(hm_key_probe(i1, n1, NULL, NULL));
        hm_key_buffer_free(i1, n1);
        hm_key_buffer_free(i2, n2);
    }
    /* Insecure files need no passphrase and say so. */
    REQUIRE_OK(hm_key_save_insecure(m, &img, &n));
    CHECK(find_bytes(img, n, "UNENCRYPTED - FOR TESTS ONLY", 28) != NULL);
    CHECK_OK(hm_key_probe(img, n, &kind, &enc));
    CHECK_EQ_INT(enc, 0);
    CHECK_OK(hm_key_load(img, n, "ignored", 7, &back));
    hm_key_free(back);
    hm_key_buffer_free(img, n);
    hm_key_free(m);
}

HM_TEST(key_file_signing_and_derived_encrypted_round_trip)
{
    hm_key *m = vec_master(), *d = NULL, *s = NULL, *back = NULL;
    uint8_t *img = NULL, sig[64];
    size_t n = 0;
    char a[HM_KEY_ID_BUFSIZE], b[HM_KEY_ID_BUFSIZE];
    REQUIRE(m != NULL);
    REQUIRE_OK(hm_key_derive(m, "tenant-7", 8, 3, &d));
    REQUIRE_OK(hm_key_save(d, PASS, strlen(PASS), HM_KDF_MIN, &img, &n));
    REQUIRE_OK(hm_key_load(img, n, PASS, strlen(PASS), &back));
    CHECK_OK(hm_key_verify_derived(m, back));
    CHECK_EQ_U64(hm_key_created(back), hm_key_created(d));
    hm_key_free(back);
    back = NULL;
    hm_key_buffer_free(img, n);

    REQUIRE_OK(hm_key_generate_signing(&s));
    REQUIRE_OK(hm_key_save(s, PASS, strlen(PASS), HM_KDF_MIN, &img, &n));
    REQUIRE_OK(hm_key_load(img, n, PASS, strlen(PASS), &back));
    CHECK_EQ_INT(hm_key_kind(back), HM_KEY_SIGNING);
    CHECK_OK(hm_key_sign(back, (const uint8_t *)"x", 1, sig));
    CHECK_OK(hm_key_verify(s, (const uint8_t *)"x", 1, sig));
    CHECK_OK(hm_key_id(s, a));
    CHECK_OK(hm_key_id(back, b));
    CHECK_STR(a, b);
    hm_key_free(back);
    hm_key_buffer_free(img, n);
    hm_key_free(s);
    hm_key_free(d);
    hm_key_free(m);
}

/* Images of every format, for the truncation and tamper tests. */
struct images {
    uint8_t *img[5];
    size_t len[5];
    int n;
};

static int make_images(struct images *im)
{
    hm_key *m = vec_master(), *d = NULL, *s = NULL;
    int st = HM_OK;
    memset(im, 0, sizeof *im);
    if (!m) return HM_E_INTERNAL;
    if (st == HM_OK) st = hm_key_save_insecure(m, &im->img[0], &im->len[0]);
    if (st == HM_OK) st = hm_key_save(m, PASS, strlen(PASS), HM_KDF_MIN, &im->img[1], &im->len[1]);
    if (st == HM_OK) st = hm_key_derive(m, "t\xc3\xa9nant", 7, 9, &d);
    if (st == HM_OK) st = hm_key_save(d, PASS, strlen(PASS), HM_KDF_MIN, &im->img[2], &im->len[2]);
    if (st == HM_OK) st = hm_key_generate_signing(&s);
    if (st == HM_OK) st = hm_key_save(s, PASS, strlen(PASS), HM_KDF_MIN, &im->img[3], &im->len[3]);
    if (st == HM_OK) st = hm_key_save_public(s, &im->img[4], &im->len[4]);
    im->n = 5;
    hm_key_free(s);
    hm_key_free(d);
    hm_key_free(m);
    return st;
}

static void free_images(struct images *im)
{
    int i;
    for (i = 0; i < im->n; i++) hm_key_buffer_free(im->img[i], im->len[i]);
}

HM_TEST(key_file_truncation_at_every_length)
{
    struct images im;
    int i;
    REQUIRE_OK(make_images(&im));
    for (i = 0; i < im.n; i++) {
        size_t cut, bad = 0;
        for (cut = 0; cut < im.len[i]; cut++) {
            hm_key *k = NULL;
            int s1 = hm_key_load(im.img[i], cut, PASS, strlen(PASS), &k);
            int s2 = hm_key_probe(im.img[i], cut, NULL, NULL);
            if (s1 != HM_E_TRUNCATED || s2 != HM_E_TRUNCATED || k != NULL) {
                if (bad++ < 3)
                    hm_test_fail(__FILE__, __LINE__, "image %d cut at %zu: load %d probe %d", i, cut,
                                 s1, s2);
            }
            hm_key_free(k);
        }
        CHECK_EQ_U64(bad, 0);
    }
    free_images(&im);
}

/* Every byte position, several replacement values: never accepted, never
 * mistaken for a wrong passphrase, and classified as damage (or as a
 * foreign / newer file when the BEGIN or Version line is hit). */
HM_TEST(key_file_tampering_at_every_byte)
{
    static const uint8_t repl[] = {0x00, '\n', ' ', '0', 'a', 'f', 'A', 0x7f, 0x80, 0xff};
    struct images im;
    int i;
    REQUIRE_OK(make_images(&im));
    for (i = 0; i < im.n; i++) {
        size_t pos, bad = 0, tries = 0;
        uint8_t *copy = malloc(im.len[i]);
        const uint8_t *ver = find_bytes(im.img[i], im.len[i], "Version: 1\n", 11);
        size_t magic_len = (size_t)((const uint8_t *)memchr(im.img[i], '\n', im.len[i]) - im.img[i]) + 1;
        size_t ver_digit = (size_t)(ver - im.img[i]) + 9;
        REQUIRE(copy != NULL);
        for (pos = 0; pos < im.len[i]; pos++) {
            unsigned r;
            for (r = 0; r < sizeof repl + 2; r++) {
                uint8_t v = r < sizeof repl ? repl[r] : (uint8_t)(im.img[i][pos] ^ (r == sizeof repl ? 0x01 : 0x20));
                hm_key *k = NULL;
                int s, ok;
                if (v == im.img[i][pos]) continue;
                memcpy(copy, im.img[i], im.len[i]);
                copy[pos] = v;
                s = hm_key_load(copy, im.len[i], PASS, strlen(PASS), &k);
                tries++;
                if (pos < magic_len)
                    ok = s == HM_E_FORMAT;
                else if (pos == ver_digit)
                    ok = s == HM_E_VERSION || s == HM_E_CORRUPT;
                else
                    ok = s == HM_E_CORRUPT;
                if (!ok || k != NULL) {
                    if (bad++ < 3)
                        hm_test_fail(__FILE__, __LINE__, "image %d byte %zu -> 0x%02x: status %d", i,
                                     pos, v, s);
                }
                hm_key_free(k);
            }
        }
        CHECK_EQ_U64(bad, 0);
        CHECK(tries > 8 * im.len[i]);
        free(copy);
    }
    free_images(&im);
}

HM_TEST(key_file_version_format_and_limits)
{
    hm_key *m = vec_master(), *k = NULL;
    uint8_t *img = NULL, *copy;
    size_t n = 0;
    REQUIRE(m != NULL);
    REQUIRE_OK(hm_key_save(m, PASS, strlen(PASS), HM_KDF_MIN, &img, &n));
    copy = malloc(n);
    REQUIRE(copy != NULL);

    /* A newer version is named as such, even with a valid checksum. */
    memcpy(copy, img, n);
    REQUIRE(set_field(copy, n, "Version", "2"));
    reseal(copy, n);
    CHECK_EQ_INT(hm_key_load(copy, n, PASS, strlen(PASS), &k), HM_E_VERSION);
    CHECK_EQ_INT(hm_key_probe(copy, n, NULL, NULL), HM_E_VERSION);

    /* Not a key file at all. */
    CHECK_EQ_INT(hm_key_load((const uint8_t *)"{\"key\": 1}\n", 11, NULL, 0, &k), HM_E_FORMAT);
    CHECK_EQ_INT(hm_key_load((const uint8_t *)"-----BEGIN PGP", 14, NULL, 0, &k), HM_E_FORMAT);
    CHECK_EQ_INT(hm_key_load((const uint8_t *)"-----BEGIN HALL", 15, NULL, 0, &k), HM_E_TRUNCATED);

    /* Trailing data. */
    {
        uint8_t *longer = malloc(n + 1);
        REQUIRE(longer != NULL);
        memcpy(longer, img, n);
        longer[n] = '\n';
        CHECK_EQ_INT(hm_key_load(longer, n + 1, PASS, strlen(PASS), &k), HM_E_CORRUPT);
        free(longer);
    }

    /* A crafted file cannot ask for absurd Argon2id memory (checksum
     * recomputed, so only the bound stops it), nor for zero passes. */
    memcpy(copy, img, n);
    REQUIRE(set_field(copy, n, "KDF-Memlimit", "1000"));
    reseal(copy, n);
    CHECK_EQ_INT(hm_key_load(copy, n, PASS, strlen(PASS), &k), HM_E_LIMIT);
    {
        uint8_t *big = malloc(n + 64);
        size_t bn;
        REQUIRE(big != NULL);
        memcpy(big, img, n);
        bn = set_field_len(big, n, n + 64, "KDF-Memlimit", "1099511627776"); /* 1 TiB */
        REQUIRE(bn > 0);
        reseal(big, bn);
        CHECK_EQ_INT(hm_key_load(big, bn, PASS, strlen(PASS), &k), HM_E_LIMIT);
        memcpy(big, img, n);
        bn = set_field_len(big, n, n + 64, "KDF-Opslimit", "4294967295");
        REQUIRE(bn > 0);
        reseal(big, bn);
        CHECK_EQ_INT(hm_key_load(big, bn, PASS, strlen(PASS), &k), HM_E_LIMIT);
        free(big);
    }
    memcpy(copy, img, n);
    REQUIRE(set_field(copy, n, "KDF-Opslimit", "9"));
    reseal(copy, n);
    /* 9 passes over 8 KiB is no preset hallmark writes: refused before any
     * Argon2id work (a header is authenticated only after the KDF). */
    CHECK_EQ_INT(hm_key_load(copy, n, PASS, strlen(PASS), &k), HM_E_LIMIT);
    memcpy(copy, img, n);
    REQUIRE(set_field(copy, n, "KDF-Opslimit", "2"));
    reseal(copy, n);
    /* 2 passes is the interactive preset's count, but not over 8 KiB. */
    CHECK_EQ_INT(hm_key_load(copy, n, PASS, strlen(PASS), &k), HM_E_LIMIT);
    memcpy(copy, img, n);
    REQUIRE(set_field(copy, n, "KDF-Opslimit", "0"));
    reseal(copy, n);
    CHECK_EQ_INT(hm_key_load(copy, n, PASS, strlen(PASS), &k), HM_E_LIMIT);

    /* A forger who rewrites the header and its checksum is stopped by the
     * AEAD (the header is its associated data). */
    memcpy(copy, img, n);
    REQUIRE(set_field(copy, n, "Created", "2030-01-01T00:00:00Z"));
    reseal(copy, n);
    CHECK_EQ_INT(hm_key_load(copy, n, PASS, strlen(PASS), &k), HM_E_PASSPHRASE);
    CHECK(k == NULL);
    free(copy);
    hm_key_buffer_free(img, n);

    /* In an insecure file the key id must match the key. */
    REQUIRE_OK(hm_key_save_insecure(m, &img, &n));
    copy = malloc(n);
    REQUIRE(copy != NULL);
    memcpy(copy, img, n);
    REQUIRE(set_field(copy, n, "Key-Id", "0000000000000000"));
    reseal(copy, n);
    CHECK_EQ_INT(hm_key_load(copy, n, NULL, 0, &k), HM_E_CORRUPT);
    memcpy(copy, img, n);
    REQUIRE(set_field(copy, n, "Created", "2023-02-30T00:00:00Z"));
    reseal(copy, n);
    CHECK_EQ_INT(hm_key_load(copy, n, NULL, 0, &k), HM_E_CORRUPT);
    free(copy);
    hm_key_buffer_free(img, n);
    hm_key_free(m);
}

HM_TEST(key_time_format_round_trip)
{
    char buf[HM_KEY_TIME_LEN + 1];
    uint64_t t = 0;
    CHECK_OK(hm_key__format_time(0, buf));
    CHECK_STR(buf, "1970-01-01T00:00:00Z");
    CHECK_OK(hm_key__format_time(HM_KEY_CREATED_MAX, buf));
    CHECK_STR(buf, "9999-12-31T23:59:59Z");
    CHECK_OK(hm_key__parse_time(buf, HM_KEY_TIME_LEN, &t));
    CHECK_EQ_U64(t, HM_KEY_CREATED_MAX);
    CHECK_EQ_INT(hm_key__format_time(HM_KEY_CREATED_MAX + 1, buf), HM_E_RANGE);
    CHECK_OK(hm_key__parse_time("2024-02-29T12:34:56Z", 20, &t));
    CHECK_EQ_U64(t, 1709210096ULL);
    CHECK_EQ_INT(hm_key__parse_time("2023-02-29T12:34:56Z", 20, &t), HM_E_FORMAT);
    CHECK_EQ_INT(hm_key__parse_time("2023-01-01 12:34:56Z", 20, &t), HM_E_FORMAT);
    CHECK_EQ_INT(hm_key__parse_time("1969-12-31T23:59:59Z", 20, &t), HM_E_FORMAT);
    CHECK_EQ_INT(hm_key__parse_time("2023-01-01T24:00:00Z", 20, &t), HM_E_FORMAT);
}
