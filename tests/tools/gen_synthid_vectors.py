#!/usr/bin/env python3
"""Writes tests/vectors/synthid_vectors.txt: SynthID-Text vectors computed by
an independent re-implementation (Hallmark's own, written from the bit-level
spec /work/shared/specs/synthid-reference.md, which describes
google-deepmind/synthid-text@addb4a1 src/synthid_text/hashing_function.py,
logits_processing.py and detector_mean.py).

Python integers are unbounded, so every int64 operation wraps explicitly with
wrap64(); Python's >> on negative ints is already an arithmetic shift and %
already returns a non-negative result for a positive modulus, as torch does.

Usage: /usr/bin/python3 tests/tools/gen_synthid_vectors.py > tests/vectors/synthid_vectors.txt
Needs only the standard library.
"""
import hashlib
import math

MUL = 6364136223846793005
M64 = 1 << 64


def wrap64(x):
    x %= M64
    return x - M64 if x >= 1 << 63 else x


def accumulate(h, x):
    return wrap64((wrap64(h + x)) * MUL + 1)


def accumulate_all(h, xs):
    for x in xs:
        h = accumulate(h, x)
    return h


def hash_iv(keys):
    data = b"".join(wrap64(k).to_bytes(8, "little", signed=True) for k in keys)
    return int.from_bytes(hashlib.sha256(data).digest(), "big") % ((1 << 63) - 1)


def g_value(h_ctx, token, key):
    k = accumulate(accumulate(h_ctx, token), key)
    for _ in range(12):
        k = accumulate(k, 1) >> 5
    return (k >> 30) % 2


def detect(iv, keys, ngram_len, tokens, eos, history_size):
    """Mean / weighted-mean scores and the unmasked g count."""
    m = len(keys)
    history = [0] * history_size
    first_eos = len(tokens)
    if eos >= 0 and eos in tokens:
        first_eos = tokens.index(eos)
    if m == 1:
        weights = [10.0]
    else:
        weights = [10.0 + (1.0 - 10.0) * l / (m - 1) for l in range(m)]
    total = sum(weights)
    weights = [w * m / total for w in weights]
    count = 0
    unmasked = 0
    weighted = 0.0
    for i in range(len(tokens) - ngram_len + 1):
        h_ctx = accumulate_all(iv, tokens[i:i + ngram_len - 1])
        repeated = h_ctx in history
        history = [h_ctx] + history[:-1]
        last = i + ngram_len - 1
        if repeated or last >= first_eos:
            continue
        unmasked += 1
        for l, key in enumerate(keys):
            g = g_value(h_ctx, tokens[last], key)
            count += g
            weighted += weights[l] * g
    trials = m * unmasked
    return count, trials, unmasked, count / trials, weighted / trials


def update_scores(scores, gvals, num_leaves):
    """gvals[v][l]; returns log-probabilities, -1e12 for non-finite."""
    mx = max(scores)
    probs = [math.exp(s - mx) for s in scores]
    z = sum(probs)
    probs = [p / z for p in probs]
    depth = len(gvals[0])
    for l in range(depth):
        G = 0.0
        for v in range(len(probs)):
            G += gvals[v][l] * probs[v]
        if num_leaves == 2:
            probs = [probs[v] * (1.0 + gvals[v][l] - G) for v in range(len(probs))]
        else:
            not_in = (1.0 - G) ** (num_leaves - 1)
            probs = [probs[v] * ((1.0 - (1.0 - G) ** num_leaves) / G
                                 if gvals[v][l] == 1 and probs[v] > 0 else not_in)
                     for v in range(len(probs))]
    out = []
    for p in probs:
        out.append(math.log(p) if p > 0 else -1e12)
    return out


