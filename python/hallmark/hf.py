"""hallmark.hf - a logits processor with the Hugging Face transformers
LogitsProcessor call signature, (input_ids, scores) -> scores.

    from hallmark.hf import WatermarkLogitsProcessor
    proc = WatermarkLogitsProcessor(hallmark.Embedder("kgw", key, vocab=model.config.vocab_size))
    model.generate(**inputs, logits_processor=LogitsProcessorList([proc]), do_sample=True)

It needs nothing from transformers (duck typing); any loop that calls
proc(input_ids, scores) once per step works, such as a plain torch loop.

One Hallmark session per batch row.  The first call of a generation seeds
row b's session with input_ids[b] (the prompt, left padding removed with
pad_token_id); each later call accepts input_ids[b, -1], the token chosen at
the previous step.  A call whose input_ids is not one token longer than the
previous one starts a new generation.

- Logit-bias schemes (kgw, unigram): scores are biased in place
  (hm_session_apply), and generate's own sampling chooses.  Place the
  processor before temperature / top-k warpers or after them, as you would
  a logit bias.
- Sampling schemes (gumbel, synthid, vllm, sglang): the processor chooses
  the token itself (hm_session_sample at temperature 1 on the scores it
  receives) and returns scores that are -inf everywhere except the chosen
  token, so greedy and multinomial sampling both take it.  Put it last,
  after every warper (HF applies warpers passed as logits_processor in list
  order).
"""
import torch

from . import Session

_NEG_INF = float("-inf")


class WatermarkLogitsProcessor:
    def __init__(self, embedder, seed=None, pad_token_id=None, mode="auto"):
        """mode: "auto" (bias for logit-bias schemes, else sample), "bias" or "sample"."""
        if mode not in ("auto", "bias", "sample"):
            raise ValueError("mode is auto, bias or sample")
        if mode == "bias" and not embedder.is_logit_bias:
            raise ValueError(f"{embedder.scheme} is not a logit-bias scheme: use mode='sample'")
        self.embedder = embedder
        self.sample_mode = mode == "sample" or (mode == "auto" and not embedder.is_logit_bias)
        self.seed = seed
        self.pad_token_id = pad_token_id
        self.sessions = []
        self._len = None

    def _start(self, input_ids):
        self.sessions = []
        for b, row in enumerate(input_ids.tolist()):
            if self.pad_token_id is not None:
                i = 0
                while i < len(row) and row[i] == self.pad_token_id:
                    i += 1
                row = row[i:]
            s = Session(self.embedder, seed=None if self.seed is None else self.seed + b)
            s.seed(row)
            self.sessions.append(s)

    def __call__(self, input_ids, scores):
        B, T = input_ids.shape
        if self._len is None or T != self._len + 1 or B != len(self.sessions):
            self._start(input_ids)
        else:
            for s, t in zip(self.sessions, input_ids[:, -1].tolist()):
                s.accept(t)
        self._len = T
        work = scores
        if scores.dtype != torch.float32 or scores.device.type != "cpu" or not scores.is_contiguous():
            work = scores.detach().to("cpu", torch.float32).contiguous()
        if not self.sample_mode:
            for b, s in enumerate(self.sessions):
                s.apply_(work[b])
            if work is not scores:
                scores.copy_(work.to(scores.device, scores.dtype))
            return scores
        out = torch.full_like(scores, _NEG_INF)
        for b, s in enumerate(self.sessions):
            t, _ = s.sample(work[b])
            out[b, t] = 0.0
        return out
