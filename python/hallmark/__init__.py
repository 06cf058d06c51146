"""hallmark - Python bindings of libhallmark (pure ctypes, no compiled code).

    import hallmark as hm
    key = hm.Key.generate()
    emb = hm.Embedder("kgw", key, vocab=len_vocab)          # once per model
    s = emb.session(prompt=prompt_ids, seed=1)              # once per request
    s.apply_(logits)            # logit-bias schemes, in place on a torch/numpy float32 row
    tok, marked = s.sample(logits, temperature=0.8, top_k=50)   # any scheme
    s.accept(tok)
    det = hm.Detector("kgw", key, vocab=len_vocab)
    res = det.detect(ids)       # res.p, res.log10_p, res.detected(alpha)
    tok = hm.Tokenizer("tokenizer.json"); det.detect(tok.encode(text))

Every failing C call raises a HallmarkError subclass named after its status
(RangeError, NotFoundError, ...); e.status is the C code, str(e) says what
failed and hm_strerror's sentence.  Objects free their C memory when
garbage-collected, or at once with close() / a `with` block.

Transformers: hallmark.hf.WatermarkLogitsProcessor has the LogitsProcessor
call signature (input_ids, scores) -> scores.
"""
import ctypes
import math
from collections import namedtuple

from . import _lib as L

try:
    import numpy as np
except ImportError:  # numpy only speeds up the sparse calls
    np = None

_CAND_DTYPE = np.dtype([("id", "<i4"), ("logit", "<f4"), ("p", "<f4")]) if np is not None else None


def _np_of(x):
    if hasattr(x, "detach"):
        return x.detach().cpu().numpy()
    return np.asarray(x)

__all__ = ["HallmarkError", "schemes", "Key", "Embedder", "Session", "Detector", "DetectResult",
           "TokenDetail", "Tokenizer", "version", "sample_batch", "apply_batch_"]

# --- errors -------------------------------------------------------------------


class HallmarkError(Exception):
    """A libhallmark call failed: .status is the hm_status code."""
    status = -1

    def __init__(self, status, what=""):
        self.status = status
        msg = L.hm_strerror(status).decode()
        super().__init__(f"{what}: {msg}" if what else msg)


_ERRORS = {}


def _err_class(name, code, *bases):
    cls = type(name, (HallmarkError,) + bases, {"status": code, "__doc__": f"hm_status {code}"})
    _ERRORS[code] = cls
    globals()[name] = cls
    __all__.append(name)
    return cls


_err_class("MisuseError", 1, ValueError)
_err_class("NoMemoryError", 2, MemoryError)
_err_class("HallmarkIOError", 3, OSError)
_err_class("FormatError", 4, ValueError)
_err_class("TruncatedError", 5, ValueError)
_err_class("VersionError", 6, ValueError)
_err_class("CorruptError", 7, ValueError)
_err_class("PassphraseError", 8, ValueError)
_err_class("CryptoError", 9)
_err_class("UnsupportedError", 10, NotImplementedError)
_err_class("RangeError", 11, ValueError)
_err_class("UTF8Error", 12, ValueError)
_err_class("NotFoundError", 13, LookupError)
_err_class("SignatureError", 14)
_err_class("StateError", 15)
_err_class("InternalError", 16)
_err_class("LimitError", 17, ValueError)


def _check(rc, what=""):
    if rc != 0:
        raise _ERRORS.get(rc, HallmarkError)(rc, what)
    return rc


def version():
    """The library's version string."""
    return L.hm_version_string().decode()


def schemes():
    """The scheme names the library knows."""
    return [x.strip() for x in L.hm_scheme_list().decode().split(",")]


# --- helpers -------------------------------------------------------------------

_F32 = ("f", "<f", "=f")


