/*
 * tok_internal.h - private structures of the tokenizer module (never
 * installed): the loaded tokenizer, per-thread scratch, the byte-string and
 * pair hash maps, and the entry points shared by the module's files.
 */
#ifndef HM_TOK_INTERNAL_H
#define HM_TOK_INTERNAL_H

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stddef.h>
#include <stdint.h>

#include "hallmark/tokenizer.h"

#define TOK_NONE UINT32_MAX
#define TOK_SMALL_PIECE 48 /* default hm_tokenizer.small_piece */
#define TOK_EXISTS (-1) /* tok_strmap_put: the key was already present */

enum tok_kind { TOK_TIKTOKEN = 0, TOK_HF_BYTELEVEL = 1, TOK_HF_SPM = 2 };

/* Which hand-written pre-splitter (if any) replaces the regex. */
enum tok_fast {
    TOK_FAST_NONE = 0,
    TOK_FAST_CL100K = 1,
    TOK_FAST_O200K = 2,
    TOK_FAST_QWEN = 3 /* cl100k's regex with single digits (Qwen2/Qwen3) */
};

/* Open addressing map: byte string -> uint32 value.  A slot holds the
 * key's first 8 bytes, so keys up to 8 bytes are compared without touching
 * `blob` (one cache miss per lookup). */
struct tok_slot {
    uint64_t k8;  /* first min(len, 8) key bytes, little-endian, zero-padded */
    uint32_t len; /* 0 = empty slot */
    uint32_t val;
    uint32_t off; /* key offset in blob (keys longer than 8 bytes) */
    uint32_t tag; /* high hash bits */
};
struct tok_strmap {
    struct tok_slot *slots;
    uint64_t mask;
    uint32_t n, cap;
    unsigned char *blob;
    size_t blob_len, blob_cap;
};

/* Open addressing map: (left id, right id) -> (merge rank, merged id). */
struct tok_pairmap {
    uint64_t *keys; /* UINT64_MAX = empty */
    uint32_t *rank, *id;
    uint64_t mask;
    uint32_t n;
};

struct tok_special {
    unsigned char *s;
    size_t len;
    uint32_t id;
    int special; /* 1: only with HM_TOK_SPECIAL; 0: HF added, always */
};

enum tok_norm_op { NORM_NFC = 1, NORM_PREPEND = 2, NORM_REPLACE = 3 };
struct tok_norm {
    enum tok_norm_op op;
    unsigned char *a; /* prepend text / replace pattern */
    size_t alen;
    unsigned char *b; /* replace content */
    size_t blen;
};

struct hm_tokenizer {
    enum tok_kind kind;
    char name[96];
    unsigned char sha256[32];
    uint32_t vocab_size;
    /* id -> decoded bytes: dec_blob[dec_off[id] .. dec_off[id+1]), if present */
    unsigned char *dec_blob;
    uint64_t *dec_off;
    uint8_t *present;
    /* tiktoken: bytes -> rank; SPM: normalized piece -> id */
    struct tok_strmap enc;
    uint32_t byte_id[256];
    struct tok_pairmap pairs;
    struct tok_special *specials;
    size_t n_specials;
    uint8_t special_first[256]; /* 1 if some special starts with this byte */
    pcre2_code *re;
    enum tok_fast fast; /* tests may set TOK_FAST_NONE to force PCRE2 */
    size_t small_piece;  /* pieces of up to this many symbols use the scan */
    uint64_t cache_id;   /* from the file's SHA-256: equal files merge alike */
    uint8_t *cls; /* BMP class table for the fast splitters */
    struct tok_norm *norms;
    size_t n_norms;
    int strip_leading_space; /* SPM decoder Strip(" ", 1, 0) */
    uint32_t unk_id;         /* SPM unknown token or TOK_NONE */
    int fuse_unk;
    int byte_fallback;
};

struct tok_sym {
    uint32_t start, end, id;
    int32_t prev, next;
    uint32_t ver;
};
struct tok_heap_ent {
    uint32_t rank, left, vl, vr, id;
};

/* A per-scratch memo of short pieces already merged (direct-mapped). */
#define TOK_CACHE_N 4096
#define TOK_CACHE_KEY 32
#define TOK_CACHE_IDS 16
struct tok_cache_ent {
    uint64_t tok; /* the tokenizer's cache_id (0 = empty) */
    uint64_t h;
    uint8_t len, n;
    uint8_t ends[TOK_CACHE_IDS];
    unsigned char key[TOK_CACHE_KEY];
    uint32_t ids[TOK_CACHE_IDS];
};

struct hm_tok_scratch {
    struct tok_cache_ent *cache; /* allocated on first use */
    pcre2_match_data *md;
    pcre2_jit_stack *js;
    pcre2_match_context *mctx;
    struct tok_sym *syms;
    size_t syms_cap;
    struct tok_heap_ent *heap;
    size_t heap_cap;
    uint32_t *ranks;
    size_t ranks_cap;
    /* normalization double buffer with byte maps */
    unsigned char *nb[2];
    uint32_t *ms[2], *me[2];
    size_t ncap[2];
    int32_t *u32;
    size_t u32_cap;
    unsigned char *tmp;
    size_t tmp_cap;
};

