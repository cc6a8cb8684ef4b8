# tanh-fit.py: how assembly/math.ts's tanh constants were made, and the check of the shipped ones.
#   python3 tools/tanh-fit.py          check: the constants in assembly/math.ts, evaluated in float32 in
#                                      math.ts's order (numpy's float32 operations round as wasm's do;
#                                      no FMA), against float64 tanh on every positive float below 16
#                                      (~1.1e9 floats, about a minute): the largest error in ulps, where
#                                      the result first differs from x, the largest value, and the
#                                      first float where it reaches 1 (the clamp)
#   python3 tools/tanh-fit.py --fit    the fit: x (1 + A3 z + ... + A9 z^4) / (1 + B2 z + ... + B8 z^4),
#                                      z = x^2, to tanh's relative error on (0, 8] by Lawson's iteration
#                                      (weighted least squares, float64), printed as float32 constants;
#                                      the clamp is then the first float >= 6.5 where the float32 form
#                                      reaches 1. (2026-12-02: 6.7e-9 relative in float64; the
#                                      constants in math.ts are those it printed then. A rerun can
#                                      differ in a constant's last bits, as numpy's threaded least
#                                      squares did here: TA9 and TB8 by a few ulps, the clamp 8.003152;
#                                      the check is of the shipped constants.)
# Needs numpy.
import re, sys
import numpy as np

np.seterr(all='ignore')
NAMES = ['TA3', 'TA5', 'TA7', 'TA9', 'TB2', 'TB4', 'TB6', 'TB8']
ONE = np.float32(1)


def tanh32(c, x, clamp):
    a3, a5, a7, a9, b2, b4, b6, b8 = c
    x = np.minimum(np.maximum(x, -clamp), clamp)   # pmax, then pmin
    z = x * x
    p = a9; p = p * z + a7; p = p * z + a5; p = p * z + a3
    n = x + (x * z) * p
    q = b8; q = q * z + b6; q = q * z + b4; q = q * z + b2; q = q * z + ONE
    return n / q


def first_one(c):
    xs = np.arange(np.float32(6.5).view(np.int32), np.float32(12).view(np.int32), dtype=np.int32).view(np.float32)
    hit = np.nonzero(tanh32(c, xs, np.float32(100)) >= 1)[0]
    return xs[hit[0]] if len(hit) else None


def fit():
    X = np.concatenate([np.linspace(1e-3, 1, 6000), np.linspace(1, 8.0, 14000)])
    T, Z = np.tanh(X), X * X
    def ev(c):
        return X * (1 + sum(c[i] * Z ** (i + 1) for i in range(4))) / (1 + sum(c[4 + j] * Z ** (j + 1) for j in range(4)))
    c, w, best = np.zeros(8), np.ones_like(X), (np.inf, None)
    for it in range(4000):
        Q = 1 + sum(c[4 + j] * Z ** (j + 1) for j in range(4))
        A = np.stack([X * Z ** (i + 1) for i in range(4)] + [-T * Z ** (j + 1) for j in range(4)], 1) / (T * Q)[:, None]
        b = (T - X) / (T * Q)
        s = np.sqrt(w)
        cn = np.linalg.lstsq(A * s[:, None], b * s, rcond=None)[0]
        c = cn if it == 0 else 0.5 * c + 0.5 * cn
        e = np.abs(ev(c) - T) / T
        if e.max() < best[0]:
            best = (e.max(), c.copy())
        w = w * (e + 1e-14)
        w /= w.sum()
    c32 = best[1].astype(np.float32)
    print(f'float64 relative error at most {best[0]:.3g}; clamp {float(first_one(c32))!r}')
    for n, v in zip(NAMES, c32):
        print(f'const {n}: f32 = {float(v)!r};')


def check():
    src = open(__file__.rsplit('/', 2)[0] + '/assembly/math.ts').read()
    c = np.array([float(re.search(rf'const {n}: f32 = ([-0-9.e]+);', src).group(1)) for n in NAMES], np.float32)
    clamp = np.float32(float(re.search(r'const T_CLAMP: f32 = ([-0-9.e]+);', src).group(1)))
    print('shipped clamp', float(clamp), 'first float where the form reaches 1:', float(first_one(c)))
    worst, top, differs = (0.0, 0.0), 0.0, None
    hi = np.float32(16).view(np.int32)
    for s in range(1, hi, 1 << 24):
        x = np.arange(s, min(s + (1 << 24), hi), dtype=np.int32).view(np.float32)
        r = tanh32(c, x, clamp)
        t = np.tanh(x.astype(np.float64))
        e = (t.astype(np.float32).view(np.int32) >> 23) & 0xff   # tests/helpers.ts ulp32 of the float32 tanh
        err = np.abs(r.astype(np.float64) - t) / np.ldexp(1.0, np.maximum(e, 1) - 150)
        i = err.argmax()
        if err[i] > worst[0]:
            worst = (float(err[i]), float(x[i]))
        top = max(top, float(r.max()))
        ne = np.nonzero(r != x)[0]
        if differs is None and len(ne):
            differs = float(x[ne[0]])
    print(f'every positive float below 16: at most {worst[0]:.2f} ulp (at {worst[1]!r}); x itself below {differs!r}; largest value {top!r}')


fit() if '--fit' in sys.argv else check()