def _float_ptr(obj, n, writable, what):
    """(address, keepalive) of n float32 values in obj: a torch tensor (CPU,
    float32, contiguous: through data_ptr()) or anything with the buffer
    protocol (numpy, array('f'), memoryview, bytearray of 4n bytes).  A
    read-only buffer is copied when writable is False."""
    if hasattr(obj, "data_ptr"):
        dev = getattr(obj, "device", None)
        if dev is not None and getattr(dev, "type", "cpu") != "cpu":
            raise MisuseError(1, f"{what}: tensor on {dev}; move it to the CPU")
        if str(getattr(obj, "dtype", "")) not in ("torch.float32", "float32"):
            raise MisuseError(1, f"{what}: dtype {obj.dtype}, float32 needed")
        if hasattr(obj, "is_contiguous") and not obj.is_contiguous():
            raise MisuseError(1, f"{what}: tensor is not contiguous")
        if obj.numel() != n:
            raise MisuseError(1, f"{what}: {obj.numel()} values, {n} expected")
        return obj.data_ptr(), obj
    mv = memoryview(obj)
    if mv.format == "B" and mv.nbytes == 4 * n and mv.c_contiguous:
        mv = mv.cast("f")
    if mv.format not in _F32 or mv.itemsize != 4 or not mv.c_contiguous:
        raise MisuseError(1, f"{what}: a C-contiguous float32 buffer is needed (format {mv.format!r})")
    if mv.nbytes != 4 * n:
        raise MisuseError(1, f"{what}: {mv.nbytes // 4} values, {n} expected")
    if mv.readonly:
        if writable:
            raise MisuseError(1, f"{what}: read-only buffer")
        buf = (ctypes.c_float * n).from_buffer_copy(mv)
    else:
        buf = (ctypes.c_float * n).from_buffer(mv)
    return ctypes.addressof(buf), buf


def _u32_array(ids, what="ids"):
    if hasattr(ids, "tolist"):
        ids = ids.tolist()
    ids = list(ids)
    arr = (ctypes.c_uint32 * max(len(ids), 1))()
    for i, t in enumerate(ids):
        t = int(t)
        if t < 0 or t > 0xFFFFFFFF:
            raise RangeError(11, f"{what}: token id {t}")
        arr[i] = t
    return arr, len(ids)


def _params(params):
    """dict {name: value} or iterable of "name=value" -> C string array."""
    if params is None:
        items = []
    elif isinstance(params, dict):
        items = [f"{k}={_pval(v)}" for k, v in params.items()]
    elif isinstance(params, str):
        items = [params]
    else:
        items = [str(p) for p in params]
    enc = [s.encode() for s in items]
    return (ctypes.c_char_p * max(len(enc), 1))(*enc), len(enc), items


def _pval(v):
    if isinstance(v, bool):
        return "1" if v else "0"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(str(int(x)) for x in v) + "]"
    return str(v)


def _new_with_params(fn, kind, scheme, key, params, vocab):
    out = ctypes.c_void_p()
    arr, n, items = _params(params)
    bad = ctypes.c_int(-1)
    rc = fn(ctypes.byref(out), scheme.encode(), key._h if key is not None else None, arr, n,
            int(vocab), ctypes.byref(bad))
    if rc != 0:
        what = f"{kind} {scheme!r}"
        if 0 <= bad.value < len(items):
            what += f", parameter {items[bad.value]!r}"
        doc = L.hm_scheme_params_doc(scheme.encode())
        if doc is None:
            what += f" (schemes: {L.hm_scheme_list().decode()})"
        elif bad.value >= 0 or rc == 11:
            what += f" ({scheme} takes {doc.decode()})"
        _check(rc, what)
    return out


class _Handle:
    _free = None

    def close(self):
        h, self._h = getattr(self, "_h", None), None
        if h and self._free:
            self._free(h)

    def __del__(self):
        try:
            self.close()
        except Exception:
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# --- keys -----------------------------------------------------------------------

KDF = {"interactive": 1, "moderate": 2, "sensitive": 3, "min": 4}