/* Maps. */
uint64_t tok_hash(const unsigned char *p, size_t n);
int tok_strmap_init(struct tok_strmap *m, uint32_t expect);
int tok_strmap_put(struct tok_strmap *m, const unsigned char *k, size_t n, uint32_t v);
uint32_t tok_strmap_get(const struct tok_strmap *m, const unsigned char *k, size_t n);
void tok_strmap_free(struct tok_strmap *m);
uint64_t tok_strmap_hash(const unsigned char *k, size_t n);
int tok_strmap_put_h(struct tok_strmap *m, const unsigned char *k, size_t n, uint32_t v,
                     uint64_t h);
void tok_strmap_prefetch(const struct tok_strmap *m, uint64_t h);
uint32_t tok_strmap_get_h(const struct tok_strmap *m, const unsigned char *k, size_t n,
                          uint64_t h);
void tok_pairmap_prefetch(const struct tok_pairmap *m, uint32_t a, uint32_t b);
int tok_pairmap_init(struct tok_pairmap *m, uint32_t expect);
void tok_pairmap_put(struct tok_pairmap *m, uint32_t a, uint32_t b, uint32_t rank, uint32_t id);
int tok_pairmap_get(const struct tok_pairmap *m, uint32_t a, uint32_t b, uint32_t *rank,
                    uint32_t *id);
void tok_pairmap_free(struct tok_pairmap *m);

/* Zeroed memory for large tables (huge pages where offered); free with
 * tok_big_free and the same size. */
void *tok_big_alloc(size_t n);
void tok_big_free(void *p, size_t n);

/* Grows *buf (element size `elem`) to hold at least `need` elements. */
int tok_grow(void **buf, size_t *cap, size_t need, size_t elem);

/* Length of the valid UTF-8 prefix of p[0..n). */
size_t tok_utf8_valid_prefix(const unsigned char *p, size_t n);
/* Length of the maximal invalid run at p (>= 1 when n > 0). */
size_t tok_utf8_invalid_run(const unsigned char *p, size_t n);

/* Pre-splitting: calls `emit(ctx, start, end)` for every piece of the valid
 * UTF-8 text p[0..n) in order.  Returns HM_OK or an error. */
typedef int (*tok_piece_fn)(void *ctx, size_t start, size_t end);
int tok_split(const hm_tokenizer *tok, hm_tok_scratch *s, const unsigned char *p, size_t n,
              tok_piece_fn emit, void *ctx);
int tok_split_regex(const pcre2_code *re, hm_tok_scratch *s, const unsigned char *p, size_t n,
                    tok_piece_fn emit, void *ctx);
int tok_split_fast(const hm_tokenizer *t, const unsigned char *p, size_t n, tok_piece_fn emit,
                   void *ctx);
/* Builds t->cls, the BMP character-class table of the fast splitters. */
int tok_fast_table(hm_tokenizer *t);

/* Normalization: applies tok->norms to p[0..n) whose byte i originally
 * covers [base+i, base+i+1).  Result in s->nb[*which], maps s->ms/me. */
int tok_normalize(const hm_tokenizer *tok, hm_tok_scratch *s, const unsigned char *p, size_t n,
                  uint32_t base, int *which, size_t *out_len);

/* tokenizer.json's model.vocab and model.merges, read entry by entry. */
struct cJSON;
struct tok_json_spans {
    const char *vocab_b, *vocab_e, *merges_b, *merges_e; /* values in the text */
    size_t nvocab, nmerges;                              /* entry counts */
};
/* Locates both values in d[0..n) and returns in *skel (malloc'd, NUL
 * terminated) the text with them emptied: 1; 0 if the text is not
 * recognised (parse it whole); -1 out of memory. */
int tok_json_split(const char *d, size_t n, struct tok_json_spans *sp, char **skel,
                   size_t *skel_len);
/* Iterates the members of a parsed object or array, or (stream) of the
 * value text [b, e); `key` is the member name (NULL in arrays).  A stream
 * entry lives until the next call or tok_json_iter_done; `bad` is set when
 * the text does not parse. */
struct tok_json_iter {
    const struct cJSON *cur;
    const char *p, *end;
    struct cJSON *k, *v;
    int stream, object, started, bad;
};
void tok_json_iter_tree(struct tok_json_iter *it, const struct cJSON *container);
void tok_json_iter_stream(struct tok_json_iter *it, const char *b, const char *e);
int tok_json_next(struct tok_json_iter *it, const char **key, const struct cJSON **val);
void tok_json_iter_done(struct tok_json_iter *it);

/* Scratch helpers. */
int tok_scratch_match_ready(hm_tok_scratch *s);

#endif /* HM_TOK_INTERNAL_H */
