"""Precision, recall and F1 from hit counts, shared by the evaluation scripts of ``bench/``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PRF:
    """``p_hits`` of ``n_pred`` predictions were right and ``g_hits`` of ``n_gold`` gold items were
    found. Exact matching counts the same hits on both sides (:meth:`exact`); overlap matching may
    not, one prediction covering two gold spans."""

    p_hits: int
    n_pred: int
    g_hits: int
    n_gold: int

    @classmethod
    def exact(cls, hits: int, n_pred: int, n_gold: int) -> PRF:
        return cls(hits, n_pred, hits, n_gold)

    @property
    def precision(self) -> float:
        return self.p_hits / self.n_pred if self.n_pred else 0.0

    @property
    def recall(self) -> float:
        return self.g_hits / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def as_dict(self) -> dict:
        return {
            "right_predicted": self.p_hits,
            "predicted": self.n_pred,
            "found_gold": self.g_hits,
            "gold": self.n_gold,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
        }
