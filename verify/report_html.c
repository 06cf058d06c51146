/*
 * report_html.c - renders report.json (and the scored text) as one
 * self-contained HTML page for a non-expert reader: the conclusion in one
 * sentence, the method, the text highlighted token by token, inline SVG
 * plots (the score against its null distribution; cumulative evidence
 * against the number of tokens) and what the result does and does not
 * prove.  No scripts, no external resources; everything is escaped.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hallmark/error.h"
#include "hallmark/report.h"
#include "hallmark/stats.h"
#include "report_internal.h"

#define LN10 2.302585092994045684
#define PW 720.0 /* plot width */
#define PH 260.0 /* plot height */
#define ML 60.0  /* margins */
#define MR 20.0
#define MT 20.0
#define MB 40.0

static void esc(struct hm_sbuf *b, const char *s, size_t n)
{
    size_t i, start = 0;
    for (i = 0; i < n; i++) {
        const char *rep = NULL;
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&#39;"; break;
        case 0: rep = "\xEF\xBF\xBD"; break;
        default: break;
        }
        if (!rep && c < 0x20 && c != '\n' && c != '\t' && c != '\r') rep = "\xEF\xBF\xBD";
        if (rep) {
            hm_sbuf_put(b, s + start, i - start);
            hm_sbuf_puts(b, rep);
            start = i + 1;
        }
    }
    hm_sbuf_put(b, s + start, n - start);
}

static void escs(struct hm_sbuf *b, const char *s) { esc(b, s ? s : "", s ? strlen(s) : 0); }

/* Valid UTF-8 prefix length check: replaces invalid bytes on output. */
static void esc_text(struct hm_sbuf *b, const uint8_t *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len = 0, k;
        if (c < 0x80) len = 1;
        else if (c >= 0xC2 && c <= 0xDF) len = 2;
        else if (c >= 0xE0 && c <= 0xEF) len = 3;
        else if (c >= 0xF0 && c <= 0xF4) len = 4;
        if (len == 0 || i + len > n) {
            hm_sbuf_puts(b, "\xEF\xBF\xBD");
            i++;
            continue;
        }
        for (k = 1; k < len; k++)
            if ((s[i + k] & 0xC0) != 0x80) break;
        if (k < len) {
            hm_sbuf_puts(b, "\xEF\xBF\xBD");
            i++;
            continue;
        }
        esc(b, (const char *)s + i, len);
        i += len;
    }
}

/* Text with every "x 10^N" / "10^N" rendered as "x 10<sup>N</sup>". */
static void words_html(struct hm_sbuf *b, const char *w)
{
    const char *p;
    if (!w) return;
    while ((p = strstr(w, "10^")) != NULL) {
        size_t k = 3;
        const char *q = p;
        if (q - w >= 3 && memcmp(q - 3, " x ", 3) == 0) {
            esc(b, w, (size_t)(q - 3 - w));
            hm_sbuf_puts(b, " &#215; ");
        } else {
            esc(b, w, (size_t)(q - w));
        }
        hm_sbuf_puts(b, "10<sup>");
        while (p[k] == '-' || (p[k] >= '0' && p[k] <= '9')) k++;
        esc(b, p + 3, k - 3);
        hm_sbuf_puts(b, "</sup>");
        w = p + k;
    }
    escs(b, w);
}

static double sx(double x, double x0, double x1) { return ML + (x - x0) / (x1 - x0) * (PW - ML - MR); }
static double sy(double y, double y0, double y1) { return PH - MB - (y - y0) / (y1 - y0) * (PH - MT - MB); }