class Key(_Handle):
    """A watermark key (master or derived) or a signing key.  Its secret
    bytes stay in libsodium-guarded C memory and are wiped on close()."""
    _free = staticmethod(L.hm_key_free)

    def __init__(self, handle):
        self._h = handle

    @classmethod
    def generate(cls):
        h = ctypes.c_void_p()
        _check(L.hm_key_generate(ctypes.byref(h)), "key generate")
        return cls(h)

    @classmethod
    def from_bytes(cls, secret, created=0):
        """Tests and interop only: a master key from 32 given bytes."""
        secret = bytes(secret)
        if len(secret) != 32:
            raise RangeError(11, f"key bytes: {len(secret)}, 32 needed")
        h = ctypes.c_void_p()
        buf = (ctypes.c_uint8 * 32).from_buffer_copy(secret)
        _check(L.hm_key_from_bytes(buf, int(created), ctypes.byref(h)), "key from bytes")
        ctypes.memset(buf, 0, 32)
        return cls(h)

    @classmethod
    def load(cls, source, passphrase=None):
        """A key file: a path, or its bytes.  passphrase (str or bytes) for
        encrypted files."""
        if isinstance(source, (bytes, bytearray, memoryview)):
            data = bytes(source)
        else:
            with open(source, "rb") as f:
                data = f.read()
        buf = (ctypes.c_uint8 * max(len(data), 1)).from_buffer_copy(data or b"\0")
        pw = passphrase.encode() if isinstance(passphrase, str) else passphrase
        h = ctypes.c_void_p()
        rc = L.hm_key_load(buf, len(data), pw, len(pw) if pw else 0, ctypes.byref(h))
        ctypes.memset(buf, 0, len(data))
        _check(rc, f"key file {source if isinstance(source, str) else '(bytes)'}")
        return cls(h)

    def _save(self, fn, *args):
        out = L.c_u8p()
        n = ctypes.c_size_t()
        _check(fn(self._h, *args, ctypes.byref(out), ctypes.byref(n)), "key save")
        try:
            return ctypes.string_at(out, n.value)
        finally:
            L.hm_key_buffer_free(out, n.value)

    def save(self, passphrase, kdf="moderate"):
        """The key file, encrypted under passphrase (Argon2id + XChaCha20-Poly1305)."""
        pw = passphrase.encode() if isinstance(passphrase, str) else bytes(passphrase)
        return self._save(L.hm_key_save, pw, len(pw), KDF[kdf])

    def save_insecure(self):
        """The key file UNENCRYPTED (tests and demos only; the file says so)."""
        return self._save(L.hm_key_save_insecure)

    def save_file(self, path, passphrase=None, kdf="moderate"):
        import os
        data = self.save(passphrase, kdf) if passphrase is not None else self.save_insecure()
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(data)

    @property
    def id(self):
        buf = ctypes.create_string_buffer(17)
        _check(L.hm_key_id(self._h, buf), "key id")
        return buf.value.decode()

    @property
    def kind(self):
        return L.hm_key_kind_name(L.hm_key_kind(self._h)).decode()

    @property
    def created(self):
        return L.hm_key_created(self._h)

    @property
    def commitment(self):
        buf = (ctypes.c_uint8 * 32)()
        _check(L.hm_key_commitment(self._h, buf), "key commitment")
        return bytes(buf)

    @property
    def tenant(self):
        t = L.hm_key_tenant(self._h)
        return t.decode() if t is not None else None

    @property
    def epoch(self):
        return L.hm_key_epoch(self._h)

    def derive(self, tenant, epoch=0):
        """The derived key of (tenant, epoch): one key per account."""
        t = tenant.encode()
        h = ctypes.c_void_p()
        _check(L.hm_key_derive(self._h, t, len(t), int(epoch), ctypes.byref(h)), f"derive {tenant!r}")
        return Key(h)

    def __repr__(self):
        return f"<hallmark.Key {self.kind} {self.id}>" if self._h else "<hallmark.Key closed>"


