#!/usr/bin/env python3
"""python/bench.py - `make bench`: per-token cost of the Python paths beside
torch's own sampling (softmax + multinomial) in the same run, on the same
logits (normal, scale 3), one thread:

  torch softmax + multinomial                         (baseline)
  dense apply_ (kgw) + softmax + multinomial          (the logits processor, bias mode)
  torch top-k 50 + softmax + multinomial              (baseline after top-k)
  top-k 50 + apply_sparse_ (kgw) + softmax + multinomial
  sample (gumbel), full vocabulary                    (Hallmark chooses)
  sample (kgw), full vocabulary                       (exact biased sampling)
Each step also accepts the token.  Best of 3 interleaved measurements.
"""
import os
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

import hallmark as hm  # noqa: E402

torch.set_num_threads(1)
BUDGET = float(os.environ.get("BENCH_SECONDS", "0.4"))


def measure(fn, n):
    t = time.perf_counter()
    for i in range(n):
        fn(i)
    return (time.perf_counter() - t) / n * 1e9


def main():
    key = hm.Key.from_bytes(bytes(range(32)))
    print("== Python (ctypes) paths beside torch sampling, per token, 1 thread, same run")
    for V in (32000, 128256):
        g = torch.Generator().manual_seed(1)
        rows = [torch.randn(V, generator=g) * 3 for _ in range(8)]
        kgw = hm.Embedder("kgw", key, vocab=V).session(prompt=[1, 2, 3, 4], seed=1)
        gum = hm.Embedder("gumbel", key, vocab=V).session(prompt=[1, 2, 3, 4], seed=1)
        kgs = hm.Embedder("kgw", key, vocab=V).session(prompt=[1, 2, 3, 4], seed=1)
        buf = torch.empty(V)

        def base(i):
            torch.multinomial(torch.softmax(rows[i & 7], -1), 1, generator=g)

        def dense(i):
            buf.copy_(rows[i & 7])
            kgw.apply_(buf)
            t = int(torch.multinomial(torch.softmax(buf, -1), 1, generator=g))
            kgw.accept(t)

        def base_k(i):
            v, ix = torch.topk(rows[i & 7], 50)
            ix[torch.multinomial(torch.softmax(v, -1), 1, generator=g)]

        def sparse_k(i):
            v, ix = torch.topk(rows[i & 7], 50)
            kgw.apply_sparse_(ix, v)
            t = int(ix[torch.multinomial(torch.softmax(v, -1), 1, generator=g)])
            kgw.accept(t)

        def samp_g(i):
            gum.step(rows[i & 7])

        def samp_k(i):
            kgs.step(rows[i & 7])

        paths = [("torch softmax + multinomial (baseline)", base, 0),
                 ("dense apply_ (kgw) + softmax + multinomial", dense, 0),
                 ("torch top-k 50 + softmax + multinomial (baseline)", base_k, 2),
                 ("top-k 50 + apply_sparse_ (kgw) + multinomial", sparse_k, 2),
                 ("sample (gumbel), full vocabulary", samp_g, 0),
                 ("sample (kgw), full vocabulary", samp_k, 0)]
        n = max(20, int(BUDGET / (measure(base, 20) * 1e-9)))
        best = [float("inf")] * len(paths)
        for _ in range(3):
            for j, (_, fn, _) in enumerate(paths):
                best[j] = min(best[j], measure(fn, n))
        print(f"V = {V} ({n} iterations per measurement, best of 3)")
        for j, (name, _, b) in enumerate(paths):
            print(f"  {name:<50} {best[j]:10.0f} ns/token  ratio {best[j] / best[b]:.3f}")


if __name__ == "__main__":
    main()
