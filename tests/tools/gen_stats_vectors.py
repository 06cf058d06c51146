#!/usr/bin/python3
"""gen_stats_vectors.py - writes the reference vectors for tests/test_stats.c.

Run with Debian's /usr/bin/python3 (python3-scipy, python3-mpmath):

    /usr/bin/python3 tests/tools/gen_stats_vectors.py [OUTDIR]   (default tests/vectors)
    /usr/bin/python3 tests/tools/gen_stats_vectors.py --random SEED COUNT
        (a fresh random grid in the stats_tails.txt format on stdout, used by
        tests/cli/test_stats_scipy.sh)

Files written (one record per line, '#' lines are comments; numbers are
Python repr() of doubles, i.e. exact round-trip, and oracle values have 20
significant digits):

  stats_tails.txt   binom_sf / binom_cdf / gamma_sf / gamma_cdf / normal_sf
                    records: <kind> <args...> <ln p> <oracle>
  stats_multi.txt   bonferroni / sidak / holm / bh records (reference formulas
                    written out below, independent of the C code)
  stats_ks.txt      Kolmogorov-Smirnov cases vs scipy.stats.kstest
  stats_cp.txt      Clopper-Pearson bounds vs scipy.stats.beta.ppf

Oracles (named on each record):
  mpmath-gammainc   mpmath.gammainc(a, x, regularized=True), 60 digits
  mpmath-series60   lower series / upper Legendre continued fraction evaluated
                    in mpmath at 60 digits (used where mpmath.gammainc does
                    not converge: large shape with x near the shape)
  mpmath-sum60      binomial tail summed term by term in mpmath at 60
                    digits from the exact log pmf (loggamma); scipy's
                    binom.logsf / logcdf agree wherever they do not underflow
                    (the largest discrepancy is printed in the header)
  mpmath-erfc60     log(erfc(z / sqrt 2) / 2) in mpmath at 60 digits
The facts used (series, continued fraction, Birnbaum-Tingey) are cited in
docs/statistics.md.
"""
import math
import os
import sys

import mpmath as mp
import numpy as np
import scipy.stats as st

mp.mp.dps = 60
OUT = sys.argv[1] if len(sys.argv) == 2 else os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "vectors")


def log1mexp(v):
    """ln(1 - exp(v)) for v <= 0 without cancellation (Maechler 2012)."""
    if v > -mp.log(2):
        return mp.log(-mp.expm1(v))
    return mp.log1p(-mp.exp(v))


def s20(v):
    """20 significant digits of an mpf (or '-inf')."""
    if v == -mp.inf:
        return "-inf"
    return mp.nstr(v, 20, min_fixed=1, max_fixed=0)


# ---- oracles ------------------------------------------------------------------

def binom_tail(k, n, p, upper):
    """ln P[X >= k] (upper) or ln P[X <= k] (lower), X ~ Bin(n, p), 60 digits."""
    P = mp.mpf(p)
    Q = 1 - P
    lgn = mp.loggamma(n + 1)

    def lpmf(j):
        return lgn - mp.loggamma(j + 1) - mp.loggamma(n - j + 1) + j * mp.log(P) + (n - j) * mp.log(Q)

    mean = n * p

    def sum_up(j0):  # ln sum_{j >= j0}, valid when j0 >= mean
        t = mp.mpf(1)
        s = mp.mpf(1)
        r = P / Q
        j = j0
        while j < n:
            t *= mp.mpf(n - j) / (j + 1) * r
            s += t
            j += 1
            if t < s * mp.mpf(10) ** -45:
                break
        return lpmf(j0) + mp.log(s)

    def sum_down(j0):  # ln sum_{j <= j0}, valid when j0 <= mean
        t = mp.mpf(1)
        s = mp.mpf(1)
        r = Q / P
        j = j0
        while j > 0:
            t *= mp.mpf(j) / (n - j + 1) * r
            s += t
            j -= 1
            if t < s * mp.mpf(10) ** -45:
                break
        return lpmf(j0) + mp.log(s)

    if upper:
        if k <= 0:
            return mp.mpf(0)
        if k > mean:
            return sum_up(k)
        return log1mexp(sum_down(k - 1))
    if k >= n:
        return mp.mpf(0)
    if k < mean:
        return sum_down(k)
    return log1mexp(sum_up(k + 1))