static void axes(struct hm_sbuf *b, double x0, double x1, double y0, double y1, const char *xl,
                 const char *yl)
{
    int i;
    hm_sbuf_printf(b,
                   "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#333'/>"
                   "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#333'/>",
                   ML, PH - MB, PW - MR, PH - MB, ML, MT, ML, PH - MB);
    for (i = 0; i <= 4; i++) {
        double xv = x0 + (x1 - x0) * i / 4.0, yv = y0 + (y1 - y0) * i / 4.0;
        hm_sbuf_printf(b,
                       "<text x='%.1f' y='%.1f' font-size='11' text-anchor='middle'>%.4g</text>"
                       "<text x='%.1f' y='%.1f' font-size='11' text-anchor='end'>%.3g</text>",
                       sx(xv, x0, x1), PH - MB + 15, xv, ML - 4, sy(yv, y0, y1) + 4, yv);
    }
    hm_sbuf_printf(b, "<text x='%.1f' y='%.1f' font-size='12' text-anchor='middle'>", (PW + ML) / 2,
                   PH - 6);
    escs(b, xl);
    hm_sbuf_printf(b,
                   "</text><text x='14' y='%.1f' font-size='12' text-anchor='middle' "
                   "transform='rotate(-90 14 %.1f)'>",
                   (PH - MB + MT) / 2, (PH - MB + MT) / 2);
    escs(b, yl);
    hm_sbuf_puts(b, "</text>");
}

/* log density / pmf of the null at x. */
static double null_logpdf(const char *test, double x, double trials, double p0)
{
    if (strncmp(test, "binomial", 8) == 0)
        return hm_stats_binom_logpmf((long)floor(x + 0.5), (long)trials, p0);
    if (x <= 0) return -INFINITY;
    /* Gamma(shape, 1): weighted variant works on the S/var scale */
    return (trials - 1) * log(x) - x - lgamma(trials);
}

/* Plot 1: the statistic against its null distribution. */
static void plot_null(struct hm_sbuf *b, const cJSON *t, const cJSON *controls)
{
    const char *test = hm_report_str(t, "test");
    double stat = hm_report_num(t, "statistic"), trials = hm_report_num(t, "trials");
    double p0 = hm_report_num(t, "null_param");
    double mean, sd, x0, x1, ymax = 0, x;
    int i, binom, N = 200;
    const cJSON *c;
    if (!test || !isfinite(stat) || !(trials > 0 && trials <= 1e9) ||
        !(p0 > 0 && p0 < (strncmp(test, "binomial", 8) == 0 ? 1 : 1e9))) {
        hm_sbuf_puts(b, "<p>(No null-distribution plot for this test.)</p>");
        return;
    }
    binom = strncmp(test, "binomial", 8) == 0;
    if (!binom && strcmp(test, "gamma-upper-tail") != 0) {
        hm_sbuf_puts(b, "<p>(No null-distribution plot for this test.)</p>");
        return;
    }
    if (binom) {
        mean = trials * p0;
        sd = sqrt(trials * p0 * (1 - p0));
    } else {
        mean = trials;
        sd = sqrt(trials);
    }
    x0 = mean - 5 * sd;
    x1 = mean + 5 * sd;
    if (stat > x1) x1 = stat + sd;
    if (stat < x0) x0 = stat - sd;
    if (x0 < 0) x0 = 0;
    if (binom && x1 > trials) x1 = trials;
    if (x1 <= x0) x1 = x0 + 1;
    for (i = 0; i <= N; i++) {
        double y;
        x = x0 + (x1 - x0) * i / N;
        y = exp(null_logpdf(test, x, trials, p0));
        if (y > ymax) ymax = y;
    }
    if (!(ymax > 0)) ymax = 1;
    hm_sbuf_printf(b,
                   "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
                   "role='img' aria-label='score against its null distribution'>",
                   PW, PH);
    axes(b, x0, x1, 0, ymax * 1.1, binom ? "green tokens among the scored tokens" : "score S",
         "probability without the watermark");
    hm_sbuf_puts(b, "<polyline fill='#cfe0f7' stroke='#2a5db0' stroke-width='1.5' points='");
    hm_sbuf_printf(b, "%.1f,%.1f ", sx(x0, x0, x1), sy(0, 0, ymax * 1.1));
    for (i = 0; i <= N; i++) {
        x = x0 + (x1 - x0) * i / N;
        hm_sbuf_printf(b, "%.1f,%.1f ", sx(x, x0, x1),
                       sy(exp(null_logpdf(test, x, trials, p0)), 0, ymax * 1.1));
    }
    hm_sbuf_printf(b, "%.1f,%.1f'/>", sx(x1, x0, x1), sy(0, 0, ymax * 1.1));
    cJSON_ArrayForEach(c, controls)
    {
        double cs = hm_report_num(c, "statistic");
        if (isnan(cs) || cs < x0 || cs > x1) continue;
        hm_sbuf_printf(b, "<circle cx='%.1f' cy='%.1f' r='3' fill='#777'/>", sx(cs, x0, x1),
                       PH - MB - 6);
    }
    hm_sbuf_printf(b,
                   "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#c0392b' "
                   "stroke-width='3'/><text x='%.1f' y='%.1f' font-size='12' fill='#c0392b' "
                   "text-anchor='end'>observed: %.6g</text></svg>",
                   sx(stat, x0, x1), MT, sx(stat, x0, x1), PH - MB, sx(stat, x0, x1) - 4, MT + 12,
                   stat);
    hm_sbuf_puts(b,
                 "<p class='cap'>Blue: how the score is distributed in text <em>without</em> the "
                 "watermark (the null distribution for this many scored tokens). Red line: the "
                 "score observed. Grey dots: the same score under unrelated control keys.</p>");
}

