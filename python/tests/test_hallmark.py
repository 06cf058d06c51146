"""Tests of the hallmark Python package (run by tests/cli/test_python.sh
under /usr/bin/python3 with Debian torch).  The end-to-end tests generate
with the sample neural model (build/neural, or $HM_NEURAL_DIR) through the
HF-style logits processor and detect the decoded text."""
import array
import math
import os
import sys
import unittest

import numpy as np
import torch

import hallmark as hm
from hallmark.hf import WatermarkLogitsProcessor

ROOT = os.environ.get("HM_ROOT", os.path.join(os.path.dirname(__file__), "..", ".."))
NEURAL = os.environ.get("HM_NEURAL_DIR", os.path.join(ROOT, "build", "neural"))
torch.set_num_threads(1)

KEY_BYTES = bytes(range(1, 33))


class TestKeysErrors(unittest.TestCase):
    def test_version(self):
        self.assertRegex(hm.version(), r"^\d+\.\d+\.\d+")

    def test_key_roundtrip_insecure(self):
        k = hm.Key.generate()
        self.assertRegex(k.id, r"^[0-9a-f]{16}$")
        self.assertEqual(k.kind, "master")
        k2 = hm.Key.load(k.save_insecure())
        self.assertEqual(k.id, k2.id)
        self.assertEqual(k.commitment, k2.commitment)

    def test_key_encrypted_and_wrong_passphrase(self):
        k = hm.Key.from_bytes(KEY_BYTES)
        blob = k.save("correct horse", kdf="min")
        self.assertEqual(hm.Key.load(blob, "correct horse").id, k.id)
        with self.assertRaises(hm.PassphraseError) as cm:
            hm.Key.load(blob, "wrong")
        self.assertEqual(cm.exception.status, 8)
        with self.assertRaises(hm.HallmarkError):
            hm.Key.load(blob[:-3], "correct horse")

    def test_derive(self):
        k = hm.Key.from_bytes(KEY_BYTES)
        d = k.derive("acct-42", epoch=3)
        self.assertEqual((d.kind, d.tenant, d.epoch), ("derived", "acct-42", 3))
        self.assertNotEqual(d.id, k.id)
        self.assertEqual(d.id, k.derive("acct-42", epoch=3).id)
        with self.assertRaises(hm.RangeError):
            k.derive("")

    def test_errors_are_exceptions(self):
        k = hm.Key.from_bytes(KEY_BYTES)
        with self.assertRaises(hm.NotFoundError):
            hm.Embedder("no-such-scheme", k, vocab=100)
        with self.assertRaises(hm.RangeError) as cm:
            hm.Embedder("kgw", k, params={"gamma": 7}, vocab=100)
        self.assertIn("gamma=7", str(cm.exception))
        self.assertIn("gumbel", hm.schemes())
        with self.assertRaises(hm.NotFoundError) as cm:
            hm.Embedder("kgx", k, vocab=100)
        self.assertIn("kgw", str(cm.exception))
        with self.assertRaises(hm.NotFoundError):
            hm.Detector("kgw", k, params=["nonsense=1"])
        e = hm.Embedder("gumbel", k, vocab=100)
        with self.assertRaises(hm.UnsupportedError):
            e.session(prompt=[1, 2, 3, 4]).apply_(torch.zeros(100))
        s = hm.Embedder("kgw", k, vocab=100).session()
        with self.assertRaises(hm.MisuseError):
            s.apply_(torch.zeros(100, dtype=torch.float64))
        with self.assertRaises(hm.MisuseError):
            s.apply_(torch.zeros(99))
        with self.assertRaises(hm.MisuseError):
            s.apply_(torch.zeros(200)[::2])
        with self.assertRaises(hm.RangeError):
            s.accept(100)
        self.assertIsInstance(hm.RangeError(11), ValueError)