def gamma_series(a, x, upper):
    """ln Q or ln P by the series (x < a) or Legendre's continued fraction."""
    a = mp.mpf(a)
    x = mp.mpf(x)
    ld = a * mp.log(x) - x - mp.loggamma(a + 1)
    if x < a:
        t = mp.mpf(1)
        s = mp.mpf(1)
        n = 1
        while True:
            t *= x / (a + n)
            s += t
            n += 1
            if t < s * mp.mpf(10) ** -50:
                break
        lp = ld + mp.log(s)
        return log1mexp(lp) if upper else lp
    # Lentz in mpmath
    tiny = mp.mpf(10) ** -200
    f = x + 1 - a
    c = f
    d = mp.mpf(0)
    n = 1
    while True:
        an = n * (a - n)
        bn = x + 2 * n + 1 - a
        d = bn + an * d
        if abs(d) < tiny:
            d = tiny
        c = bn + an / c
        if abs(c) < tiny:
            c = tiny
        d = 1 / d
        delta = c * d
        f *= delta
        n += 1
        if abs(delta - 1) < mp.mpf(10) ** -50:
            break
    lq = ld + mp.log(a) - mp.log(f)
    return lq if upper else log1mexp(lq)


def gamma_tail(a, x, upper):
    """ln Q(a, x) (upper) or ln P(a, x).  The tail away from the centre is
    computed directly and the other as its complement at 60 digits."""
    lower_small = x < a
    v = None
    orc = "mpmath-gammainc"
    try:
        if lower_small:
            w = mp.gammainc(mp.mpf(a), 0, mp.mpf(x), regularized=True)
        else:
            w = mp.gammainc(mp.mpf(a), mp.mpf(x), mp.inf, regularized=True)
        if w > 0:
            v = mp.log(w)
    except Exception:  # mpmath.libmp.libhyper.NoConvergence
        v = None
    if v is None:
        v = gamma_series(a, x, not lower_small)
        orc = "mpmath-series60"
    if upper == (not lower_small):
        return v, orc
    return log1mexp(v), orc


# ---- grids ---------------------------------------------------------------------