/* Plot 2: cumulative evidence (-log10 p) against the number of tokens. */
static void plot_cumulative(struct hm_sbuf *b, const cJSON *res, double alpha)
{
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(res, "tokens");
    const char *test = hm_report_str(res, "test");
    double p0 = hm_report_num(res, "null_param");
    int n = cJSON_GetArraySize(tokens), i, kind;
    double *ys, ymax, thr = -log10(alpha), acc = 0, cnt = 0, trials = 0;
    const cJSON *t;
    if (!cJSON_IsArray(tokens) || n == 0 || !test) {
        hm_sbuf_puts(b, "<p>(No per-token data in the result: run <code>hallmark detect --json "
                        "--per-token</code> to get this plot.)</p>");
        return;
    }
    kind = strcmp(test, "binomial-upper-tail") == 0          ? 1
           : strcmp(test, "gamma-upper-tail") == 0           ? 2
           : strcmp(test, "binomial-upper-tail-gcount") == 0 ? 3
           : strcmp(test, "binomial-upper-tail-gcount-nominal") == 0 ? 3
                                                             : 0;
    if (!kind) {
        hm_sbuf_puts(b, "<p>(No cumulative plot for this test.)</p>");
        return;
    }
    ys = calloc((size_t)n + 1, sizeof *ys);
    if (!ys) {
        b->oom = 1;
        return;
    }
    i = 0;
    cJSON_ArrayForEach(t, tokens)
    {
        double lp = 0;
        if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "counted"))) {
            const cJSON *g = cJSON_GetObjectItemCaseSensitive(t, "g");
            cnt += 1;
            if (kind == 1) {
                acc += cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "green")) ? 1 : 0;
                trials = cnt;
            } else if (kind == 2) {
                double u = hm_report_num(t, "u");
                if (!isnan(u)) acc += -log1p(-u);
            } else {
                const cJSON *gb;
                if (cJSON_IsArray(g)) {
                    cJSON_ArrayForEach(gb, g) { acc += gb->valuedouble; trials += 1; }
                } else {
                    trials += 1;
                }
            }
            if (kind == 1) lp = hm_stats_binom_logsf((long)acc, (long)trials, p0);
            else if (kind == 2) lp = hm_stats_gamma_logsf(acc, cnt);
            else lp = hm_stats_binom_logsf((long)acc, (long)trials, 0.5);
        } else if (i > 0) {
            ys[i + 1] = ys[i];
            i++;
            continue;
        }
        ys[i + 1] = isfinite(lp) ? -lp / LN10 : (i > 0 ? ys[i] : 0);
        i++;
    }
    ymax = thr * 1.2;
    for (i = 0; i <= n; i++)
        if (ys[i] > ymax) ymax = ys[i] * 1.05;
    hm_sbuf_printf(b,
                   "<svg xmlns='http://www.w3.org/2000/svg' width='%.0f' height='%.0f' "
                   "role='img' aria-label='cumulative evidence'>",
                   PW, PH);
    axes(b, 0, n, 0, ymax, "number of tokens read", "evidence: -log10 p");
    hm_sbuf_printf(b,
                   "<line x1='%.1f' y1='%.1f' x2='%.1f' y2='%.1f' stroke='#e67e22' "
                   "stroke-dasharray='6 4'/><text x='%.1f' y='%.1f' font-size='11' "
                   "fill='#e67e22'>detection threshold (alpha %g)</text>",
                   sx(0, 0, n), sy(thr, 0, ymax), sx(n, 0, n), sy(thr, 0, ymax), ML + 6,
                   sy(thr, 0, ymax) - 4, alpha);
    hm_sbuf_puts(b, "<polyline fill='none' stroke='#27ae60' stroke-width='2' points='");
    {
        int step = n > 600 ? n / 600 : 1;
        for (i = 0; i <= n; i += step)
            hm_sbuf_printf(b, "%.1f,%.1f ", sx(i, 0, n), sy(ys[i], 0, ymax));
        if ((n % step) != 0) hm_sbuf_printf(b, "%.1f,%.1f ", sx(n, 0, n), sy(ys[n], 0, ymax));
    }
    hm_sbuf_puts(b, "'/></svg>");
    hm_sbuf_puts(b,
                 "<p class='cap'>Green: the strength of the evidence after reading the first N "
                 "tokens (higher is stronger; each step of 1 is a factor of 10 in the p-value). "
                 "Orange: the level at which the test declares the watermark detected. Evidence "
                 "that climbs steadily means the watermark runs through the whole text.</p>");
    free(ys);
}

