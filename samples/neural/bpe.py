#!/usr/bin/env python3
"""samples/neural/bpe.py - trains the sample model's byte-level BPE vocabulary.

    bpe.py --vocab 4096 --out tokenizer.json TEXT...

Writes a Hugging Face tokenizer.json in the GPT-2 layout (ByteLevel
pre-tokenizer with GPT-2's split regex, ByteLevel decoder, BPE model with
"a b" merges) and one special token, <|endoftext|>, as the last id.  Both
readers that matter load it exactly: Hallmark's tokenizer (hm_tokenizer_load,
the verifier's side: detection starts from text) and llama.cpp, to which
export_gguf.py hands the same tokens and merges as a "gpt2" vocabulary with
the "gpt-2" pre-tokenizer.

Training is the textbook algorithm (Sennrich et al., arXiv 1508.07909):
count the pre-split pieces, then repeatedly merge the most frequent adjacent
pair (ties: the pair of smallest ids), updating only the pieces that hold it.
Deterministic: the same text gives the same file.  About 10 s on the KJV.
"""
import argparse
import json
import re
import sys
from collections import Counter, defaultdict

# GPT-2's pre-tokenizer split.  The training text is ASCII (the KJV), where
# \p{L} and \p{N} are [A-Za-z] and [0-9]; non-ASCII text is still split
# sensibly by the Unicode-aware classes below.  Only the choice of merges
# depends on this split; encoding is done by Hallmark and llama.cpp with the
# exact regex.
SPLIT = re.compile(r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?[^\s\w]+|\s+(?!\S)|\s+""")
EOT = "<|endoftext|>"


def byte_to_unicode():
    """GPT-2's reversible map from bytes to printable characters: printable
    Latin-1 bytes map to themselves, the others to U+0100 upwards in order."""
    keep = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    table = {}
    extra = 0
    for b in range(256):
        if b in keep:
            table[b] = chr(b)
        else:
            table[b] = chr(0x100 + extra)
            extra += 1
    return table


def train(texts, vocab_size):
    if vocab_size < 257:
        raise SystemExit("bpe: --vocab must be at least 257 (256 bytes + <|endoftext|>)")
    b2u = byte_to_unicode()
    pieces = Counter()
    for t in texts:
        pieces.update(SPLIT.findall(t))
    words = []  # [symbol ids], count
    for piece, n in pieces.items():
        words.append([list(piece.encode("utf-8")), n])
    names = [b2u[b] for b in range(256)]
    pair_count = Counter()
    where = defaultdict(set)
    for wi, (syms, n) in enumerate(words):
        for a, b in zip(syms, syms[1:]):
            pair_count[(a, b)] += n
            where[(a, b)].add(wi)
    merges = []
    n_merges = vocab_size - 256 - 1
    while len(merges) < n_merges and pair_count:
        best = max(pair_count.items(), key=lambda kv: (kv[1], -kv[0][0], -kv[0][1]))[0]
        if pair_count[best] < 2:
            break
        new = len(names)
        names.append(names[best[0]] + names[best[1]])
        merges.append(best)
        for wi in list(where.get(best, ())):
            syms, n = words[wi]
            for a, b in zip(syms, syms[1:]):
                pair_count[(a, b)] -= n
                if pair_count[(a, b)] <= 0:
                    del pair_count[(a, b)]
                where[(a, b)].discard(wi)
            out = []
            i = 0
            while i < len(syms):
                if i + 1 < len(syms) and syms[i] == best[0] and syms[i + 1] == best[1]:
                    out.append(new)
                    i += 2
                else:
                    out.append(syms[i])
                    i += 1
            words[wi][0] = out
            for a, b in zip(out, out[1:]):
                pair_count[(a, b)] += n
                where[(a, b)].add(wi)
        where.pop(best, None)
    return names, merges


def tokenizer_json(names, merges):
    vocab = {name: i for i, name in enumerate(names)}
    eot_id = len(names)
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": eot_id, "content": EOT, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                          "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True,
                    "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "continuing_subword_prefix": "", "end_of_word_suffix": "", "fuse_unk": False,
                  "byte_fallback": False, "vocab": vocab,
                  "merges": [names[a] + " " + names[b] for a, b in merges]},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vocab", type=int, default=4096, help="total ids, <|endoftext|> included")
    ap.add_argument("--out", required=True)
    ap.add_argument("text", nargs="+")
    a = ap.parse_args()
    texts = []
    for p in a.text:
        with open(p, encoding="utf-8") as f:
            texts.extend(f.read().splitlines())
    names, merges = train(texts, a.vocab)
    with open(a.out, "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(names, merges), f, ensure_ascii=False, indent=None)
        f.write("\n")
    print(f"bpe: {len(names) + 1} ids ({len(merges)} merges) -> {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
