"""Inline SVG charts for the model pages, built from the re-scored arrays.

Every text that reaches the SVG goes through ``Markup.format``, which escapes
it; geometry is numbers. Colours come from CSS classes (``heat-0`` …
``heat-9`` for the heatmap, ``share-0`` … ``share-9`` for the confusion matrix, ``bar-gold``, ``bar-pred``), so pages need no inline styles.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Mapping, Sequence

import numpy as np
from markupsafe import Markup

from roboreward_bench.metrics.types import ScoringInput
from roboreward_bench.rubric import LABELS

COLUMNS = ("1", "2", "3", "4", "5", "other", "invalid")
HEAT_LEVELS = 10


@dataclass(frozen=True, eq=False)
class ChartData:
    """What the model-page charts need: per item, gold label, prediction, validity and score_probs."""

    y_true: np.ndarray
    y_pred: np.ndarray
    valid: np.ndarray
    errored: np.ndarray
    score_probs: np.ndarray | None = None

    @classmethod
    def from_inputs(cls, inputs: ScoringInput) -> "ChartData":
        return cls(inputs.y_true, inputs.y_pred, inputs.valid, inputs.errored, inputs.score_probs)

    def to_json(self) -> dict[str, Any]:
        """Plain lists (nan → null), for the re-scoring cache."""
        def floats(values: np.ndarray) -> list[Any]:
            return [None if not math.isfinite(v) else v for v in values.tolist()]
        return {"y_true": self.y_true.tolist(), "y_pred": floats(self.y_pred), "valid": self.valid.tolist(),
                "errored": self.errored.tolist(),
                "score_probs": None if self.score_probs is None else [floats(r) for r in self.score_probs]}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> "ChartData":
        def floats(values: list[Any]) -> np.ndarray:
            return np.array([np.nan if v is None else v for v in values], dtype=float)
        probs = data["score_probs"]
        return cls(np.array(data["y_true"], dtype=int), floats(data["y_pred"]), np.array(data["valid"], dtype=bool),
                   np.array(data["errored"], dtype=bool),
                   None if probs is None else np.array([floats(r) for r in probs], dtype=float).reshape(-1, 5))


def heat_class(value: float | None, low: float, high: float) -> str:
    """CSS class ``heat-0`` (best) … ``heat-9`` (worst) for a value on [low, high]."""
    if value is None or not math.isfinite(value):
        return "heat-none"
    share = 0.0 if high <= low else (value - low) / (high - low)
    return f"heat-{min(HEAT_LEVELS - 1, max(0, int(share * HEAT_LEVELS)))}"


def prediction_columns(data: ChartData) -> np.ndarray:
    """Column index in :data:`COLUMNS` per item: 0–4 for answers 1–5, 5 other values, 6 invalid/errored."""
    pred = data.y_pred
    valid = data.valid & ~data.errored & np.isfinite(pred)
    whole = valid & (np.mod(pred, 1) == 0) & (pred >= 1) & (pred <= 5)
    columns = np.full(pred.shape, 6, dtype=int)
    columns[valid] = 5
    columns[whole] = pred[whole].astype(int) - 1
    return columns


def confusion_counts(data: ChartData) -> np.ndarray:
    """5 × 7 counts: gold label 1–5 by predicted column (1–5, other, invalid)."""
    counts = np.zeros((5, len(COLUMNS)), dtype=int)
    np.add.at(counts, (data.y_true.astype(int) - 1, prediction_columns(data)), 1)
    return counts


def _svg(width: float, height: float, label: str, body: Sequence[Markup]) -> Markup:
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {w} {h}" width="{w}" '
                  'height="{h}" role="img" aria-label="{label}"><title>{label}</title>{body}</svg>').format(
        w=_n(width), h=_n(height), label=label, body=Markup("").join(body))


def _n(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _text(x: float, y: float, text: str, cls: str = "", anchor: str = "middle") -> Markup:
    return Markup('<text x="{x}" y="{y}" text-anchor="{a}" class="{c}">{t}</text>').format(
        x=_n(x), y=_n(y), a=anchor, c=cls, t=text)


def _rect(x: float, y: float, w: float, h: float, cls: str, tip: str = "") -> Markup:
    title = Markup("<title>{}</title>").format(tip) if tip else Markup("")
    return Markup('<rect x="{x}" y="{y}" width="{w}" height="{h}" class="{c}">{t}</rect>').format(
        x=_n(x), y=_n(y), w=_n(max(w, 0.0)), h=_n(max(h, 0.0)), c=cls, t=title)


def confusion_svg(data: ChartData) -> Markup:
    """Gold label (rows) against prediction (columns); shade is the row share, text the count."""
    counts = confusion_counts(data)
    cell, left, top = 46.0, 64.0, 48.0
    body = [_text(left + cell * len(COLUMNS) / 2, 16, "predicted", "axis"),
            _text(14, top + cell * 2.5, "gold", "axis", "middle")]
    for j, name in enumerate(COLUMNS):
        body.append(_text(left + cell * (j + 0.5), top - 10, name, "tick"))
    for i, label in enumerate(LABELS):
        total = counts[i].sum()
        body.append(_text(left - 10, top + cell * (i + 0.6), str(label), "tick", "end"))
        for j, name in enumerate(COLUMNS):
            share = counts[i, j] / total if total else 0.0
            tip = f"gold {label}, predicted {name}: {counts[i, j]} ({share:.0%} of gold {label})"
            body.append(_rect(left + cell * j, top + cell * i, cell - 2, cell - 2,
                              f"cell share-{min(HEAT_LEVELS - 1, int(share * HEAT_LEVELS))}", tip))
            body.append(_text(left + cell * (j + 0.5), top + cell * (i + 0.6), str(counts[i, j]),
                              "count dark" if share >= 0.5 else "count"))
    return _svg(left + cell * len(COLUMNS) + 8, top + cell * 5 + 8, "Confusion matrix: gold label by prediction", body)


def subset_bars_svg(per_subset: Mapping[str, Mapping[str, float | None]], names: Mapping[str, str],
                    metric: str = "mae") -> Markup:
    """One horizontal bar per subset (MAE by default), longest scale at the largest value."""
    values = [(names.get(s, s), v.get(metric)) for s, v in sorted(per_subset.items())]
    finite = [v for _, v in values if v is not None and math.isfinite(v)]
    scale_max = max(finite + [1.0])
    row, left, width = 22.0, 170.0, 300.0
    body = []
    for i, (name, value) in enumerate(values):
        y = 8 + row * i
        shown = name if len(name) <= 26 else name[:25] + "…"
        body.append(_text(left - 8, y + 14, shown, "tick", "end"))
        if value is None or not math.isfinite(value):
            body.append(_text(left + 4, y + 14, "n/a", "tick", "start"))
            continue
        body.append(_rect(left, y + 2, width * value / scale_max, row - 6, "bar-pred", f"{name}: {metric} {value:.3f}"))
        body.append(_text(left + width * value / scale_max + 4, y + 14, f"{value:.3f}", "tick", "start"))
    return _svg(left + width + 60, 16 + row * len(values), f"Per-subset {metric}", body)


def distribution_svg(data: ChartData) -> Markup:
    """How often each score is given, next to how often each label is the truth."""
    counts = confusion_counts(data)
    predicted = counts.sum(axis=0)
    gold = np.concatenate([counts.sum(axis=1), [0, 0]])
    top = max(int(predicted.max(initial=0)), int(gold.max(initial=0)), 1)
    group, left, height, base = 58.0, 44.0, 160.0, 190.0
    body = [_text(left - 6, base - height + 4, str(top), "tick", "end"), _text(left - 6, base, "0", "tick", "end"),
            _rect(left + 8, 8, 12, 10, "bar-gold"), _text(left + 24, 17, "gold labels", "tick", "start"),
            _rect(left + 120, 8, 12, 10, "bar-pred"), _text(left + 136, 17, "predictions", "tick", "start")]
    for j, name in enumerate(COLUMNS):
        x = left + group * j + 6
        for k, (series, cls) in enumerate(((gold, "bar-gold"), (predicted, "bar-pred"))):
            h = height * series[j] / top
            body.append(_rect(x + 22 * k, base - h, 20, h, cls, f"{name}: {series[j]} {'gold' if k == 0 else 'predicted'}"))
        body.append(_text(x + 21, base + 16, name, "tick"))
    return _svg(left + group * len(COLUMNS) + 10, base + 26, "Score distribution against labels", body)


def calibration_bins(data: ChartData, bins: int = 10) -> list[tuple[float, float, int]]:
    """(mean P(score = 5), observed success rate, count) per non-empty probability bin."""
    if data.score_probs is None:
        return []
    probs = np.asarray(data.score_probs, dtype=float)
    usable = np.isfinite(probs).all(axis=1)
    if not usable.any():
        return []
    p_success = probs[usable, 4]
    success = (data.y_true[usable] == 5).astype(float)
    edges = np.minimum((p_success * bins).astype(int), bins - 1)
    out = []
    for b in range(bins):
        mask = edges == b
        if mask.any():
            out.append((float(p_success[mask].mean()), float(success[mask].mean()), int(mask.sum())))
    return out


def calibration_svg(data: ChartData) -> Markup | None:
    """Reliability diagram of P(score = 5) against the observed success rate; None without score_probs."""
    points = calibration_bins(data)
    if not points:
        return None
    size, left, top = 220.0, 48.0, 12.0
    total = sum(n for _, _, n in points)
    body = [Markup('<line x1="{x1}" y1="{y1}" x2="{x2}" y2="{y2}" class="diagonal"/>').format(
        x1=_n(left), y1=_n(top + size), x2=_n(left + size), y2=_n(top)),
        _rect(left, top, size, size, "frame"),
        _text(left + size / 2, top + size + 30, "predicted P(success)", "axis"),
        Markup('<text x="14" y="{y}" text-anchor="middle" class="axis" transform="rotate(-90 14 {y})">'
               'observed success rate</text>').format(y=_n(top + size / 2))]
    for tick in (0.0, 0.5, 1.0):
        body.append(_text(left + size * tick, top + size + 14, f"{tick:g}", "tick"))
        body.append(_text(left - 6, top + size * (1 - tick) + 4, f"{tick:g}", "tick", "end"))
    for mean_p, rate, count in points:
        radius = 3 + 9 * math.sqrt(count / total)
        body.append(Markup('<circle cx="{x}" cy="{y}" r="{r}" class="point"><title>{t}</title></circle>').format(
            x=_n(left + size * mean_p), y=_n(top + size * (1 - rate)), r=_n(radius),
            t=f"{count} items: mean P(success) {mean_p:.2f}, observed {rate:.2f}"))
    return _svg(left + size + 12, top + size + 40, "Calibration of P(success)", body)


def ci_bar_svg(value: float | None, low: float | None, high: float | None, scale_low: float,
               scale_high: float) -> Markup:
    """A small bar from ``low`` to ``high`` with a tick at ``value``, on the table's common scale."""
    if value is None or low is None or high is None or not scale_high > scale_low:
        return Markup("")
    width, height = 100.0, 10.0

    def x(v: float) -> float:
        return 2 + (width - 4) * (min(max(v, scale_low), scale_high) - scale_low) / (scale_high - scale_low)

    tip = f"95% CI {low:.3f}–{high:.3f}"
    return Markup('<svg xmlns="http://www.w3.org/2000/svg" class="cibar" viewBox="0 0 {w} {h}" width="{w}" '
                  'height="{h}" role="img" aria-label="{tip}"><title>{tip}</title>'
                  '<line x1="2" y1="5" x2="{end}" y2="5" class="axis"/>{bar}{tick}</svg>').format(
        w=_n(width), h=_n(height), tip=tip, end=_n(width - 2),
        bar=_rect(x(low), 2, x(high) - x(low), 6, "range"), tick=_rect(x(value) - 1, 0, 2, 10, "point"))