class TestSessions(unittest.TestCase):
    V = 5000

    def setUp(self):
        self.key = hm.Key.from_bytes(KEY_BYTES)
        self.emb = hm.Embedder("kgw", self.key, vocab=self.V)
        g = torch.Generator().manual_seed(5)
        self.logits = torch.randn(self.V, generator=g) * 3

    def test_apply_on_every_buffer_kind(self):
        prompt = [3, 1, 4, 1, 5]
        ref = self.logits.clone()
        self.emb.session(prompt=prompt).apply_(ref)
        self.assertGreater(int((ref != self.logits).sum()), 0)
        kinds = {
            "numpy": self.logits.numpy().copy(),
            "array": array.array("f", self.logits.tolist()),
            "bytearray": bytearray(self.logits.numpy().tobytes()),
            "memoryview": memoryview(bytearray(self.logits.numpy().tobytes())).cast("f"),
        }
        for name, buf in kinds.items():
            self.emb.session(prompt=prompt).apply_(buf)
            got = np.frombuffer(bytes(memoryview(buf).cast("B")), dtype=np.float32)
            self.assertTrue(np.array_equal(got, ref.numpy()), name)
        with self.assertRaises(hm.MisuseError):
            self.emb.session().apply_(bytes(self.logits.numpy().tobytes()))  # read-only

    def test_sparse_equals_dense(self):
        prompt = [9, 8, 7, 6]
        dense = self.logits.clone()
        self.emb.session(prompt=prompt).apply_(dense)
        ids = list(range(self.V))
        vals = self.logits.clone()
        self.emb.session(prompt=prompt).apply_sparse_(ids, vals)
        self.assertTrue(torch.equal(vals, dense))
        for vals2 in (self.logits.tolist(), array.array("f", self.logits.tolist()),
                      self.logits.numpy().copy()):
            self.emb.session(prompt=prompt).apply_sparse_(ids, vals2)
            self.assertTrue(np.array_equal(np.asarray(vals2, dtype=np.float32), dense.numpy()),
                            type(vals2).__name__)
        # llama_token_data-style records through the buffer protocol
        rec = np.zeros(self.V, dtype=[("id", "<i4"), ("logit", "<f4"), ("p", "<f4")])
        rec["id"] = np.arange(self.V)
        rec["logit"] = self.logits.numpy()
        self.emb.session(prompt=prompt).apply_cands_(rec)
        self.assertTrue(np.array_equal(rec["logit"], dense.numpy()))
        # after top-k: the survivors get the same bias
        top = torch.topk(self.logits, 50)
        tv = top.values.clone()
        self.emb.session(prompt=prompt).apply_sparse_(top.indices, tv)
        self.assertTrue(torch.equal(tv, dense[top.indices]))

    def test_sample_accept_batch(self):
        g = hm.Embedder("gumbel", self.key, vocab=self.V)
        a, b = g.session(prompt=[1, 2, 3, 4], seed=1), g.session(prompt=[1, 2, 3, 4], seed=1)
        for _ in range(20):
            ta, ma = a.sample(self.logits, temperature=0.7, top_k=40)
            tb, mb = b.sample(self.logits.numpy(), temperature=0.7, top_k=40)
            self.assertEqual((ta, ma), (tb, mb))
            self.assertTrue(ma)
            a.accept(ta)
            b.accept(tb)
        rows = torch.stack([self.logits, self.logits.flip(0)])
        s1 = [g.session(prompt=[5, 5, 5, 5], seed=i) for i in range(2)]
        s2 = [g.session(prompt=[5, 5, 5, 5], seed=i) for i in range(2)]
        batch = hm.sample_batch(s1, rows)
        one = [s.step(rows[i]) for i, s in enumerate(s2)]
        self.assertEqual(batch, one)
        k1 = [self.emb.session(prompt=[2, 2, 2, 2]) for _ in range(2)]
        x = rows.clone()
        hm.apply_batch_(k1, x)
        y0 = rows[0].clone()
        self.emb.session(prompt=[2, 2, 2, 2]).apply_(y0)
        self.assertTrue(torch.equal(x[0], y0))