/* The text with each token highlighted. */
static void highlight(struct hm_sbuf *b, const cJSON *res, const uint8_t *text, size_t tlen)
{
    const cJSON *tokens = cJSON_GetObjectItemCaseSensitive(res, "tokens");
    const cJSON *t;
    size_t pos = 0;
    if (!cJSON_IsArray(tokens)) {
        if (text) {
            hm_sbuf_puts(b, "<div class='text'>");
            esc_text(b, text, tlen);
            hm_sbuf_puts(b, "</div><p>(No per-token data in the result, so no highlighting.)</p>");
        } else {
            hm_sbuf_puts(b, "<p>(Neither the text nor per-token data is available.)</p>");
        }
        return;
    }
    hm_sbuf_puts(b, "<div class='text'>");
    cJSON_ArrayForEach(t, tokens)
    {
        long long st = hm_report_int(t, "start"), en = hm_report_int(t, "end");
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(t, "g");
        const char *cls;
        char title[160], style[64] = "";
        int counted = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "counted"));
        const char *skip = hm_report_str(t, "skip");
        double u = hm_report_num(t, "u");
        if (!counted) {
            cls = "n";
            snprintf(title, sizeof title, "not scored (%s)", skip ? skip : "-");
        } else if (cJSON_GetObjectItemCaseSensitive(t, "green")) {
            int gr = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(t, "green"));
            cls = gr ? "g" : "r";
            snprintf(title, sizeof title, "%s token", gr ? "green (watermark)" : "red (not in the green list)");
        } else if (!isnan(u)) {
            cls = "u";
            snprintf(title, sizeof title, "u = %.3f (watermark pushes u towards 1)", u);
            snprintf(style, sizeof style, " style='background:rgba(39,174,96,%.2f)'",
                     u > 0 ? u * u * 0.8 : 0);
        } else if (cJSON_IsArray(g)) {
            const cJSON *gb;
            double s = 0, m = 0;
            cJSON_ArrayForEach(gb, g) { s += gb->valuedouble; m += 1; }
            cls = "u";
            snprintf(title, sizeof title, "g-values: %.0f of %.0f are 1", s, m);
            snprintf(style, sizeof style, " style='background:rgba(39,174,96,%.2f)'",
                     m > 0 ? 0.8 * s / m : 0);
        } else {
            cls = "n";
            snprintf(title, sizeof title, "scored");
        }
        hm_sbuf_printf(b, "<span class='%s' title='%s'%s>", cls, title, style);
        if (text && st >= 0 && en >= st && (size_t)en <= tlen) {
            if ((size_t)st > pos) esc_text(b, text + pos, (size_t)st - pos);
            esc_text(b, text + st, (size_t)(en - st));
            pos = (size_t)en;
        } else {
            hm_sbuf_printf(b, "[%lld] ", hm_report_int(t, "id"));
        }
        hm_sbuf_puts(b, "</span>");
    }
    if (text && pos < tlen) esc_text(b, text + pos, tlen - pos);
    hm_sbuf_puts(b, "</div>");
    if (strcmp(hm_report_str(res, "test") ? hm_report_str(res, "test") : "",
               "binomial-upper-tail") == 0)
        hm_sbuf_puts(b,
                     "<p class='cap'><span class='g'>green</span> a token the watermark favours "
                     "(counted); <span class='r'>red</span> a token it does not favour (counted); "
                     "<span class='n'>grey</span> not scored (no full context, or a repeat). "
                     "Hover a token for its value. In text without the watermark about a "
                     "fixed share of counted tokens are green by chance.</p>");
    else
        hm_sbuf_puts(b,
                     "<p class='cap'>The darker the green, the more the token agrees with the "
                     "watermark (its keyed value is close to 1; without the watermark the values "
                     "are spread evenly, so dark and light tokens are equally common); "
                     "<span class='n'>grey</span> not scored (no full context, or a repeat). "
                     "Hover a token for its value.</p>");
}

