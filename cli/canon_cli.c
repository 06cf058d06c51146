/*
 * canon_cli.c - the canonical-text step of the CLI's detection commands
 * (hallmark/canon.h): encode the canonical text of a document and total
 * what was changed, for scan, radioactivity, trace and payload decode; and
 * the "canonical" JSON object every one of them prints.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

int cli_canon_open(struct cli_canon *cc, const hm_canon *shared, int enabled)
{
    memset(cc, 0, sizeof *cc);
    hm_canon_output_init(&cc->out);
    cc->enabled = enabled;
    if (!enabled) return CLI_OK;
    if (shared) {
        cc->canon = shared;
        return CLI_OK;
    }
    {
        hm_canon *c = NULL;
        int s = hm_canon_new(&c);
        if (s != HM_OK) return cli_fail(s, "canonical text");
        cc->own = c;
        cc->canon = c;
    }
    return CLI_OK;
}

void cli_canon_close(struct cli_canon *cc)
{
    hm_canon_output_clear(&cc->out);
    hm_canon_free(cc->own);
    cc->own = NULL;
    cc->canon = NULL;
}

void cli_canon_merge(struct cli_canon *into, const struct cli_canon *from)
{
    hm_canon_counts_add(&into->total, &from->total);
    into->docs += from->docs;
    into->docs_changed += from->docs_changed;
}

int cli_canon_encode(struct cli_canon *cc, const hm_tokenizer *tok, hm_tok_scratch *sc,
                     const char *text, size_t len, unsigned flags, hm_tok_output *out)
{
    int s;
    if (!cc || !cc->enabled) return hm_tokenizer_encode(tok, sc, text, len, flags, out);
    s = hm_canon_text(cc->canon, text, len, &cc->out);
    if (s != HM_OK) return s;
    cc->docs++;
    if (!cc->out.changed) return hm_tokenizer_encode(tok, sc, text, len, flags, out);
    cc->docs_changed++;
    hm_canon_counts_add(&cc->total, &cc->out.counts);
    {
        size_t first = out->len;
        s = hm_tokenizer_encode(tok, sc, cc->out.text, cc->out.len, flags, out);
        if (s == HM_OK && (flags & HM_TOK_OFFSETS)) {
            /* map the appended tokens' offsets back to the input */
            hm_tok_output tail = *out;
            tail.ids += first;
            tail.offsets += first;
            tail.len -= first;
            s = hm_canon_map_tokens(&cc->out, &tail);
        }
    }
    return s;
}

void *cli_canon_counts_json(const hm_canon_counts *n, int changed)
{
    cJSON *c = cJSON_CreateObject(), *k = cJSON_CreateObject();
    char d[1024], b[32];
    cJSON_AddBoolToObject(c, "enabled", 1);
    cJSON_AddBoolToObject(c, "changed", changed);
    hm_canon_describe(n, d, sizeof d);
    cJSON_AddStringToObject(c, "changes", d);
#define U64(name, v)                                                   \
    snprintf(b, sizeof b, "%llu", (unsigned long long)(v));            \
    cJSON_AddStringToObject(k, name, b)
    U64("removed_invisible", n->removed_invisible);
    U64("normalized", n->normalized);
    U64("fullwidth", n->fullwidth);
    U64("spaces_mapped", n->spaces_mapped);
    U64("spaces_collapsed", n->spaces_collapsed);
    U64("line_breaks_folded", n->line_breaks_folded);
    U64("lookalikes_folded", n->lookalikes_folded);
#undef U64
    cJSON_AddItemToObject(c, "counts", k);
    return c;
}

void *cli_canon_json(const struct cli_canon *cc)
{
    cJSON *c;
    char b[32];
    if (!cc->enabled) {
        c = cJSON_CreateObject();
        cJSON_AddBoolToObject(c, "enabled", 0);
        return c;
    }
    c = cli_canon_counts_json(&cc->total, cc->docs_changed > 0);
    snprintf(b, sizeof b, "%llu", (unsigned long long)cc->docs_changed);
    cJSON_AddStringToObject(c, "documents_changed", b);
    cJSON_AddStringToObject(c, "test", "the canonical text only (one test per document)");
    return c;
}

void cli_canon_print(const struct cli_canon *cc)
{
    char d[1024];
    if (!cc->enabled || !cc->docs_changed) return;
    hm_canon_describe(&cc->total, d, sizeof d);
    fprintf(stderr, "hallmark: canonical text: %llu document(s) changed: %s\n",
            (unsigned long long)cc->docs_changed, d);
}
