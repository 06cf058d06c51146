#!/usr/bin/env python3
"""samples/neural/check_logits.py - checks that llama.cpp computes the model
torch trained: the logits of every position of a token sequence, from torch
(model.pt) and from the prebuilt libllama (model.gguf, through hm-llama-gen
--logits-out), must agree to --tol (absolute, on logits).

    check_logits.py --model model.pt --gguf model.gguf --gen hm-llama-gen --ids ids.txt

Prints the largest difference and the share of positions whose argmax
agrees; exit 0 when within tolerance, 1 otherwise.
"""
import argparse
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--gguf", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--ids", required=True, help="whitespace-separated token ids")
    ap.add_argument("--n", type=int, default=128, help="positions to compare")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    torch.set_num_threads(1)
    model, _ = M.load(a.model)
    with open(a.ids) as f:
        ids = [int(t) for t in f.read().split()][:a.n]
    with torch.no_grad():
        ref = model(torch.tensor([ids]))[0].numpy()
    with tempfile.TemporaryDirectory() as d:
        idf, out = os.path.join(d, "ids.txt"), os.path.join(d, "logits.f32")
        with open(idf, "w") as f:
            f.write(" ".join(map(str, ids)) + "\n")
        subprocess.run([a.gen, "--model", a.gguf, "--ids-in", idf, "--logits-out", out], check=True)
        got = np.fromfile(out, dtype=np.float32).reshape(len(ids), -1)
    diff = float(np.abs(got - ref).max())
    agree = float((got.argmax(1) == ref.argmax(1)).mean())
    print(f"check_logits: {len(ids)} positions, max |llama.cpp - torch| = {diff:.3g}, "
          f"argmax agreement {agree:.3f} (tolerance {a.tol})", file=sys.stderr)
    print(f"{diff:.6g}")
    sys.exit(0 if diff <= a.tol else 1)


if __name__ == "__main__":
    main()
