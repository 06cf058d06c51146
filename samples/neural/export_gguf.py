#!/usr/bin/env python3
"""samples/neural/export_gguf.py - writes a trained sample model as GGUF.

    export_gguf.py --model model.pt --tokenizer tokenizer.json --out model.gguf

Uses llama.cpp's own GGUF writer, gguf-py, from the pinned llama.cpp source
that `make deps` unpacks (PYTHONPATH=.../gguf-py; it runs under Debian's
python3 and numpy 1.24).  Architecture "llama" with f32 tensors; the
vocabulary goes in as a "gpt2" BPE vocabulary with the "gpt-2"
pre-tokenizer, which is exactly the tokenizer.json's split and merges, so
llama.cpp and Hallmark turn text into the same ids.  No BOS is added.
"""
import argparse
import json
import os
import sys

import gguf  # from PYTHONPATH (pinned gguf-py)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as M  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokenizer", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--name", default="hallmark-sample-kjv")
    a = ap.parse_args()

    model, _ = M.load(a.model)
    cfg = model.cfg
    with open(a.tokenizer, encoding="utf-8") as f:
        tj = json.load(f)
    vocab = tj["model"]["vocab"]
    tokens = [None] * cfg.vocab
    types = [gguf.TokenType.NORMAL] * cfg.vocab
    for text, i in vocab.items():
        tokens[i] = text
    eot = None
    for t in tj.get("added_tokens", []):
        tokens[t["id"]] = t["content"]
        types[t["id"]] = gguf.TokenType.CONTROL if t.get("special") else gguf.TokenType.USER_DEFINED
        if t["content"] == "<|endoftext|>":
            eot = t["id"]
    if any(t is None for t in tokens):
        sys.exit("export_gguf: the tokenizer does not cover every id of the model")

    w = gguf.GGUFWriter(a.out, "llama")
    w.add_name(a.name)
    w.add_context_length(cfg.ctx)
    w.add_embedding_length(cfg.dim)
    w.add_block_count(cfg.layers)
    w.add_feed_forward_length(cfg.ffn)
    w.add_head_count(cfg.heads)
    w.add_head_count_kv(cfg.heads)
    w.add_layer_norm_rms_eps(cfg.eps)
    w.add_rope_freq_base(cfg.rope_base)
    w.add_rope_dimension_count(cfg.dim // cfg.heads)
    w.add_vocab_size(cfg.vocab)
    w.add_file_type(gguf.LlamaFileType.ALL_F32)
    w.add_tokenizer_model("gpt2")
    w.add_tokenizer_pre("gpt-2")
    w.add_token_list(tokens)
    w.add_token_types(types)
    w.add_token_merges(tj["model"]["merges"])
    if eot is not None:
        w.add_bos_token_id(eot)
        w.add_eos_token_id(eot)
    w.add_add_bos_token(False)
    for name, arr in M.gguf_tensors(model):
        w.add_tensor(name, arr)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()
    print(f"export_gguf: {a.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
