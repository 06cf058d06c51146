/*
 * simd.h - private header for the batched PRF kernels (philox_simd.c,
 * sglang.c): x86 detection, the target attributes of the AVX2 and AVX-512F
 * versions, and the runtime choice of an implementation (HM_SIMD_IMPL_*,
 * schemes/interop.h).  Define HM_NO_SIMD to build the portable code alone,
 * as on other CPUs.
 */
#ifndef HM_SCHEMES_SIMD_H
#define HM_SCHEMES_SIMD_H

#if (defined(__x86_64__) || defined(__i386__)) && !defined(HM_NO_SIMD)
#define HM_SIMD_X86 1
#include <immintrin.h>
#define HM_AVX2_FN __attribute__((target("avx2")))
#define HM_AVX512_FN __attribute__((target("avx512f")))
/* without optimization, gcc's gather intrinsics are macros whose casts
 * trip -Wsign-conversion */
#pragma GCC diagnostic ignored "-Wsign-conversion"
#endif

/* HM_SIMD_IMPL_AUTO becomes the fastest implementation this CPU runs; the
 * others stay as they are when available.  -1 if unknown or unavailable. */
int hm_simd_resolve(int impl);

#endif
