/*
 * cmd_bench.c - `hallmark bench WHAT`: dispatch to the benchmarks, each
 * defined beside the feature it measures.  Every benchmark measures its
 * baseline side by side in the same run and prints ratios.
 */
#include "cli.h"

#include <string.h>

static const struct cli_command benches[] = {
    {"tokenize", cli_bench_tokenize, "encode throughput vs native tiktoken and HF tokenizers"},
    {"embed", cli_bench_embed, "per-token embedding cost vs plain sampling"},
    {"payload", cli_bench_payload, "multi-bit payload decoding rate vs tokens (sample model)"},
};

#define N_BENCHES (sizeof benches / sizeof benches[0])

static void usage(FILE *out)
{
    size_t i;
    fprintf(out, "Usage: hallmark bench WHAT [OPTIONS]\n\nBenchmarks:\n");
    for (i = 0; i < N_BENCHES; i++)
        fprintf(out, "  %-10s %s\n", benches[i].name, benches[i].summary);
    fprintf(out, "\nRun 'hallmark bench WHAT --help' for options.\n");
}

int cli_bench(int argc, char **argv)
{
    return cli_subcommand("bench", argc, argv, benches, N_BENCHES, usage);
}
