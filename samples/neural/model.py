"""samples/neural/model.py - the sample neural model: a small decoder-only
transformer in the llama architecture, written so that llama.cpp's "llama"
graph computes exactly the same function from the GGUF that export_gguf.py
writes (no weight permutation):

    x = tok_embd[ids]
    per block:  x += Wo · attn(rope(Wq·n(x)), rope(Wk·n(x)), Wv·n(x))     n = RMSNorm · attn_norm
                x += W_down · (silu(W_gate·n'(x)) * W_up·n'(x))             n' = RMSNorm · ffn_norm
    logits = W_out · (RMSNorm(x) · output_norm)

RoPE is ggml's "normal" mode: dimensions (2i, 2i+1) of each head rotate by
pos · base^(-2i/head_dim).  Used by train.py (training, sampling, logits
for the llama.cpp check) and reusable for students (issue #16): import it
with samples/neural on sys.path.
"""
import json
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


class Config:
    def __init__(self, vocab=4096, dim=128, layers=4, heads=4, ffn=384, ctx=256,
                 rope_base=10000.0, eps=1e-5):
        self.vocab, self.dim, self.layers, self.heads = vocab, dim, layers, heads
        self.ffn, self.ctx, self.rope_base, self.eps = ffn, ctx, rope_base, eps

    def to_dict(self):
        return dict(vars(self))

    @classmethod
    def from_dict(cls, d):
        return cls(**d)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, n, device=None):
    hd = cfg.dim // cfg.heads
    inv = cfg.rope_base ** (-torch.arange(0, hd, 2, dtype=torch.float32, device=device) / hd)
    ang = torch.arange(n, dtype=torch.float32, device=device)[:, None] * inv[None, :]
    return torch.cos(ang), torch.sin(ang)  # [n, hd/2]


def apply_rope(x, cos, sin):
    # x: [B, H, T, hd]; pairs (2i, 2i+1)
    x0, x1 = x[..., 0::2], x[..., 1::2]
    r0 = x0 * cos - x1 * sin
    r1 = x0 * sin + x1 * cos
    return torch.stack((r0, r1), dim=-1).flatten(-2)


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        d = cfg.dim
        self.heads = cfg.heads
        self.attn_norm = RMSNorm(d, cfg.eps)
        self.wq = nn.Linear(d, d, bias=False)
        self.wk = nn.Linear(d, d, bias=False)
        self.wv = nn.Linear(d, d, bias=False)
        self.wo = nn.Linear(d, d, bias=False)
        self.ffn_norm = RMSNorm(d, cfg.eps)
        self.w_gate = nn.Linear(d, cfg.ffn, bias=False)
        self.w_up = nn.Linear(d, cfg.ffn, bias=False)
        self.w_down = nn.Linear(cfg.ffn, d, bias=False)

    def forward(self, x, cos, sin, mask):
        B, T, D = x.shape
        hd = D // self.heads
        h = self.attn_norm(x)
        q = self.wq(h).view(B, T, self.heads, hd).transpose(1, 2)
        k = self.wk(h).view(B, T, self.heads, hd).transpose(1, 2)
        v = self.wv(h).view(B, T, self.heads, hd).transpose(1, 2)
        q, k = apply_rope(q, cos, sin), apply_rope(k, cos, sin)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(hd) + mask
        y = F.softmax(att, dim=-1) @ v
        x = x + self.wo(y.transpose(1, 2).reshape(B, T, D))
        h = self.ffn_norm(x)
        return x + self.w_down(F.silu(self.w_gate(h)) * self.w_up(h))


class LM(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.tok_embd = nn.Embedding(cfg.vocab, cfg.dim)
        self.blocks = nn.ModuleList(Block(cfg) for _ in range(cfg.layers))
        self.norm = RMSNorm(cfg.dim, cfg.eps)
        self.output = nn.Linear(cfg.dim, cfg.vocab, bias=False)
        nn.init.normal_(self.tok_embd.weight, std=0.02)
        for name, p in self.named_parameters():
            if p.dim() == 2 and name != "tok_embd.weight":
                nn.init.normal_(p, std=0.02 / (math.sqrt(2 * cfg.layers) if name.endswith(("wo.weight", "w_down.weight")) else 1))

    def forward(self, ids):
        T = ids.shape[1]
        cos, sin = rope_tables(self.cfg, T, ids.device)
        mask = torch.full((T, T), float("-inf"), device=ids.device).triu(1)
        x = self.tok_embd(ids)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return self.output(self.norm(x))

    def n_params(self):
        return sum(p.numel() for p in self.parameters())


def save(model, path, extra=None):
    torch.save({"config": model.cfg.to_dict(), "state": model.state_dict(), "extra": extra or {}}, path)


def load(path):
    ck = torch.load(path, map_location="cpu")
    m = LM(Config.from_dict(ck["config"]))
    m.load_state_dict(ck["state"])
    m.eval()
    return m, ck.get("extra", {})


def gguf_tensors(model):
    """(llama.cpp tensor name, float32 numpy array in torch's [out, in] layout)."""
    sd = {k: v.detach().float().contiguous().numpy() for k, v in model.state_dict().items()}
    out = [("token_embd.weight", sd["tok_embd.weight"])]
    for i in range(model.cfg.layers):
        p = f"blocks.{i}."
        for ours, theirs in (("attn_norm.weight", "attn_norm.weight"), ("wq.weight", "attn_q.weight"),
                             ("wk.weight", "attn_k.weight"), ("wv.weight", "attn_v.weight"),
                             ("wo.weight", "attn_output.weight"), ("ffn_norm.weight", "ffn_norm.weight"),
                             ("w_gate.weight", "ffn_gate.weight"), ("w_up.weight", "ffn_up.weight"),
                             ("w_down.weight", "ffn_down.weight")):
            out.append((f"blk.{i}.{theirs}", sd[p + ours]))
    out.append(("output_norm.weight", sd["norm.weight"]))
    out.append(("output.weight", sd["output.weight"]))
    return out


def config_json(cfg):
    return json.dumps(cfg.to_dict(), sort_keys=True)