def write_tails(path):
    lines = []
    scipy_worst = 0.0
    # binomial
    ns = [1, 2, 3, 5, 10, 30, 100, 1000, 10**4, 10**5, 10**6, 10**7, 10**8, 10**9]
    ps = [1e-6, 1e-3, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.999, 1 - 1e-6]
    zs = [-30, -10, -3, -1, -0.3, 0.3, 1, 3, 10, 30, 100, 1000]
    seen = set()
    for n in ns:
        print("  binomial n =", n, flush=True)
        for p in ps:
            mu = n * p
            sd = math.sqrt(n * p * (1 - p))
            ks = {1, n, max(1, n // 2), min(n, int(mu) + 1)}
            for z in zs:
                if n >= 10**8 and abs(z) < 1 and p not in (0.5, 1e-3):
                    continue  # keep the slow near-centre oracle points few
                ks.add(int(round(mu + z * sd)))
            for frac in (0.6, 0.9, 0.99):
                ks.add(int(n * frac))
            for k in sorted(ks):
                if k < 1 or k > n or (n, p, k) in seen:
                    continue
                seen.add((n, p, k))
                for kind, upper, kk in (("binom_sf", True, k), ("binom_cdf", False, k - 1)):
                    if kind == "binom_cdf" and kk < 0:
                        continue
                    v = binom_tail(kk, n, p, upper)
                    if v == 0 or v == -mp.inf or abs(v) < 1e-300:
                        continue  # |ln p| below 1e-300 is not a double
                    lines.append("%s %d %d %r %s mpmath-sum60" % (kind, kk, n, p, s20(v)))
                    sc = st.binom.logsf(kk - 1, n, p) if upper else st.binom.logcdf(kk, n, p)
                    if math.isfinite(sc) and float(v) < -1e-300 and sc > -700 and float(v) < -1e-10:
                        scipy_worst = max(scipy_worst, abs(sc - float(v)) / abs(float(v)))
    # gamma
    shapes = [1e-3, 0.01, 0.1, 0.5, 0.999, 1.0, 1.5, 2.5, 7.0, 10.0, 14.5, 15.0, 30.3, 100.0,
              1000.0, 10000.5, 1e5, 1e6, 1e7 + 0.25, 1e8, 1e9]
    gz = [-30, -10, -3, -1, -0.1, 0.0, 0.1, 1, 3, 10, 30, 100, 1000]
    for a in shapes:
        sd = math.sqrt(a)
        xs = {a + z * sd for z in gz}
        xs |= {1e-300, 1e-10, 1e-3, 0.5, 1.0, 1.4999, 1.5, 2.0, a * 0.5, a * 2, a * 10, a * 100,
               a + 1e6, 1e9}
        for x in sorted(xs):
            if not (x > 0):
                continue
            x = float(x)
            for kind, upper in (("gamma_sf", True), ("gamma_cdf", False)):
                v, orc = gamma_tail(a, x, upper)
                if v == 0 or v == -mp.inf or v < -1e12 or abs(v) < 1e-300:
                    continue
                lines.append("%s %r %r %s %s" % (kind, x, a, s20(v), orc))
    # non-integer shapes used by dual-key detection, Q(n/var, S/var)
    for n, alpha in ((200, 0.3), (5000, 0.1), (77, 0.45)):
        var = (1 - alpha) ** 2 + alpha ** 2
        a = n / var
        for s in (0.5 * n, n, n + 3 * math.sqrt(n), 2 * n, 5 * n):
            x = s / var
            v, orc = gamma_tail(a, x, True)
            lines.append("gamma_sf %r %r %s %s" % (x, a, s20(v), orc))
    # normal
    for z in [-40.0, -10.0, -5.0, -1.0, -0.1, 0.0, 0.1, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 34.9,
              35.0, 35.1, 38.0, 40.0, 100.0, 1000.0, 1e4, 1e5]:
        v = mp.log(mp.erfc(mp.mpf(z) / mp.sqrt(2)) / 2)
        if abs(v) < 1e-300:
            continue
        lines.append("normal_sf %r %s mpmath-erfc60" % (z, s20(v)))
    with open(path, "w") as f:
        f.write("# generated by tests/tools/gen_stats_vectors.py - do not edit\n")
        f.write("# kinds: binom_sf k n p lnP[X>=k] | binom_cdf k n p lnP[X<=k] | gamma_sf x shape lnQ |\n")
        f.write("#        gamma_cdf x shape lnP | normal_sf z lnP[Z>=z]; last field: oracle\n")
        f.write("# scipy.stats.binom agrees with mpmath-sum60 to %.2e relative where it does not underflow\n"
                % scipy_worst)
        f.write("\n".join(lines) + "\n")
    return len(lines)


# ---- multiple testing reference formulas --------------------------------------

def ref_holm(lnp):
    m = len(lnp)
    order = sorted(range(m), key=lambda i: (lnp[i], i))
    out = [0.0] * m
    run = -math.inf
    for j, i in enumerate(order):
        v = min(0.0, lnp[i] + math.log(m - j))      # ln min(1, (m-j) p_(j+1))
        run = max(run, v)                            # step-down: running maximum
        out[i] = run
    return out


def ref_bh(lnp, q):
    m = len(lnp)
    order = sorted(range(m), key=lambda i: (lnp[i], i))
    k = 0
    for j in range(m):
        if lnp[order[j]] <= math.log(j + 1) + math.log(q) - math.log(m):
            k = j + 1                                # largest rank passing
    flags = [0] * m
    for j in range(k):
        flags[order[j]] = 1
    qv = [0.0] * m
    run = 0.0
    for j in range(m - 1, -1, -1):
        i = order[j]
        run = min(run, lnp[i] + math.log(m) - math.log(j + 1))   # step-up: running minimum
        qv[i] = run
    return qv, flags


def write_multi(path):
    rng = np.random.default_rng(20261122)
    out = []
    for lnp in (-1e-3, -0.5, -3.0, -20.0, -700.5, -5000.0, -1e6):
        for m in (1.0, 2.0, 10.0, 1000.0, 1e6, 123.5):
            P = mp.exp(mp.mpf(lnp))
            bon = min(mp.mpf(0), mp.mpf(lnp) + mp.log(m))
            sid = log1mexp(m * mp.log1p(-P))
            out.append("bonferroni %r %r %s" % (lnp, m, s20(bon)))
            out.append("sidak %r %r %s" % (lnp, m, s20(sid)))
    cases = []
    for m in (1, 2, 5, 20, 200):
        lnp = list(np.log(rng.random(m)))
        # a few strong signals, ties, zeros (p = 0) and p = 1
        for i in range(0, m, 3):
            lnp[i] = float(lnp[i] * rng.integers(1, 50))
        if m >= 5:
            lnp[1] = lnp[2]
            lnp[3] = -math.inf
            lnp[4] = 0.0
        if m >= 20:
            lnp[5] = -12345.678
            lnp[6] = lnp[5]
        cases.append([float(v) for v in lnp])
    for lnp in cases:
        ad = ref_holm(lnp)
        out.append("holm %d" % len(lnp))
        out.append("lnp " + " ".join(repr(v) for v in lnp))
        out.append("adj " + " ".join(repr(v) for v in ad))
        for q in (0.05, 0.2):
            qv, fl = ref_bh(lnp, q)
            out.append("bh %d %r" % (len(lnp), q))
            out.append("lnp " + " ".join(repr(v) for v in lnp))
            out.append("qval " + " ".join(repr(v) for v in qv))
            out.append("flags " + " ".join(str(v) for v in fl))
    with open(path, "w") as f:
        f.write("# generated by tests/tools/gen_stats_vectors.py - do not edit\n")
        f.write("# bonferroni|sidak lnp m ln_adj (mpmath, 60 digits); holm m / lnp / adj;\n")
        f.write("# bh m q / lnp / qval / flags (reference formulas in the generator)\n")
        f.write("\n".join(out) + "\n")
    return len(out)


def write_ks(path):
    rng = np.random.default_rng(7)
    out = []
    n_cases = 0
    for n in (1, 2, 5, 10, 30, 100, 141, 500, 1000, 3000):
        for shape in (1.0, 1.0, 1.0, 1.15, 1.6, 3.0):
            u = rng.random(n) ** shape
            r = st.kstest(u, "uniform")
            if not (r.pvalue > 0):
                continue
            out.append("ks %d %r %r" % (n, float(r.statistic), math.log(r.pvalue)))
            out.append("u " + " ".join(repr(float(v)) for v in u))
            n_cases += 1
    # one-sided exact Smirnov tail vs scipy.special.smirnov (mpmath check of
    # the same Birnbaum-Tingey sum where scipy underflows is not needed: the
    # cases stay in range)
    import scipy.special as sp
    for n in (1, 3, 10, 100, 1000, 10000):
        for d in (0.01, 0.05, 0.1, 0.3, 0.5, 0.9):
            v = sp.smirnov(n, d)
            if v > 0:
                out.append("smirnov %d %r %r" % (n, d, math.log(v)))
    with open(path, "w") as f:
        f.write("# generated by tests/tools/gen_stats_vectors.py - do not edit\n")
        f.write("# ks n D ln(p) from scipy.stats.kstest(u, 'uniform') (method auto), then u values;\n")
        f.write("# smirnov n d ln P[D+ >= d] from scipy.special.smirnov\n")
        f.write("\n".join(out) + "\n")
    return n_cases


def write_cp(path):
    out = []
    for n in (1, 2, 10, 50, 1000, 10**5, 10**6):
        for k in sorted({0, 1, 2, n // 100, n // 10, n // 2, n - 1, n}):
            if k < 0 or k > n:
                continue
            for conf in (0.9, 0.95, 0.99):
                a = 1 - conf
                lo = 0.0 if k == 0 else float(st.beta.ppf(a / 2, k, n - k + 1))
                hi = 1.0 if k == n else float(st.beta.ppf(1 - a / 2, k + 1, n - k))
                out.append("cp %d %d %r %r %r" % (k, n, conf, lo, hi))
    with open(path, "w") as f:
        f.write("# generated by tests/tools/gen_stats_vectors.py - do not edit\n")
        f.write("# cp k n conf lower upper  (scipy.stats.beta.ppf(alpha/2, k, n-k+1),\n")
        f.write("#                          beta.ppf(1-alpha/2, k+1, n-k))\n")
        f.write("\n".join(out) + "\n")
    return len(out)


def write_random(seed, count):
    """A random grid (binomial n <= 1e6 so the oracle stays fast)."""
    import random
    rnd = random.Random(seed)
    print("# random grid, seed %d" % seed)
    done = 0
    while done < count:
        a = 10 ** rnd.uniform(-3, 9)
        z = rnd.choice([0.01, 0.3, 1, 3, 10, 50, 300, 3000]) * rnd.choice([-1, 1])
        x = a + z * math.sqrt(a) if rnd.random() < 0.7 else 10 ** rnd.uniform(-300, 10)
        if x <= 0:
            x = a * rnd.random()
        up = rnd.random() < 0.5
        v, orc = gamma_tail(a, x, up)
        if v != 0 and abs(v) > 1e-300 and v > -1e12:
            print("%s %r %r %s %s" % ("gamma_sf" if up else "gamma_cdf", x, a, s20(v), orc))
            done += 1
        n = int(10 ** rnd.uniform(0, 6))
        p = rnd.choice([10 ** rnd.uniform(-6, 0), 1 - 10 ** rnd.uniform(-6, 0)])
        if not 0 < p < 1:
            continue
        sd = math.sqrt(n * p * (1 - p))
        k = int(round(n * p + rnd.choice([0.2, 1, 3, 10, 40]) * rnd.choice([-1, 1]) * sd))
        if k < 1 or k > n:
            continue
        up = rnd.random() < 0.5
        kk = k if up else k - 1
        v = binom_tail(kk, n, p, up)
        if v != 0 and abs(v) > 1e-300:
            print("%s %d %d %r %s mpmath-sum60" % ("binom_sf" if up else "binom_cdf", kk, n, p, s20(v)))
            done += 1


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--random":
        write_random(int(sys.argv[2]), int(sys.argv[3]))
        return
    os.makedirs(OUT, exist_ok=True)
    print("tails:", write_tails(os.path.join(OUT, "stats_tails.txt")))
    print("multi:", write_multi(os.path.join(OUT, "stats_multi.txt")))
    print("ks:", write_ks(os.path.join(OUT, "stats_ks.txt")))
    print("cp:", write_cp(os.path.join(OUT, "stats_cp.txt")))


if __name__ == "__main__":
    main()