@unittest.skipUnless(os.path.exists(os.path.join(NEURAL, "model.pt")), f"no model in {NEURAL}")
class TestNeural(unittest.TestCase):
    """Generation with the torch sample model through the HF-style processor."""

    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, os.path.join(ROOT, "samples", "neural"))
        import model as M
        cls.model, _ = M.load(os.path.join(NEURAL, "model.pt"))
        cls.tok = hm.Tokenizer(os.path.join(NEURAL, "tokenizer.json"))
        cls.V = cls.model.cfg.vocab
        cls.key = hm.Key.from_bytes(KEY_BYTES)
        cls.prompts = ["And God said unto Moses,", "Then the king of Babylon"]

    def generate(self, processor, n=150, seed=0):
        ids = [self.tok.encode(p) for p in self.prompts]
        L = min(len(x) for x in ids)
        x = torch.tensor([r[:L] for r in ids])  # same-length prompts: no padding needed
        g = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for _ in range(n):
                scores = self.model(x)[:, -1, :].contiguous()
                if processor is not None:
                    scores = processor(x, scores)
                nxt = torch.multinomial(torch.softmax(scores, -1), 1, generator=g)
                x = torch.cat([x, nxt], 1)
        return [self.tok.decode(r[L:]) for r in x.tolist()], L

    def check_scheme(self, scheme):
        emb = hm.Embedder(scheme, self.key, vocab=self.V)
        det = hm.Detector(scheme, self.key, vocab=self.V)
        texts, _ = self.generate(WatermarkLogitsProcessor(emb, seed=1))
        plain, _ = self.generate(None)
        for t in texts:
            r = det.detect_text(t, self.tok)
            self.assertTrue(r.detected(1e-6), f"{scheme} watermarked: {r} {t[:80]!r}")
            self.assertGreater(r.n_scored, 50)
        for t in plain:
            r = det.detect_text(t, self.tok)
            self.assertFalse(r.detected(1e-6), f"{scheme} plain: {r}")
            self.assertGreater(r.log10_p, -6)

    def test_processor_kgw_detected(self):
        self.check_scheme("kgw")

    def test_processor_gumbel_detected(self):
        self.check_scheme("gumbel")

    def test_processor_rows_have_own_sessions(self):
        emb = hm.Embedder("kgw", self.key, vocab=self.V)
        p = WatermarkLogitsProcessor(emb)
        x = torch.tensor([[1, 2, 3, 4], [9, 9, 9, 9]])
        s = torch.zeros(2, self.V)
        out = p(x, s.clone())
        a = torch.zeros(self.V)
        emb.session(prompt=[1, 2, 3, 4]).apply_(a)
        b = torch.zeros(self.V)
        emb.session(prompt=[9, 9, 9, 9]).apply_(b)
        self.assertTrue(torch.equal(out[0], a) and torch.equal(out[1], b))
        self.assertFalse(torch.equal(a, b))
        # gumbel: one finite score per row, the chosen token
        pg = WatermarkLogitsProcessor(hm.Embedder("gumbel", self.key, vocab=self.V))
        o = pg(x, torch.randn(2, self.V))
        self.assertEqual(torch.isfinite(o).sum(1).tolist(), [1, 1])

    def test_tokenizer_roundtrip(self):
        text = "In the beginning God created the heaven and the earth. \u00e9\u4e2d"
        ids, offs = self.tok.encode(text, offsets=True)
        self.assertEqual(self.tok.decode(ids), text)
        self.assertEqual(len(ids), len(offs))
        self.assertEqual(self.tok.kind, "hf-bpe-bytelevel")
        self.assertEqual(self.tok.vocab_size, self.V)
        self.assertEqual(self.tok.special_id("<|endoftext|>"), self.V - 1)
        with self.assertRaises(hm.NotFoundError):
            self.tok.decode([self.V + 10])


if __name__ == "__main__":
    unittest.main()
