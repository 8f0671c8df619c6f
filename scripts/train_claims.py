"""Fit the check-worthiness weights of the rules `claims` labeller (corpus/prelabel/data/claims_weights.json).

Reads the CLEF CheckThat! 2024 English training set in the shared evaluation format (research licence: read at
run time, never copied) and fits an L2-regularised logistic regression over ``claim_features`` with numpy. Only
per-feature weights are written — evidence features and single lower-cased words seen in at least
``--min-count`` training sentences — never a sentence. The threshold is the one that maximises positive-class F1
on a held-out tenth of the training set.

    python scripts/train_claims.py ../shared/eval/ct24-train.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import orjson

from corpus.prelabel.claims import claim_features
from corpus.segment.core import tokenize

OUT = Path(__file__).resolve().parents[1] / "corpus" / "prelabel" / "data" / "claims_weights.json"


def examples(path: Path) -> tuple[list[list[str]], list[int]]:
    feats, labels = [], []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        record = orjson.loads(line)
        text = record["text"]
        for claim in record.get("claims", ()):
            words = [text[s:e] for s, e in tokenize(text, claim["start"], claim["end"])]
            feats.append(claim_features(words, [w[:1].isupper() for w in words]))
            labels.append(1 if claim["checkworthy"] else 0)
    return feats, labels


def fit(rows: list[list[int]], y: np.ndarray, n_features: int, l2: float, epochs: int) -> tuple[float, np.ndarray]:
    """Full-batch Adam on the logistic loss over sparse binary rows."""
    row_idx = np.repeat(np.arange(len(rows)), [len(r) for r in rows])
    col_idx = np.fromiter((c for r in rows for c in r), dtype=np.int64, count=len(row_idx))
    w = np.zeros(n_features)
    b = 0.0
    m, v = np.zeros(n_features + 1), np.zeros(n_features + 1)
    lr, beta1, beta2 = 0.05, 0.9, 0.999
    n = len(rows)
    for t in range(1, epochs + 1):
        z = b + np.bincount(row_idx, weights=w[col_idx], minlength=n)
        p = 1.0 / (1.0 + np.exp(-z))
        err = p - y
        grad_w = np.bincount(col_idx, weights=err[row_idx], minlength=n_features) / n + l2 * w
        grad = np.concatenate([[err.mean()], grad_w])
        m = beta1 * m + (1 - beta1) * grad
        v = beta2 * v + (1 - beta2) * grad * grad
        step = lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + 1e-8)
        b -= step[0]
        w -= step[1:]
    return b, w


def best_threshold(scores: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    best = (0.5, 0.0)
    for thr in np.arange(0.2, 0.8, 0.01):
        pred = scores >= thr
        tp = float(np.sum(pred & (y == 1)))
        prec = tp / max(1.0, float(pred.sum()))
        rec = tp / max(1.0, float((y == 1).sum()))
        f1 = 2 * prec * rec / max(1e-9, prec + rec)
        if f1 > best[1]:
            best = (round(float(thr), 2), f1)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("train", type=Path, help="ct24-train.jsonl in the shared evaluation format")
    parser.add_argument("--min-count", type=int, default=5)
    parser.add_argument("--l2", type=float, default=1e-4)
    parser.add_argument("--epochs", type=int, default=300)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    if not args.train.exists():
        print(f"{args.train}: not found (the CheckThat! training set is read from ../shared/eval)", file=sys.stderr)
        return 2
    feats, labels = examples(args.train)
    counts = Counter(f for fs in feats for f in fs)
    vocab = sorted(f for f, c in counts.items() if c >= args.min_count or f.startswith("f="))
    index = {f: i for i, f in enumerate(vocab)}
    rows = [[index[f] for f in fs if f in index] for fs in feats]
    y = np.array(labels, dtype=float)
    # deterministic held-out tenth for the threshold
    held = np.arange(len(rows)) % 10 == 0
    train_rows = [r for r, h in zip(rows, held, strict=True) if not h]
    b, w = fit(train_rows, y[~held], len(vocab), args.l2, args.epochs)
    held_scores = np.array([1 / (1 + np.exp(-(b + w[r].sum()))) for r, h in zip(rows, held, strict=True) if h])
    threshold, held_f1 = best_threshold(held_scores, y[held])
    b, w = fit(rows, y, len(vocab), args.l2, args.epochs)  # final weights on all of the training set
    weights = {f: round(float(x), 4) for f, x in zip(vocab, w, strict=True) if abs(x) >= 1e-3}
    out = {
        "model": "logistic regression over claim_features (evidence features + lower-cased words)",
        "trained_on": "CLEF CheckThat! 2024 task 1 English train (weights only)",
        "min_count": args.min_count,
        "l2": args.l2,
        "threshold": threshold,
        "heldout_f1": round(held_f1, 4),
        "bias": round(float(b), 4),
        "weights": dict(sorted(weights.items())),
    }
    args.out.write_text(json.dumps(out, indent=0, ensure_ascii=False) + "\n", encoding="utf-8")
    print(
        f"{len(rows)} sentences, {len(weights)} weights, threshold {threshold}, held-out F1 {held_f1:.3f} -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
