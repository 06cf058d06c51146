#!/usr/bin/env python3
"""samples/neural/train.py - trains a sample neural model on token ids.

    train.py --ids train.ids --vocab 4096 --steps 600 --out model.pt [--heldout heldout.ids]

IDS files hold whitespace-separated token ids (the output of `hallmark
tokenize`), read as one stream.  Training samples random windows of --seq
tokens (batch --batch) with AdamW and a warm-up + cosine schedule, from a
fixed --seed: the same inputs give the same model on the same torch build.
One thread (torch.set_num_threads(1)): on shared cores torch's thread pool
collapses with more.

The same script trains the teacher (samples/neural/build.sh) and students
(issue #16: pass the student's training ids and its own --out).
"""
import argparse
import math
import os
import sys
import time

os.environ.setdefault("OMP_NUM_THREADS", "1")
import torch  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402


def read_ids(path):
    with open(path) as f:
        return torch.tensor([int(t) for t in f.read().split()], dtype=torch.long)


def batches(data, seq, batch, gen):
    hi = data.numel() - seq - 1
    while True:
        starts = torch.randint(0, hi, (batch,), generator=gen)
        x = torch.stack([data[s:s + seq] for s in starts.tolist()])
        y = torch.stack([data[s + 1:s + seq + 1] for s in starts.tolist()])
        yield x, y


@torch.no_grad()
def evaluate(model, data, seq, max_tokens=16384):
    model.eval()
    n = min(data.numel() - 1, max_tokens)
    total, count = 0.0, 0
    for s in range(0, n - seq, seq):
        x = data[s:s + seq][None]
        y = data[s + 1:s + seq + 1][None]
        total += torch.nn.functional.cross_entropy(model(x).view(-1, model.cfg.vocab), y.view(-1),
                                                   reduction="sum").item()
        count += y.numel()
    model.train()
    return total / max(count, 1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--ids", required=True)
    ap.add_argument("--heldout")
    ap.add_argument("--vocab", type=int, required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--steps", type=int, default=600)
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--seq", type=int, default=128)
    ap.add_argument("--ctx", type=int, default=256, help="context length the model is made for")
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--heads", type=int, default=4)
    ap.add_argument("--ffn", type=int, default=384)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=1)
    a = ap.parse_args()

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    data = read_ids(a.ids)
    if int(data.max()) >= a.vocab:
        sys.exit(f"train: id {int(data.max())} in {a.ids} is >= --vocab {a.vocab}")
    cfg = M.Config(vocab=a.vocab, dim=a.dim, layers=a.layers, heads=a.heads, ffn=a.ffn, ctx=a.ctx)
    model = M.LM(cfg)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.95), weight_decay=0.1)
    warm = max(1, a.steps // 20)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / warm) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * min(s, a.steps) / a.steps))))
    gen = torch.Generator().manual_seed(a.seed)
    it = batches(data, a.seq, a.batch, gen)
    print(f"train: {model.n_params()} parameters, {data.numel()} tokens, {a.steps} steps of "
          f"{a.batch}x{a.seq}, seed {a.seed}", file=sys.stderr)
    t0 = time.time()
    for step in range(a.steps):
        x, y = next(it)
        loss = torch.nn.functional.cross_entropy(model(x).view(-1, a.vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        sched.step()
        if step % 50 == 0 or step == a.steps - 1:
            el = time.time() - t0
            print(f"train: step {step} loss {loss.item():.3f} "
                  f"({(step + 1) * a.batch * a.seq / el:.0f} tokens/s)", file=sys.stderr)
    extra = {"steps": a.steps, "seed": a.seed, "train_tokens": int(data.numel()),
             "train_seconds": round(time.time() - t0, 1)}
    if a.heldout:
        extra["heldout_nats_per_token"] = round(evaluate(model, read_ids(a.heldout), a.seq), 4)
        print(f"train: held-out loss {extra['heldout_nats_per_token']} nats/token", file=sys.stderr)
    M.save(model, a.out, extra)


if __name__ == "__main__":
    main()
