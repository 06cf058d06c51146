/*
 * train-lm.c - trains the sample n-gram model (samples/lm/ngram.h) from
 * token ids, one document per line, and writes the model file.
 *
 *   train-lm [--order N] [--vocab V] [--eos ID] --out MODEL [FILE|-]
 *
 * Exit status 0 on success, 2 on any error (message on stderr).
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../lm/ngram.h"
#include "common.h"

static const char usage[] =
    "Usage: train-lm [OPTIONS] --out MODEL [FILE|-]\n"
    "Trains an interpolated modified Kneser-Ney n-gram model on token ids\n"
    "(decimal, blank-separated, one document per line; FILE or stdin) and\n"
    "writes the model file MODEL.\n"
    "\n"
    "  --order N   n-gram order, 1..6 (default 4)\n"
    "  --vocab V   vocabulary size (default 100277, cl100k_base)\n"
    "  --eos ID    end-of-text id (default 100257, cl100k <|endoftext|>)\n"
    "  --out PATH  the model file to write (required)\n"
    "  --quiet     no summary on stderr\n"
    "  --help      this help\n";

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int misuse(const char *msg, const char *arg)
{
    fprintf(stderr, "train-lm: %s%s%s\nTry 'train-lm --help'.\n", msg, arg ? ": " : "",
            arg ? arg : "");
    return 2;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"order", required_argument, NULL, 'n'}, {"vocab", required_argument, NULL, 'V'},
        {"eos", required_argument, NULL, 'e'},   {"out", required_argument, NULL, 'o'},
        {"quiet", no_argument, NULL, 'q'},       {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    uint64_t order = SLM_DEFAULT_ORDER, vocab = SLM_CL100K_VOCAB, eos = SLM_CL100K_EOS;
    int eos_set = 0, quiet = 0, c, rc;
    const char *outp = NULL, *in = "-";
    char *text = NULL;
    size_t len = 0, n_ids = 0, n_docs = 0, err_line = 0;
    uint32_t *ids = NULL;
    size_t *starts = NULL;
    slm_model *model = NULL;
    double t0, t1, t2;

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'n':
            if (prog_parse_u64(optarg, 1, SLM_MAX_ORDER, &order))
                return misuse("--order must be an integer from 1 to 6", optarg);
            break;
        case 'V':
            if (prog_parse_u64(optarg, 2, 0xffffffffull, &vocab))
                return misuse("--vocab must be an integer from 2 to 4294967295", optarg);
            break;
        case 'e':
            if (prog_parse_u64(optarg, 0, 0xfffffffeull, &eos))
                return misuse("--eos must be a token id", optarg);
            eos_set = 1;
            break;
        case 'o': outp = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': fputs(usage, stdout); return 0;
        default:
            return misuse("unknown or incomplete option", argv[optind - 1]);
        }
    }
    if (optind < argc) in = argv[optind++];
    if (optind < argc) return misuse("unexpected argument", argv[optind]);
    if (!outp) return misuse("--out MODEL is required", NULL);
    if (!eos_set && eos >= vocab) eos = vocab - 1;
    if (eos >= vocab) return misuse("--eos must be below --vocab", NULL);

    t0 = now_s();
    if (prog_read_all(in, &text, &len) != 0) {
        fprintf(stderr, "train-lm: cannot read %s: %s\n", in, strerror(errno));
        return 2;
    }
    rc = slm_parse_ids(text, len, (uint32_t)vocab, &ids, &n_ids, &starts, &n_docs, &err_line);
    free(text);
    if (rc == HM_E_FORMAT) {
        fprintf(stderr, "train-lm: %s:%zu: malformed input: expected decimal token ids "
                        "separated by blanks, one document per line\n", in, err_line);
        return 2;
    }
    if (rc == HM_E_RANGE) {
        fprintf(stderr, "train-lm: %s:%zu: token id out of range (must be below the "
                        "vocabulary size %llu)\n", in, err_line, (unsigned long long)vocab);
        return 2;
    }
    if (rc != HM_OK) {
        fprintf(stderr, "train-lm: %s: %s\n", in, hm_strerror(rc));
        return 2;
    }
    t1 = now_s();
    rc = slm_train(ids, n_ids, starts, n_docs, (unsigned)order, (uint32_t)vocab,
                   (uint32_t)eos, &model);
    free(ids);
    free(starts);
    if (rc != HM_OK) {
        fprintf(stderr, "train-lm: training failed: %s\n", hm_strerror(rc));
        return 2;
    }
    t2 = now_s();
    rc = slm_save(model, outp);
    if (rc != HM_OK) {
        fprintf(stderr, "train-lm: cannot write %s: %s\n", outp,
                rc == HM_E_IO ? strerror(errno) : hm_strerror(rc));
        slm_free(model);
        return 2;
    }
    if (!quiet) {
        const unsigned char *img;
        size_t img_len = 0;
        unsigned n;
        unsigned char id[32];
        (void)slm_file_image(model, &img, &img_len);
        (void)slm_model_id(model, id);
        fprintf(stderr, "train-lm: %zu tokens in %zu lines; order %u, vocab %u, eos %u\n",
                n_ids, n_docs, (unsigned)order, (unsigned)vocab, (unsigned)eos);
        for (n = 1; n <= (unsigned)order; n++)
            fprintf(stderr, "train-lm:   %u-grams %zu  D1 %.4f D2 %.4f D3+ %.4f\n", n,
                    slm_ngram_count(model, n), slm_discount(model, n, 1),
                    slm_discount(model, n, 2), slm_discount(model, n, 3));
        fprintf(stderr, "train-lm: read %.2f s, trained %.2f s; wrote %s (%zu bytes, id ",
                t1 - t0, t2 - t1, outp, img_len);
        for (n = 0; n < 8; n++) fprintf(stderr, "%02x", id[n]);
        fprintf(stderr, "...)\n");
    }
    slm_free(model);
    return 0;
}
