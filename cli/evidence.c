/*
 * evidence.c - the per-token evidence array ("tokens": id, offsets,
 * counted, skip reason, green / u / g-values) that `hallmark detect
 * --per-token` prints and `hallmark report` computes for highlighting.
 */
#include "cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>

void *cli_tokens_json(const hm_token_detail *det, const hm_tok_output *t, size_t n)
{
    cJSON *arr = cJSON_CreateArray();
    size_t i;
    for (i = 0; i < n; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "id", det[i].id);
        if (t->offsets) {
            cJSON_AddNumberToObject(o, "start", (double)t->offsets[i].start);
            cJSON_AddNumberToObject(o, "end", (double)t->offsets[i].end);
        }
        cJSON_AddBoolToObject(o, "counted", det[i].counted);
        if (det[i].skip == 1) cJSON_AddStringToObject(o, "skip", "no-context");
        if (det[i].skip == 2) cJSON_AddStringToObject(o, "skip", "duplicate");
        if (det[i].skip == 3) cJSON_AddStringToObject(o, "skip", "after-eos");
        if (det[i].skip != 1 && det[i].skip != 3) {
            if (det[i].layers > 1) {
                cJSON *g = cJSON_CreateArray();
                uint32_t l;
                for (l = 0; l < det[i].layers; l++)
                    cJSON_AddItemToArray(g, cJSON_CreateNumber((double)((det[i].gbits >> l) & 1)));
                cJSON_AddItemToObject(o, "g", g);
            } else if (!isnan(det[i].u)) {
                /* exact: %.17g round-trips every double (cJSON's own
                 * printing may drop the last digit: 1 ulp off) */
                char ub[32];
                snprintf(ub, sizeof ub, "%.17g", det[i].u);
                cJSON_AddRawToObject(o, "u", ub);
            } else {
                cJSON_AddBoolToObject(o, "green", det[i].green);
            }
        }
        cJSON_AddItemToArray(arr, o);
    }
    return arr;
}