# --- embedding --------------------------------------------------------------------


def _sampling(temperature=1.0, top_k=0, top_p=1.0, min_p=0.0):
    s = L.hm_sampling_default()
    s.temperature, s.top_k, s.top_p, s.min_p = float(temperature), int(top_k), float(top_p), float(min_p)
    return s


class Embedder(_Handle):
    """A scheme + key + parameters for one vocabulary size.  Immutable and
    shareable between threads; make one Session per request."""
    _free = staticmethod(L.hm_embedder_free)

    def __init__(self, scheme, key=None, params=None, vocab=None):
        if not vocab or vocab <= 0:
            raise MisuseError(1, "Embedder: vocab (the model's vocabulary size) is required")
        self.key = key  # the C side copies the key; kept only for repr
        self.vocab = int(vocab)
        self.scheme = scheme
        self._h = _new_with_params(L.hm_embedder_new, "embedder", scheme, key, params, vocab)

    def describe(self):
        buf = ctypes.create_string_buffer(1024)
        _check(L.hm_embedder_describe(self._h, buf, 1024), "describe")
        return buf.value.decode()

    @property
    def is_logit_bias(self):
        return bool(L.hm_embedder_is_logit_bias(self._h))

    @property
    def context_width(self):
        return L.hm_embedder_context_width(self._h)

    def session(self, prompt=None, seed=None):
        return Session(self, prompt=prompt, seed=seed)

    def __repr__(self):
        return f"<hallmark.Embedder {self.describe()} V={self.vocab}>"


