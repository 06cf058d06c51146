#!/usr/bin/python3
"""Reference values of the dual-key gamma tail for tests/test_stats_exact.c.

Writes lines  n alpha x ln_sf ln_cdf  where ln_sf = ln P[(1-a) X + a Y >= x]
and ln_cdf = ln P[(1-a) X + a Y <= x] for X, Y independent Gamma(n, 1).

Oracle (independent of the C code's negative-binomial series): the partial
fraction expansion of the moment generating function
  (1 - a t)^-n (1 - b t)^-n = sum_j A_j (1 - a t)^-j + B_j (1 - b t)^-j,
so the tail is sum_j A_j Q(j, x/a) + B_j Q(j, x/b), a signed sum that
cancels heavily; it is evaluated in mpmath with enough digits for the
cancellation, twice at different precisions, and the two must agree to
1e-30.  Run with Debian's /usr/bin/python3 (python3-mpmath):
  /usr/bin/python3 tests/tools/gen_dualgamma_vectors.py > tests/vectors/stats_dualgamma.txt
"""
import math
import sys

import mpmath as mp


def tail(x, n, al, dps, upper=True):
    mp.mp.dps = dps
    a = 1 - mp.mpf(al)
    b = mp.mpf(al)
    x = mp.mpf(x)
    tot = mp.mpf(0)
    for p, q in ((a, b), (b, a)):
        rr = q / p
        c0 = (1 - rr) ** (-n)
        g = rr / (1 - rr)
        for i in range(n):
            coef = c0 * mp.binomial(-n, i) * g ** i
            if upper:
                tot += coef * mp.gammainc(n - i, x / p, mp.inf, regularized=True)
            else:
                tot += coef * mp.gammainc(n - i, 0, x / p, regularized=True)
    return tot


def digits_needed(n, al):
    a, b = 1 - al, al
    worst = 0.0
    for p, q in ((a, b), (b, a)):
        rr = q / p
        worst = max(worst, n * (math.log10(abs(1 / (1 - rr))) + math.log10(abs(rr / (1 - rr)) + 1) + 0.31))
    return int(worst) + 60


def main():
    out = sys.stdout
    out.write("# n alpha x ln_sf ln_cdf  (ln P[(1-a)X + aY >= x], <= x; X, Y ~ Gamma(n,1))\n")
    out.write("# oracle: mpmath partial fractions, two precisions agreeing to 1e-30\n")
    for n in (1, 2, 3, 7, 20, 64, 150):
        for al in (0.01, 0.05, 0.1, 0.2, 0.3, 0.4, 0.45, 0.6, 0.75, 0.9, 0.99):
            var = (1 - al) ** 2 + al ** 2
            sd = math.sqrt(n * var)
            xs = [n + z * sd for z in (-3, -1, -0.3, 0.3, 1, 3, 10, 30)]
            xs += [n * f for f in (0.02, 0.3, 1.0, 5.0, 40.0)]
            for x in xs:
                if x <= 0:
                    continue
                x = float("%.6g" % x)
                d = digits_needed(n, al)
                res = []
                for upper in (True, False):
                    dd = d
                    for _ in range(8):
                        t1 = tail(x, n, al, dd, upper)
                        t2 = tail(x, n, al, dd + 40, upper)
                        mp.mp.dps = dd + 40
                        if t2 > 0 and abs(t1 - t2) <= mp.mpf(10) ** -30 * t2:
                            break
                        # the signed sum cancels down to a tiny tail: more digits
                        dd += 60 + (int(-mp.log10(abs(t2))) if t2 != 0 else 200)
                    res.append((t1, t2))
                # the smaller tail is computed directly; the other is its
                # complement (in mpmath, so it keeps full precision)
                small = 0 if res[0][1] < res[1][1] else 1
                t1, t2 = res[small]
                mp.mp.dps = 100
                if t2 <= 0 or abs(t1 - t2) > mp.mpf(10) ** -30 * t2:
                    raise SystemExit("oracle did not converge at n=%d a=%g x=%g" % (n, al, x))
                if abs(res[0][1] + res[1][1] - 1) > mp.mpf(10) ** -25:
                    raise SystemExit("sf + cdf != 1 at n=%d a=%g x=%g" % (n, al, x))
                ls = mp.log(t2)
                lc = mp.log1p(-t2)
                res = [ls, lc] if small == 0 else [lc, ls]
                out.write("%d %.17g %.17g %s %s\n" % (n, al, x, mp.nstr(res[0], 25),
                                                       mp.nstr(res[1], 25)))


main()
