#!/usr/bin/python3
"""The dense estimators of `ttt run` in NumPy, for `make bench` (not part of the program).

    bench_numpy.py DIR [--predictions FILE]

DIR holds an instance written by ttt (DIR/data/*.npy, as `ttt run --save-data` or
`ttt-bench --out` writes it) and ttt's DIR/predictions.tsv for it.  This computes,
vectorised over all test points (no Python loop per point):

  global      least squares on all n training features, minimum norm
  ttt         least squares on the k nearest training points in feature space
              (Euclidean), minimum norm: the solution nearest to 0
  ttt_global  the same, solution nearest to the global head
  knn         the mean label of the k neighbours

with ttt's convention (sim/ttt_lsq.h): the eigendecomposition of the smaller Gram
matrix, directions with eigenvalue <= rcond^2 * the largest dropped (singular values
below rcond * the largest), weight 1 / (eigenvalue + ridge) on the others.  It checks
every prediction against predictions.tsv (or FILE): |numpy - ttt| <= 1e-8 *
max(|ttt|, rms of the column), and exits 1 if one is further.  Then it prints its time
(best of 5) beside ttt's for the same estimators, read from DIR/bench.tsv when
ttt-bench wrote one."""
import contextlib
import ctypes
import sys
import time

import numpy as np

TOL = 1e-8
REPS = 5
ESTIMATORS = ("global", "ttt", "ttt_global", "knn")


def read_tsv(path):
    """The '# key = value' header lines as a dict, and the table's columns by name."""
    header, rows = {}, []
    with open(path) as f:
        for line in f:
            if line.startswith("#"):
                key, eq, value = line[1:].partition("=")
                if eq:
                    header[key.strip()] = value.strip()
            else:
                rows.append(line.rstrip("\n").split("\t"))
    return header, {name: [r[c] for r in rows[1:]] for c, name in enumerate(rows[0])}


@contextlib.contextmanager
def blas_threads(n):
    """Runs the block with the BLAS on n threads, as threadpoolctl's
    threadpool_limits would (not required here): for many small problems a
    threaded BLAS only adds synchronisation.  A no-op unless numpy's BLAS is
    OpenBLAS."""
    with open("/proc/self/maps") as maps:
        libs = sorted({line.split()[-1] for line in maps if "openblas" in line})
    lib = ctypes.CDLL(libs[0]) if libs else None
    if lib is None or not hasattr(lib, "openblas_set_num_threads"):
        yield
        return
    before = lib.openblas_get_num_threads()
    lib.openblas_set_num_threads(n)
    try:
        yield
    finally:
        lib.openblas_set_num_threads(before)


def minimum_norm_weights(lam, rcond, ridge):
    """1 / (lambda + ridge) for the eigenvalues kept, 0 for the others (last axis)."""
    top = lam.max(axis=-1, keepdims=True)
    keep = (top > 0) & (lam > rcond * rcond * top)
    return np.where(keep, 1.0 / np.where(keep, lam + ridge, 1.0), 0.0)


def global_head(X, y, rcond, ridge):
    """v = X^+ y from the d2 x d2 Gram matrix (ttt takes the n x n one when n < d2:
    the same X^+)."""
    lam, V = np.linalg.eigh(X.T @ X)
    return V @ (minimum_norm_weights(lam, rcond, ridge) * (V.T @ (X.T @ y)))


def neighbours(X, Q, k, chunk=128):
    """The k nearest rows of X to each row of Q: ||x||^2 - 2 <q, x> by one matrix
    product per chunk of queries (the m x n distances are never held at once),
    then argpartition."""
    norm = np.einsum("ij,ij->i", X, X)
    out = np.empty((Q.shape[0], k), dtype=np.intp)
    for a in range(0, Q.shape[0], chunk):
        D = Q[a:a + chunk] @ X.T
        D *= -2.0
        D += norm
        out[a:a + chunk] = np.argpartition(D, k - 1, axis=1)[:, :k]
    return out