static void kv(struct hm_sbuf *b, const char *k, const char *v)
{
    hm_sbuf_puts(b, "<tr><th>");
    escs(b, k);
    hm_sbuf_puts(b, "</th><td>");
    escs(b, v ? v : "-");
    hm_sbuf_puts(b, "</td></tr>");
}

int hm_report_html(const char *report, size_t len, const uint8_t *text, size_t text_len,
                   char **out, size_t *outlen)
{
    cJSON *rep;
    const cJSON *res, *wm, *con, *tests, *t, *ctl, *corr, *inputs, *signer;
    struct hm_sbuf b = {0};
    char buf[256], *params;
    double alpha;
    int pooled;
    const cJSON *evid;
    if (!report || !out || !outlen || (!text && text_len)) return HM_E_MISUSE;
    rep = cJSON_ParseWithLength(report, len);
    if (!hm_report_str(rep, "format") || strcmp(hm_report_str(rep, "format"), HM_REPORT_FORMAT)) {
        cJSON_Delete(rep);
        return HM_E_FORMAT;
    }
    res = cJSON_GetObjectItemCaseSensitive(rep, "result");
    wm = cJSON_GetObjectItemCaseSensitive(rep, "watermark");
    con = cJSON_GetObjectItemCaseSensitive(rep, "conclusion");
    tests = cJSON_GetObjectItemCaseSensitive(rep, "tests");
    ctl = cJSON_GetObjectItemCaseSensitive(rep, "negative_controls");
    corr = cJSON_GetObjectItemCaseSensitive(rep, "corrections");
    inputs = cJSON_GetObjectItemCaseSensitive(rep, "inputs");
    signer = cJSON_GetObjectItemCaseSensitive(rep, "signer");
    alpha = hm_report_num(con, "alpha");
    if (!(alpha > 0 && alpha < 1)) alpha = 1e-6;
    hm_sbuf_puts(&b,
                 "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
                 "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
                 "style-src 'unsafe-inline'; img-src data:\">"
                 "<title>Hallmark evidence report</title><style>"
                 "body{font-family:Georgia,serif;max-width:60em;margin:2em auto;padding:0 1em;"
                 "color:#222;line-height:1.5}h1{font-size:1.6em}h2{font-size:1.25em;"
                 "border-bottom:1px solid #ccc;margin-top:1.8em}"
                 ".concl{font-size:1.2em;padding:1em;border-left:6px solid #2a5db0;"
                 "background:#f2f6fc}.concl.det{border-color:#27ae60}"
                 "table{border-collapse:collapse;margin:0.5em 0}th,td{border:1px solid #ccc;"
                 "padding:3px 8px;text-align:left;vertical-align:top;font-size:0.92em}"
                 "th{background:#f4f4f4}.text{font-family:monospace;white-space:pre-wrap;"
                 "border:1px solid #ccc;padding:0.8em;line-height:1.9}"
                 ".text span{box-shadow:inset -1px 0 #fff}.g{background:#a9dfbf}.r{background:#f5b7b1}.n{background:#eee;color:#555}"
                 ".cap{font-size:0.9em;color:#444}code{font-size:0.9em}"
                 "svg{display:block;margin:0.5em 0;background:#fff;border:1px solid #ddd}"
                 "</style></head><body>\n");
    hm_sbuf_puts(&b, "<h1>Watermark evidence report</h1>\n");
    hm_sbuf_puts(&b, "<p class='cap'>Created ");
    escs(&b, hm_report_str(rep, "created_utc"));
    hm_sbuf_puts(&b, " by hallmark ");
    escs(&b, hm_report_str(cJSON_GetObjectItemCaseSensitive(rep, "tool"), "version"));
    hm_sbuf_puts(&b, " (build ");
    escs(&b, hm_report_str(cJSON_GetObjectItemCaseSensitive(rep, "tool"), "build_id"));
    hm_sbuf_puts(&b, "). This page is a rendering of the signed file report.json; "
                     "report.json is the evidence.</p>\n");
    /* conclusion */
    hm_sbuf_printf(&b, "<h2>Conclusion</h2><p class='concl%s'>",
                   cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(con, "detected")) ? " det" : "");
    words_html(&b, hm_report_str(con, "sentence"));
    hm_sbuf_puts(&b, "</p><p>In plain words: the chance is ");
    words_html(&b, hm_report_str(con, "p_words"));
    hm_sbuf_puts(&b, ". ");
    escs(&b, hm_report_str(con, "meaning") ? hm_report_str(con, "meaning")
                                           : "The smaller this chance, the stronger the evidence "
                                             "that the text came from a model using this "
                                             "watermark key.");
    hm_sbuf_puts(&b, "</p>\n");
    /* case */
    {
        const cJSON *cs = cJSON_GetObjectItemCaseSensitive(rep, "case"), *c;
        if (cJSON_IsObject(cs)) {
            hm_sbuf_puts(&b, "<h2>Case</h2><table>");
            cJSON_ArrayForEach(c, cs)
            {
                char *v = cJSON_IsString(c) ? NULL : cJSON_PrintUnformatted(c);
                kv(&b, c->string ? c->string : "", cJSON_IsString(c) ? c->valuestring : v);
                if (v) cJSON_free(v);
            }
            hm_sbuf_puts(&b, "</table>\n");
        }
    }
    /* method */
    hm_sbuf_puts(&b, "<h2>Method</h2><p>A watermarking model nudges its choice of words with a "
                     "secret key: at each step a keyed pseudorandom rule marks some possible "
                     "next tokens as favoured. Anyone holding the key can count how often the "
                     "text follows that rule. Text written without the key follows it only by "
                     "chance, at a known rate, so the count can be turned into an exact "
                     "probability (the p-value): the chance of seeing a count at least this "
                     "extreme in text without the watermark.</p><table>");
    kv(&b, "Scheme", hm_report_str(wm, "scheme_version"));
    params = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(wm, "params"));
    kv(&b, "Parameters", params);
    if (params) cJSON_free(params);
    kv(&b, "Pseudorandom function", hm_report_str(wm, "prf_version"));
    kv(&b, "Tokenizer", hm_report_str(wm, "tokenizer"));
    kv(&b, "Tokenizer file SHA-256", hm_report_str(wm, "tokenizer_sha256"));
    kv(&b, "Deduplication", hm_report_str(wm, "dedup"));
    kv(&b, "Watermark key id", hm_report_str(wm, "key_id"));
    kv(&b, "Key commitment (BLAKE2b-256)", hm_report_str(wm, "key_commitment"));
    kv(&b, "Report signed by key id", hm_report_str(signer, "key_id"));
    hm_sbuf_puts(&b, "</table>\n");
    /* tests */
    hm_sbuf_puts(&b, "<h2>Every test that was run</h2><table><tr><th>test</th><th>statistic</th>"
                     "<th>n</th><th>p-value</th><th>assumptions</th></tr>");
    cJSON_ArrayForEach(t, tests)
    {
        hm_sbuf_puts(&b, "<tr><td>");
        escs(&b, hm_report_str(t, "name"));
        hm_sbuf_puts(&b, "<br><code>");
        escs(&b, hm_report_str(t, "test"));
        hm_sbuf_printf(&b, "</code></td><td>%.6g</td><td>", hm_report_num(t, "statistic"));
        escs(&b, hm_report_str(t, "n"));
        hm_sbuf_puts(&b, "</td><td>");
        escs(&b, hm_report_str(t, "p_text"));
        hm_sbuf_puts(&b, "<br>(");
        words_html(&b, hm_report_str(t, "p_words"));
        hm_sbuf_puts(&b, ")</td><td>");
        escs(&b, hm_report_str(t, "assumptions"));
        hm_sbuf_puts(&b, "</td></tr>");
    }
    hm_sbuf_puts(&b, "</table>");
    if (cJSON_GetArraySize(corr) > 0) {
        hm_sbuf_puts(&b, "<p>Multiple-testing corrections:</p><ul>");
        cJSON_ArrayForEach(t, corr)
        {
            hm_sbuf_puts(&b, "<li>");
            escs(&b, hm_report_str(t, "method"));
            hm_sbuf_printf(&b, " over %.0f (", hm_report_num(t, "m"));
            escs(&b, hm_report_str(t, "over"));
            hm_sbuf_puts(&b, "), applied to <code>");
            escs(&b, hm_report_str(t, "applies_to"));
            hm_sbuf_puts(&b, "</code></li>");
        }
        hm_sbuf_puts(&b, "</ul>");
    } else {
        hm_sbuf_puts(&b, "<p>Multiple-testing corrections: none were needed (the conclusion "
                         "rests on a single test).</p>");
    }
    /* plots */
    hm_sbuf_puts(&b, "<h2>The score against chance</h2>");
    plot_null(&b, cJSON_GetArrayItem(tests, 0),
              cJSON_GetObjectItemCaseSensitive(ctl, "controls"));
    pooled = hm_report_is_corpus_type(hm_report_str(rep, "result_type"));
    /* per-token data: the result's own, or what `report` recomputed */
    evid = res;
    if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(res, "tokens")) &&
        cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(rep, "token_evidence")))
        evid = cJSON_GetObjectItemCaseSensitive(rep, "token_evidence");
    hm_sbuf_puts(&b, "<h2>Evidence as the text goes on</h2>");
    if (pooled)
        hm_sbuf_puts(&b, "<p>(Not applicable: this result pools many documents. Each "
                         "document's own p-value is in the command's output files, listed "
                         "under Inputs when they were given to the report.)</p>");
    else
        plot_cumulative(&b, evid, alpha);
    /* negative controls */
    hm_sbuf_puts(&b, "<h2>Negative controls</h2><p>");
    escs(&b, hm_report_str(ctl, "method"));
    if (hm_report_str(ctl, "reason")) {
        hm_sbuf_puts(&b, ": ");
        escs(&b, hm_report_str(ctl, "reason"));
    }
    hm_sbuf_puts(&b, "</p>");
    if (cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(ctl, "controls"))) {
        hm_sbuf_puts(&b, "<p>Smallest control p-value: ");
        escs(&b, hm_report_str(ctl, "min_p_text"));
        hm_sbuf_puts(&b, " (");
        escs(&b, hm_report_str(ctl, "min_p_sidak_text"));
        hm_sbuf_puts(&b, " after a correction for the number of controls); controls below the "
                         "significance level: ");
        escs(&b, hm_report_str(ctl, "n_below_alpha"));
        hm_sbuf_puts(&b, ".</p>");
    }
    /* text */
    if (!pooled) {
        hm_sbuf_puts(&b, "<h2>The text, token by token</h2>");
        highlight(&b, evid, text, text_len);
        if (evid != res) {
            hm_sbuf_puts(&b, "<p class='cap'>Per-token evidence: ");
            escs(&b, hm_report_str(evid, "source"));
            hm_sbuf_puts(&b, ".</p>");
        }
    }
    /* proves / does not prove */
    hm_sbuf_puts(
        &b,
        "<h2>What this shows, and what it does not</h2><ul>"
        "<li>A small p-value shows that the text agrees with this key's watermark far more than "
        "chance allows. It links the text to a generator that used the key; it does not by "
        "itself say who ran that generator.</li>"
        "<li>The p-value is exact under the stated assumptions (see the table above); it is not "
        "the probability that the text is human-written.</li>"
        "<li>A watermark can be weakened or removed by paraphrasing, translation or heavy "
        "editing, so <strong>a non-detection is not proof that the text was not machine-"
        "generated</strong>.</li>"
        "<li>The key was fixed in advance if its commitment (above) was published before the "
        "dispute; anyone with the key can rerun every test with <code>hallmark report verify "
        "--key</code>.</li></ul>");
    /* inputs */
    hm_sbuf_puts(&b, "<h2>Inputs and integrity</h2><table><tr><th>file</th><th>role</th>"
                     "<th>bytes</th><th>SHA-256</th></tr>");
    cJSON_ArrayForEach(t, inputs)
    {
        hm_sbuf_puts(&b, "<tr><td>");
        escs(&b, hm_report_str(t, "path"));
        hm_sbuf_puts(&b, "</td><td>");
        escs(&b, hm_report_str(t, "role"));
        hm_sbuf_puts(&b, "</td><td>");
        escs(&b, hm_report_str(t, "bytes"));
        hm_sbuf_puts(&b, "</td><td><code>");
        escs(&b, hm_report_str(t, "sha256"));
        hm_sbuf_puts(&b, "</code></td></tr>");
    }
    hm_sbuf_puts(&b, "</table><p class='cap'>Command: <code>");
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(rep, "command"))
    {
        escs(&b, cJSON_IsString(t) ? t->valuestring : "");
        hm_sbuf_puts(&b, " ");
    }
    snprintf(buf, sizeof buf, "%s", hm_report_str(signer, "public_key") ? hm_report_str(signer, "public_key") : "-");
    hm_sbuf_puts(&b, "</code><br>Signer public key (Ed25519): <code>");
    escs(&b, buf);
    hm_sbuf_puts(&b, "</code><br>Check with: <code>hallmark report verify DIR --pubkey "
                     "SIGNER.pub --input FILE</code></p>\n</body></html>\n");
    cJSON_Delete(rep);
    if (b.oom) {
        free(b.p);
        return HM_E_NOMEM;
    }
    *out = b.p;
    *outlen = b.len;
    return HM_OK;
}