class Session(_Handle):
    """One request's context and scratch.  Not thread-safe; one per sequence."""
    _free = staticmethod(L.hm_session_free)

    def __init__(self, embedder, prompt=None, seed=None):
        self.embedder = embedder  # keeps the embedder alive
        self.vocab = embedder.vocab
        h = ctypes.c_void_p()
        _check(L.hm_session_new(embedder._h, ctypes.byref(h)), "session")
        self._h = h
        self._cands = None
        self._rec = None
        if seed is not None:
            self.set_seed(seed)
        if prompt is not None:
            self.seed(prompt)

    def reset(self):
        L.hm_session_reset(self._h)

    def set_seed(self, seed):
        """Seeds the sampling RNG (reproducible runs; the mark does not depend on it)."""
        L.hm_session_set_seed(self._h, int(seed) & 0xFFFFFFFFFFFFFFFF)

    def seed(self, prompt):
        """Feeds the prompt's token ids (call after new / reset)."""
        arr, n = _u32_array(prompt, "prompt")
        _check(L.hm_session_seed(self._h, arr, n), "seed")

    def apply_(self, logits):
        """Biases a row of vocab float32 logits in place (kgw, unigram);
        returns it.  Positions the context rule leaves unmarked are untouched."""
        ptr, keep = _float_ptr(logits, self.vocab, True, "apply_")
        _check(L.hm_session_apply(self._h, ptr, self.vocab), "apply_")
        del keep
        return logits

    def _cand_view(self, n):
        if self._cands is None:
            self._cands = (L.Cand * self.vocab)()
            self._rec = np.frombuffer(self._cands, dtype=_CAND_DTYPE) if np is not None else None
        if n > self.vocab:
            raise RangeError(11, f"{n} candidates for a vocabulary of {self.vocab}")
        return self._cands

    def _fill(self, ids, logits):
        n_ids, n_val = len(ids), len(logits)
        if n_ids != n_val:
            raise MisuseError(1, f"{n_ids} ids but {n_val} logits")
        c = self._cand_view(n_ids)
        if self._rec is not None:
            r = self._rec[:n_ids]
            r["id"] = _np_of(ids)
            r["logit"] = _np_of(logits)
            r["p"] = 0.0
        else:
            for i, (t, v) in enumerate(zip(list(ids), list(logits))):
                c[i].id, c[i].logit, c[i].p = int(t), float(v), 0.0
        return c, n_ids

    def apply_sparse_(self, ids, logits):
        """Biases the candidates (ids[i], logits[i]) (e.g. after top-k); writes
        the biased values back into logits (a torch tensor, numpy array, any
        writable float32 buffer, or a list) and returns it."""
        c, n = self._fill(ids, logits)
        _check(L.hm_session_apply_sparse(self._h, c, n), "apply_sparse_")
        if self._rec is not None:
            out = self._rec["logit"][:n]
            if isinstance(logits, list):
                logits[:] = out.tolist()
            elif hasattr(logits, "copy_"):
                import torch
                logits.copy_(torch.from_numpy(out.copy()).to(logits.dtype))
            else:
                np.copyto(np.frombuffer(memoryview(logits).cast("B"), dtype=np.float32)[:n]
                          if not isinstance(logits, np.ndarray) else logits, out, casting="unsafe")
            return logits
        out = [c[i].logit for i in range(n)]
        if isinstance(logits, list):
            logits[:] = out
        elif hasattr(logits, "copy_"):
            import torch
            logits.copy_(torch.tensor(out, dtype=logits.dtype))
        else:
            mv = memoryview(logits).cast("B").cast("f")
            for i, v in enumerate(out):
                mv[i] = v
        return logits

    def apply_cands_(self, cands, n=None):
        """Biases an array of hm_cand / llama_token_data records (12 bytes:
        int32 id, float logit, float p) in place, given by the buffer protocol
        or an address (int) with n."""
        if isinstance(cands, int):
            ptr = cands
        else:
            mv = memoryview(cands).cast("B")
            n = mv.nbytes // 12 if n is None else n
            if mv.readonly or n * 12 > mv.nbytes:
                raise MisuseError(1, "apply_cands_: a writable buffer of n 12-byte records is needed")
            keep = (ctypes.c_uint8 * mv.nbytes).from_buffer(mv)
            ptr = ctypes.addressof(keep)
        _check(L.hm_session_apply_sparse(self._h, ptr, int(n)), "apply_cands_")
        return cands

    def sample(self, logits, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0):
        """Chooses the next token from a row of vocab float32 logits (any
        scheme); returns (token, marked).  Does not accept it."""
        ptr, keep = _float_ptr(logits, self.vocab, False, "sample")
        sp = _sampling(temperature, top_k, top_p, min_p)
        tok, marked = ctypes.c_uint32(), ctypes.c_int()
        _check(L.hm_session_sample(self._h, ptr, self.vocab, ctypes.byref(sp), ctypes.byref(tok),
                                   ctypes.byref(marked)), "sample")
        del keep
        return tok.value, bool(marked.value)

    def sample_sparse(self, ids, logits, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0):
        c, n = self._fill(ids, logits)
        sp = _sampling(temperature, top_k, top_p, min_p)
        tok, marked = ctypes.c_uint32(), ctypes.c_int()
        _check(L.hm_session_sample_sparse(self._h, c, n, ctypes.byref(sp), ctypes.byref(tok),
                                          ctypes.byref(marked)), "sample_sparse")
        return tok.value, bool(marked.value)

    def accept(self, token):
        """Appends the chosen token to the context."""
        _check(L.hm_session_accept(self._h, int(token)), "accept")

    def step(self, logits, **sampling):
        """sample + accept: returns the token."""
        t, _ = self.sample(logits, **sampling)
        self.accept(t)
        return t


def _batch(sessions, logits, writable, what):
    sessions = list(sessions)
    if not sessions:
        raise MisuseError(1, f"{what}: no sessions")
    V = sessions[0].vocab
    if any(s.vocab != V for s in sessions):
        raise MisuseError(1, f"{what}: sessions of different vocabularies")
    ptr, keep = _float_ptr(logits, V * len(sessions), writable, what)
    return sessions, V, ptr, keep