def main():
    print("# SynthID-Text vectors (Hallmark test data), computed by")
    print("# tests/tools/gen_synthid_vectors.py, an independent re-implementation of the")
    print("# google-deepmind/synthid-text@addb4a1 rules (hashing_function.py,")
    print("# logits_processing.py, detector_mean.py) as given in the Hallmark spec")
    print("# synthid-reference.md.  The reference's own tests")
    print("# (src/synthid_text/logits_processing_test.py@54038c74f0f163795d3b52757e9ad8a1dae86105)")
    print("# hold no fixed numbers, only statistical properties, which")
    print("# tests/test_interop_synthid.c checks separately.")
    print("#")
    print("# accumulate H X RESULT")
    for h, x in [(0, 0), (1, 2), (-1, 1), (9223372036854775807, 1),
                 (-9223372036854775808, -1), (123456789012345, -987654321),
                 (6364136223846793005, 6364136223846793005)]:
        print(f"accumulate {h} {x} {accumulate(h, x)}")
    print("# asr X S RESULT (arithmetic shift right)")
    for x, s in [(-1, 5), (-32, 5), (-33, 5), (9223372036854775807, 30),
                 (-9223372036854775808, 63), (-9223372036854775808, 1), (12345, 0)]:
        print(f"asr {x} {s} {x >> s}")
    key_sets = [
        [1, 2, 3],
        [654, 400, 836, 123, 340],
        [-1, 9223372036854775807, -9223372036854775808, 0, 42],
        list(range(100, 130)),
        # DEFAULT_WATERMARKING_CONFIG["keys"] of the reference's synthid_mixin.py
        # (google-deepmind/synthid-text src/synthid_text/synthid_mixin.py@13dc0ad35adccc5e30ed2c4f56e1a08efd3e5698)
        [654, 400, 836, 123, 340, 443, 597, 160, 57, 29, 590, 639, 13, 715, 468,
         990, 966, 226, 324, 585, 118, 504, 421, 521, 129, 669, 732, 225, 90, 960],
    ]
    print("# iv M KEYS... IV")
    for ks in key_sets:
        print("iv", len(ks), *ks, hash_iv(ks))
    print("# g M KEYS... NCTX CTX... TOKEN G[0..M-1]")
    cases = [
        (key_sets[0], [5, 6, 7, 8], [0, 1, 2, 3, 17, 1000, 32000]),
        (key_sets[1], [100, 200, 300, 400], [0, 5, 99, 256000]),
        (key_sets[2], [-1, 0, 1, 9223372036854775807], [0, 1, -5]),
        (key_sets[3], [11, 22, 33, 44], [7, 8, 9]),
        (key_sets[4], [1, 2, 3, 4], [5, 256000]),
    ]
    for ks, ctx, toks in cases:
        iv = hash_iv(ks)
        h_ctx = accumulate_all(iv, ctx)
        for t in toks:
            print("g", len(ks), *ks, len(ctx), *ctx, t, *[g_value(h_ctx, t, k) for k in ks])
    print("# detect M KEYS... NGRAM EOS HISTORY N TOKENS... COUNT TRIALS UNMASKED MEAN WMEAN")
    seq = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4,
           3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, 9, 3, 2, 3, 8, 4,
           6, 2, 6, 4, 3, 3, 8, 3, 2, 7]
    for ks, ngram, eos, hist in [(key_sets[1], 5, -1, 1024), (key_sets[3], 5, -1, 1024),
                                 (key_sets[3], 3, 7, 1024), (key_sets[0], 2, -1, 4),
                                 (key_sets[4], 5, -1, 1024)]:
        iv = hash_iv(ks)
        c, tr, un, mean, wmean = detect(iv, ks, ngram, seq, eos, hist)
        print("detect", len(ks), *ks, ngram, eos, hist, len(seq), *seq, c, tr, un,
              repr(mean), repr(wmean))
    print("# update K M LEAVES SCORES[0..K-1] G[k][m] (row-major) OUT[0..K-1]")
    ks = key_sets[1]
    iv = hash_iv(ks)
    h_ctx = accumulate_all(iv, [100, 200, 300, 400])
    cand = [0, 5, 99, 256000, 17, 3]
    scores = [2.0, 1.5, 1.0, 0.25, -0.5, -30.0]
    gv = [[g_value(h_ctx, t, k) for k in ks] for t in cand]
    for leaves in (2, 3):
        out = update_scores(scores, gv, leaves)
        flat = [x for row in gv for x in row]
        print("update", len(cand), len(ks), leaves, *[repr(s) for s in scores], *flat,
              *[repr(o) for o in out])


if __name__ == "__main__":
    main()