def local_predictions(X, y, Q, nbr, v, pred_global, rcond, ridge):
    """ttt, ttt_global and knn at every test point at once: the k x k Gram matrices
    of all neighbourhoods, one batched eigh, both right-hand sides together;
    the BLAS on one thread (m small problems)."""
    with blas_threads(1):
        Xn, yn = X[nbr], y[nbr]                       # m x k x d2, m x k
        lam, U = np.linalg.eigh(Xn @ Xn.transpose(0, 2, 1))
        omega = minimum_norm_weights(lam, rcond, ridge)
        R = np.stack([yn, yn - Xn @ v], axis=2)       # m x k x 2
        T = U @ (omega[:, :, None] * (U.transpose(0, 2, 1) @ R))
        b = np.einsum("ikd,id->ik", Xn, Q)            # X_N x*: pred = <x*, X_N^T t>
        fit = np.einsum("ik,ikr->ir", b, T)
    return {"ttt": fit[:, 0], "ttt_global": pred_global + fit[:, 1], "knn": yn.mean(axis=1)}


def run(data, p):
    t0 = time.perf_counter()
    v = global_head(data["train_X"], data["train_y"], p["rcond"], p["ridge"])
    pred = {"global": data["test_X"] @ v}
    t1 = time.perf_counter()
    nbr = neighbours(data["train_X"], data["test_X"], p["k"])
    t2 = time.perf_counter()
    pred.update(local_predictions(data["train_X"], data["train_y"], data["test_X"], nbr, v, pred["global"],
                                  p["rcond"], p["ridge"]))
    t3 = time.perf_counter()
    return pred, {"global": t1 - t0, "neighbours": t2 - t1, "local": t3 - t2, "total": t3 - t0}


def main(argv):
    if len(argv) not in (2, 4) or (len(argv) == 4 and argv[2] != "--predictions"):
        sys.exit("usage: bench_numpy.py DIR [--predictions FILE]")
    d = argv[1]
    header, cols = read_tsv(argv[3] if len(argv) == 4 else d + "/predictions.tsv")
    if header.get("space") != "feature" or header.get("metric") != "euclidean":
        sys.exit("bench_numpy.py: only space = feature, metric = euclidean are implemented")
    p = {"k": int(header["k"]), "rcond": float(header["rcond"]), "ridge": float(header["ridge"])}
    data = {f: np.load(f"{d}/data/{f}.npy") for f in ("train_X", "train_y", "test_X")}

    best, pred = None, None
    for _ in range(REPS):
        pred, t = run(data, p)
        best = t if best is None else {key: min(best[key], t[key]) for key in t}

    print(f"numpy {np.__version__} (/usr/bin/python3): global, ttt, ttt_global and knn on the instance in {d}, "
          f"{data['train_X'].shape[0]} x {data['train_X'].shape[1]} training features, "
          f"{data['test_X'].shape[0]} test points, k = {p['k']}")
    worst = {}
    for e in ESTIMATORS:
        ref = np.array(cols[e], dtype=float)
        scale = np.maximum(np.abs(ref), np.sqrt(np.mean(ref ** 2)))
        worst[e] = float(np.max(np.abs(pred[e] - ref) / scale))
    ok = all(w <= TOL for w in worst.values())
    print("  agreement, max over test points of |numpy - ttt| / max(|ttt|, rms): " +
          ", ".join(f"{e} {worst[e]:.1e}" for e in ESTIMATORS) +
          f" ({'all' if ok else 'NOT all'} within {TOL:g})")

    try:
        _, c = read_tsv(d + "/bench.tsv")
        ttt = dict(zip(c["part"], map(float, c["seconds"])))
    except FileNotFoundError:
        ttt = {}
    print(f"  {f'seconds, best of {REPS} (ttt: best of 5)':<44} {'numpy':>8} {'ttt':>8} {'numpy/ttt':>10}")
    for part, what in (("global", "global head and its predictions"),
                       ("neighbours", "k nearest neighbours"),
                       ("local", "ttt, ttt_global, knn"),
                       ("total", "all of the above")):
        if part in ttt:
            print(f"  {what:<44} {best[part]:8.4f} {ttt[part]:8.4f} {best[part] / ttt[part]:10.2f}")
        else:
            print(f"  {what:<44} {best[part]:8.4f}")
    if "run" in ttt:
        print(f"  {'against the whole ttt_run (sparse=off)':<44} {best['total']:8.4f} {ttt['run']:8.4f} "
              f"{best['total'] / ttt['run']:10.2f}")
    if not ok:
        print(f"bench_numpy.py: numpy and ttt disagree beyond {TOL:g}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main(sys.argv)