def sample_batch(sessions, logits, temperature=1.0, top_k=0, top_p=1.0, min_p=0.0):
    """Steps many sessions at once (hm_session_sample_batch): row i of the
    [len(sessions), vocab] float32 logits with sessions[i]; each token is
    accepted.  Returns the tokens."""
    sessions, V, ptr, keep = _batch(sessions, logits, False, "sample_batch")
    hs = (ctypes.c_void_p * len(sessions))(*[s._h for s in sessions])
    toks = (ctypes.c_uint32 * len(sessions))()
    sp = _sampling(temperature, top_k, top_p, min_p)
    _check(L.hm_session_sample_batch(hs, len(sessions), ptr, V, ctypes.byref(sp), toks), "sample_batch")
    del keep
    return list(toks)


def apply_batch_(sessions, logits):
    """apply_ on each row of [len(sessions), vocab] float32 logits, in place."""
    sessions, V, ptr, keep = _batch(sessions, logits, True, "apply_batch_")
    for i, s in enumerate(sessions):
        _check(L.hm_session_apply(s._h, ptr + 4 * V * i, V), f"apply_batch_ row {i}")
    del keep
    return logits


# --- detection -------------------------------------------------------------------

TokenDetail = namedtuple("TokenDetail", "id counted skip green value u gbits layers")

_RESULT_FIELDS = [f for f, _ in L.DetectResult._fields_ if f not in ("struct_size", "test_name")]


class DetectResult:
    """The result of one test.  p may be 0.0 when it underflows a double:
    ln_p and log10_p are exact (no floor)."""

    def __init__(self, r, details=None):
        for f in _RESULT_FIELDS:
            setattr(self, f, getattr(r, f))
        self.test_name = r.test_name.decode() if r.test_name else ""
        self.dedup_name = (L.hm_dedup_name(r.dedup) or b"").decode()
        self.details = details

    @property
    def p(self):
        return math.exp(self.ln_p)

    def detected(self, alpha=1e-6):
        return self.ln_p <= math.log(alpha)

    def __repr__(self):
        return (f"<DetectResult {self.test_name} n_scored={self.n_scored} score={self.score:g} "
                f"log10_p={self.log10_p:.3f}>")


class Detector(_Handle):
    """Scores token ids for one scheme and key (immutable, thread-safe)."""
    _free = staticmethod(L.hm_detector_free)

    def __init__(self, scheme, key=None, params=None, vocab=0, dedup=None, eos=None):
        self.scheme = scheme
        self._h = _new_with_params(L.hm_detector_new, "detector", scheme, key, params, vocab)
        if dedup is not None:
            d = L.hm_dedup_parse(dedup.encode()) if isinstance(dedup, str) else int(dedup)
            if d < 0:
                raise RangeError(11, f"dedup {dedup!r} (none, context, tuple, default)")
            _check(L.hm_detector_set_dedup(self._h, d), "dedup")
        if eos is not None:
            _check(L.hm_detector_set_eos(self._h, int(eos)), "eos")

    def describe(self):
        buf = ctypes.create_string_buffer(1024)
        _check(L.hm_detector_describe(self._h, buf, 1024), "describe")
        return buf.value.decode()

    @property
    def prf_version(self):
        return L.hm_detector_prf_version(self._h).decode()

    def detect(self, ids, prompt=None, details=False):
        """Scores ids (the completion) after the optional prompt ids."""
        arr, n = _u32_array(ids)
        parr, pn = _u32_array(prompt or [], "prompt")
        res = L.DetectResultBuf()
        det = (L.TokenDetail * max(n, 1))() if details else None
        _check(L.hm_detect(self._h, parr if pn else None, pn, arr, n, ctypes.byref(res), det), "detect")
        dl = None
        if details:
            dl = [TokenDetail(d.id, bool(d.counted), d.skip, d.green, d.value, d.u, d.gbits, d.layers)
                  for d in det[:n]]
        return DetectResult(res.r, dl)

    def detect_text(self, text, tokenizer, prompt=None, details=False):
        """Tokenizes text (and the prompt text) with tokenizer, then detect()."""
        ids = tokenizer.encode(text)
        p = tokenizer.encode(prompt) if prompt else None
        return self.detect(ids, p, details)


