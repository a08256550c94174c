#!/usr/bin/env python3
"""scikit-learn reference baseline for the German credit data.

Usage: python sklearn_auc.py PATH/TO/germancredit.csv

Deterministic: no shuffling, no random state involved. Every step below is
spelled out by hand (not via sklearn preprocessors) so that the Rust
implementation can mirror it exactly; see README.md next to this file.
"""

import sys

import numpy as np
import pandas as pd
import sklearn
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import log_loss, roc_auc_score

LABEL = "creditability"
POSITIVE = "good"  # y = 1 for good credit, 0 for bad
N_TRAIN = 700
N_TEST = 300
C_VALUES = (1.0, 1e6)


def is_numeric(values):
    """A column is numeric iff every one of its values (all rows, train and
    test) parses as a finite number."""
    try:
        parsed = np.array([float(v) for v in values], dtype=np.float64)
    except ValueError:
        return False
    return bool(np.all(np.isfinite(parsed)))


def main(path):
    # Every field is read as a raw string: no NA detection, no type guessing.
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False)
    if df.shape[0] != N_TRAIN + N_TEST:
        sys.exit(f"expected {N_TRAIN + N_TEST} data rows, got {df.shape[0]}")
    if (df == "").any().any():
        sys.exit("empty field found; this script has no missing-value rule")

    labels = df[LABEL]
    bad = sorted(set(labels) - {"good", "bad"})
    if bad:
        sys.exit(f"unexpected {LABEL} values: {bad}")
    y = (labels == POSITIVE).to_numpy(dtype=np.int64)

    # Split by file order: first 700 rows train, last 300 rows test.
    train = df.iloc[:N_TRAIN]
    test = df.iloc[N_TRAIN:]
    y_train, y_test = y[:N_TRAIN], y[N_TRAIN:]

    names = []
    train_cols = []
    test_cols = []
    for col in df.columns:  # CSV column order
        if col == LABEL:
            continue
        if is_numeric(df[col]):
            tr = train[col].astype(np.float64).to_numpy()
            te = test[col].astype(np.float64).to_numpy()
            mean = tr.mean()
            std = tr.std(ddof=0)  # population standard deviation
            if std == 0.0:
                sys.exit(f"numeric column {col!r} is constant in training rows")
            names.append(col)
            train_cols.append((tr - mean) / std)
            test_cols.append((te - mean) / std)
        else:
            # Levels seen in the training rows, sorted byte-wise (UTF-8).
            levels = sorted(set(train[col]), key=lambda s: s.encode("utf-8"))
            for level in levels:
                names.append(f"{col}={level}")
                train_cols.append((train[col] == level).to_numpy(dtype=np.float64))
                # A test level unseen in training matches none -> all zeros.
                test_cols.append((test[col] == level).to_numpy(dtype=np.float64))

    X_train = np.column_stack(train_cols)
    X_test = np.column_stack(test_cols)

    print(f"# sklearn {sklearn.__version__}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"# rows: train={X_train.shape[0]} (good={int(y_train.sum())}), "
          f"test={X_test.shape[0]} (good={int(y_test.sum())})")
    for c in C_VALUES:
        # l1_ratio=0.0 is a pure L2 penalty: the same model as penalty="l2"
        # (the `penalty` argument is deprecated since scikit-learn 1.8).
        model = LogisticRegression(
            C=c,
            l1_ratio=0.0,
            solver="lbfgs",
            max_iter=5000,
            tol=1e-10,
            fit_intercept=True,
        )
        model.fit(X_train, y_train)
        p_train = model.predict_proba(X_train)[:, 1]
        p_test = model.predict_proba(X_test)[:, 1]
        auc = roc_auc_score(y_test, p_test)
        train_ll = log_loss(y_train, p_train)  # mean, natural log, unpenalised
        w = model.coef_.ravel()
        objective = 0.5 * float(w @ w) + c * train_ll * len(y_train)
        # Gradient of that objective at the returned solution: a converged
        # fit has it near 0 (intercept component = C * sum(p - y)).
        resid = p_train - y_train
        grad = np.concatenate(([c * resid.sum()], w + c * (X_train.T @ resid)))
        print(f"C={c:g}")
        print(f"  test_auc        {auc:.4f}")
        print(f"  train_log_loss  {train_ll:.6f}")
        print(f"  intercept       {model.intercept_[0]:.6f}")
        print(f"  n_features      {X_train.shape[1]}")
        print(f"  n_iter          {int(model.n_iter_[0])}")
        print(f"  objective       {objective:.6f}   (0.5*||w||^2 + C*sum(logloss_i))")
        print(f"  max_abs_grad    {np.abs(grad).max():.3e}   (of that objective; ~0 if converged)")
    print("design matrix columns:")
    for i, name in enumerate(names):
        print(f"  {i:2d} {name}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
