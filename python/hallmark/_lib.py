"""Loads libhallmark.so with ctypes and declares the C functions used.

Where the library comes from, first match wins:
  1. $HALLMARK_LIB (a path to libhallmark.so*);
  2. the path `make install` recorded in _libpath.py;
  3. the system's search path (libhallmark.so.0: ldconfig, $LD_LIBRARY_PATH);
  4. the source tree's build/ when this package is imported from python/.
"""
import ctypes
import os

_here = os.path.dirname(os.path.abspath(__file__))


def _candidates():
    env = os.environ.get("HALLMARK_LIB")
    if env:
        yield env
        return
    try:
        from . import _libpath  # written by `make install`
        yield _libpath.LIB_PATH
    except ImportError:
        pass
    yield "libhallmark.so.0"
    yield os.path.join(_here, "..", "..", "build", "libhallmark.so")


def _load():
    errors = []
    for c in _candidates():
        try:
            return ctypes.CDLL(c), c
        except OSError as e:
            errors.append(f"{c}: {e}")
    raise ImportError("hallmark: cannot load libhallmark.so (set $HALLMARK_LIB, run `make install`, "
                      "or build the tree with `make`): " + "; ".join(errors))


lib, path = _load()

c_int, c_size, c_u32, c_u64, c_i64 = ctypes.c_int, ctypes.c_size_t, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_int64
c_float, c_double, c_char_p, c_void_p = ctypes.c_float, ctypes.c_double, ctypes.c_char_p, ctypes.c_void_p
P = ctypes.POINTER
c_u8p = P(ctypes.c_uint8)


class Cand(ctypes.Structure):
    """hm_cand (= llama.cpp's llama_token_data)."""
    _fields_ = [("id", ctypes.c_int32), ("logit", c_float), ("p", c_float)]


class Sampling(ctypes.Structure):
    _fields_ = [("struct_size", c_size), ("temperature", c_float), ("top_k", ctypes.c_int32),
                ("top_p", c_float), ("min_p", c_float), ("seed", c_u64)]


class DetectResult(ctypes.Structure):
    _fields_ = [("struct_size", c_size), ("test", c_int), ("test_name", c_char_p), ("dedup", c_int),
                ("n_tokens", c_u64), ("n_scored", c_u64), ("n_no_context", c_u64),
                ("n_duplicate", c_u64), ("n_after_eos", c_u64), ("n_after_cap", c_u64),
                ("score", c_double), ("trials", c_double), ("null_param", c_double),
                ("mean_score", c_double), ("weighted_mean", c_double), ("z", c_double),
                ("ln_p", c_double), ("log10_p", c_double),
                ("ln_p_estimate", c_double), ("null_samples", c_u64), ("null_delta", c_double)]


class DetectResultBuf(ctypes.Structure):
    """hm_detect_result with room to grow: the library may append fields."""
    _fields_ = [("r", DetectResult), ("_spare", ctypes.c_uint8 * 512)]


class TokenDetail(ctypes.Structure):
    _fields_ = [("id", c_u32), ("counted", c_int), ("skip", c_int), ("green", c_int),
                ("value", c_double), ("u", c_double), ("gbits", c_u64), ("layers", c_u32)]


class TokSpan(ctypes.Structure):
    _fields_ = [("start", c_u64), ("end", c_u64)]


class TokOutput(ctypes.Structure):
    _fields_ = [("ids", P(c_u32)), ("offsets", P(TokSpan)), ("len", c_size), ("cap", c_size)]


def _fn(name, restype, *argtypes):
    f = getattr(lib, name)
    f.restype = restype
    f.argtypes = list(argtypes)
    return f


vp = c_void_p
hm_strerror = _fn("hm_strerror", c_char_p, c_int)
hm_version_string = _fn("hm_version_string", c_char_p)
hm_init = _fn("hm_init", c_int)

# keys
hm_key_generate = _fn("hm_key_generate", c_int, P(vp))
hm_key_from_bytes = _fn("hm_key_from_bytes", c_int, c_u8p, c_u64, P(vp))
hm_key_free = _fn("hm_key_free", None, vp)
hm_key_kind = _fn("hm_key_kind", c_int, vp)
hm_key_kind_name = _fn("hm_key_kind_name", c_char_p, c_int)
hm_key_created = _fn("hm_key_created", c_u64, vp)
hm_key_id = _fn("hm_key_id", c_int, vp, ctypes.c_char_p)
hm_key_commitment = _fn("hm_key_commitment", c_int, vp, c_u8p)
hm_key_tenant = _fn("hm_key_tenant", c_char_p, vp)
hm_key_epoch = _fn("hm_key_epoch", c_u64, vp)
hm_key_derive = _fn("hm_key_derive", c_int, vp, c_char_p, c_size, c_u64, P(vp))
hm_key_save = _fn("hm_key_save", c_int, vp, c_char_p, c_size, c_int, P(c_u8p), P(c_size))
hm_key_save_insecure = _fn("hm_key_save_insecure", c_int, vp, P(c_u8p), P(c_size))
hm_key_buffer_free = _fn("hm_key_buffer_free", None, c_u8p, c_size)
hm_key_probe = _fn("hm_key_probe", c_int, c_u8p, c_size, P(c_int), P(c_int))
hm_key_load = _fn("hm_key_load", c_int, c_u8p, c_size, c_char_p, c_size, P(vp))