# --- tokenizers -------------------------------------------------------------------


class Tokenizer(_Handle):
    """An exact tiktoken / tokenizer.json BPE tokenizer (thread-safe;
    encode uses a per-object scratch, so share one object per thread)."""
    _free = staticmethod(L.hm_tokenizer_free)

    def __init__(self, path=None, encoding=None, data=None):
        h = ctypes.c_void_p()
        err = ctypes.create_string_buffer(512)
        enc = encoding.encode() if encoding else None
        if data is not None:
            data = bytes(data)
            rc = L.hm_tokenizer_load_memory(ctypes.byref(h), data, len(data), enc, err, 512)
        else:
            rc = L.hm_tokenizer_load(ctypes.byref(h), str(path).encode(), enc, err, 512)
        if rc != 0:
            _check(rc, f"tokenizer {path or '(memory)'}: {err.value.decode(errors='replace')}")
        self._h = h
        s = ctypes.c_void_p()
        _check(L.hm_tok_scratch_new(ctypes.byref(s)), "tokenizer scratch")
        self._scratch = s

    def close(self):
        s, self._scratch = getattr(self, "_scratch", None), None
        if s:
            L.hm_tok_scratch_free(s)
        super().close()

    def encode(self, text, special=False, offsets=False):
        """Token ids of text (str or bytes); with offsets=True, (ids, [(start, end)])."""
        b = text.encode("utf-8") if isinstance(text, str) else bytes(text)
        out = L.TokOutput()
        flags = (1 if special else 0) | (2 if offsets else 0)
        try:
            _check(L.hm_tokenizer_encode(self._h, self._scratch, b, len(b), flags, ctypes.byref(out)), "encode")
            ids = out.ids[:out.len] if out.len else []
            if offsets:
                return ids, [(out.offsets[i].start, out.offsets[i].end) for i in range(out.len)]
            return ids
        finally:
            L.hm_tok_output_clear(ctypes.byref(out))

    def decode_bytes(self, ids):
        arr, n = _u32_array(ids)
        need = ctypes.c_size_t()
        rc = L.hm_tokenizer_decode(self._h, arr, n, None, 0, ctypes.byref(need))
        if rc not in (0, 11):
            _check(rc, "decode")
        buf = ctypes.create_string_buffer(max(need.value, 1))
        _check(L.hm_tokenizer_decode(self._h, arr, n, buf, need.value, ctypes.byref(need)), "decode")
        return buf.raw[:need.value]

    def decode(self, ids, errors="replace"):
        return self.decode_bytes(ids).decode("utf-8", errors)

    def token_bytes(self, token):
        p, n = ctypes.c_void_p(), ctypes.c_size_t()
        _check(L.hm_tokenizer_token_bytes(self._h, int(token), ctypes.byref(p), ctypes.byref(n)), "token_bytes")
        return ctypes.string_at(p, n.value)

    def special_id(self, name):
        t = ctypes.c_uint32()
        _check(L.hm_tokenizer_special_id(self._h, name.encode(), ctypes.byref(t)), f"special {name!r}")
        return t.value

    @property
    def vocab_size(self):
        return L.hm_tokenizer_vocab_size(self._h)

    @property
    def name(self):
        return L.hm_tokenizer_name(self._h).decode()

    @property
    def kind(self):
        return L.hm_tokenizer_kind(self._h).decode()

    @property
    def sha256(self):
        buf = (ctypes.c_uint8 * 32)()
        _check(L.hm_tokenizer_sha256(self._h, buf), "sha256")
        return bytes(buf).hex()