# embedding
hm_sampling_default = _fn("hm_sampling_default", Sampling)
hm_embedder_new = _fn("hm_embedder_new", c_int, P(vp), c_char_p, vp, P(c_char_p), c_size, c_u32, P(c_int))
hm_scheme_list = _fn("hm_scheme_list", c_char_p)
hm_scheme_params_doc = _fn("hm_scheme_params_doc", c_char_p, c_char_p)
hm_embedder_free = _fn("hm_embedder_free", None, vp)
hm_embedder_describe = _fn("hm_embedder_describe", c_int, vp, ctypes.c_char_p, c_size)
hm_embedder_is_logit_bias = _fn("hm_embedder_is_logit_bias", c_int, vp)
hm_embedder_context_width = _fn("hm_embedder_context_width", c_size, vp)
hm_session_new = _fn("hm_session_new", c_int, vp, P(vp))
hm_session_free = _fn("hm_session_free", None, vp)
hm_session_reset = _fn("hm_session_reset", None, vp)
hm_session_set_seed = _fn("hm_session_set_seed", None, vp, c_u64)
hm_session_seed = _fn("hm_session_seed", c_int, vp, P(c_u32), c_size)
hm_session_apply = _fn("hm_session_apply", c_int, vp, vp, c_size)
hm_session_apply_sparse = _fn("hm_session_apply_sparse", c_int, vp, vp, c_size)
hm_session_sample = _fn("hm_session_sample", c_int, vp, vp, c_size, P(Sampling), P(c_u32), P(c_int))
hm_session_sample_sparse = _fn("hm_session_sample_sparse", c_int, vp, vp, c_size, P(Sampling),
                               P(c_u32), P(c_int))
hm_session_accept = _fn("hm_session_accept", c_int, vp, c_u32)
hm_session_sample_batch = _fn("hm_session_sample_batch", c_int, P(vp), c_size, vp, c_size,
                              P(Sampling), P(c_u32))

# detection
hm_dedup_parse = _fn("hm_dedup_parse", c_int, c_char_p)
hm_dedup_name = _fn("hm_dedup_name", c_char_p, c_int)
hm_detector_new = _fn("hm_detector_new", c_int, P(vp), c_char_p, vp, P(c_char_p), c_size, c_u32, P(c_int))
hm_detector_free = _fn("hm_detector_free", None, vp)
hm_detector_set_dedup = _fn("hm_detector_set_dedup", c_int, vp, c_int)
hm_detector_set_eos = _fn("hm_detector_set_eos", c_int, vp, c_i64)
hm_detector_describe = _fn("hm_detector_describe", c_int, vp, ctypes.c_char_p, c_size)
hm_detector_scheme = _fn("hm_detector_scheme", c_char_p, vp)
hm_detector_prf_version = _fn("hm_detector_prf_version", c_char_p, vp)
hm_detect = _fn("hm_detect", c_int, vp, P(c_u32), c_size, P(c_u32), c_size, P(DetectResultBuf),
                P(TokenDetail))

# tokenizers
hm_tokenizer_load = _fn("hm_tokenizer_load", c_int, P(vp), c_char_p, c_char_p, ctypes.c_char_p, c_size)
hm_tokenizer_load_memory = _fn("hm_tokenizer_load_memory", c_int, P(vp), c_char_p, c_size, c_char_p,
                               ctypes.c_char_p, c_size)
hm_tokenizer_free = _fn("hm_tokenizer_free", None, vp)
hm_tok_scratch_new = _fn("hm_tok_scratch_new", c_int, P(vp))
hm_tok_scratch_free = _fn("hm_tok_scratch_free", None, vp)
hm_tok_output_clear = _fn("hm_tok_output_clear", None, P(TokOutput))
hm_tokenizer_encode = _fn("hm_tokenizer_encode", c_int, vp, vp, c_char_p, c_size, ctypes.c_uint,
                          P(TokOutput))
hm_tokenizer_decode = _fn("hm_tokenizer_decode", c_int, vp, P(c_u32), c_size, vp, c_size, P(c_size))
hm_tokenizer_token_bytes = _fn("hm_tokenizer_token_bytes", c_int, vp, c_u32, P(c_void_p), P(c_size))
hm_tokenizer_vocab_size = _fn("hm_tokenizer_vocab_size", c_u32, vp)
hm_tokenizer_special_id = _fn("hm_tokenizer_special_id", c_int, vp, c_char_p, P(c_u32))
hm_tokenizer_name = _fn("hm_tokenizer_name", c_char_p, vp)
hm_tokenizer_sha256 = _fn("hm_tokenizer_sha256", c_int, vp, c_u8p)
hm_tokenizer_kind = _fn("hm_tokenizer_kind", c_char_p, vp)
