"""Where Customer Success reports: the sources' arguments and a criteria model.

Sources 000, 001 and 002 argue for and against five placements of CS: under the
CEO, under Sales or a CRO, under the COO, under a Chief Customer Officer and
under Product. Their arguments live in ``csmodels/data/reporting_arguments.csv``
(one row per argument, with its source), source 002's account of the CRO- and
COO-led team in ``reporting_cro_coo.csv``.

The criteria model turns those arguments into numbers. Each placement gets a
score from 1 (weak) to 5 (strong) on each criterion of
``reporting_criteria.csv``; each score names the argument that justifies it
(``reporting_scores.csv``). The scores are the book's reading of the arguments,
not figures from the sources: an assumption a reader can replace by passing
their own table. The reader sets the weights; a placement's value is the
weighted mean of its scores.

>>> ranking(default_weights()).index[0]
'cco'
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ._tables import package_table
from .exceptions import ParameterError

PLACEMENTS = ("ceo", "cro", "coo", "cco", "product")
PLACEMENT_LABELS = {"ceo": "CEO", "cro": "Sales / CRO", "coo": "COO (operations)",
                    "cco": "Chief Customer Officer", "product": "Product"}
SCORE_RANGE = (1, 5)


def _read(name: str) -> pd.DataFrame:
    return package_table(f"reporting_{name}")


def arguments() -> pd.DataFrame:
    """Every argument for (``pro``) and against (``con``) each placement, with its source.

    >>> sorted(arguments()["placement"].unique()) == sorted(PLACEMENTS)
    True
    """
    return _read("arguments").set_index("argument_id")


def cro_vs_coo() -> pd.DataFrame:
    """Source 002 on a CRO- and a COO-led CS team: mission, team and how clients see it."""
    return _read("cro_coo").copy()


def facts() -> pd.DataFrame:
    """Figures the sources give about placements, each with its source.

    >>> float(facts().loc["cro_small_company_share", "value"])
    0.64
    """
    return _read("facts").set_index("fact_id")


def criteria() -> pd.DataFrame:
    """The criteria, each with a label, the question it asks and its default weight."""
    return _read("criteria").set_index("criterion")


def scores() -> pd.DataFrame:
    """Long table of scores: placement, criterion, score, and the argument and source behind it."""
    table = _read("scores").merge(arguments()[["text", "source"]], left_on="argument_id",
                                  right_index=True, how="left", validate="many_to_one")
    return table


def score_matrix(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Scores as a placement x criterion matrix (rows in :data:`PLACEMENTS` order).

    ``table`` is a long table with ``placement``, ``criterion`` and ``score``
    columns (default: :func:`scores`); it is checked to give every placement one
    score from 1 to 5 on every criterion.
    """
    table = scores() if table is None else table
    missing = {"placement", "criterion", "score"} - set(table.columns)
    if missing:
        raise ParameterError(f"The score table lacks the column(s) {sorted(missing)}.",
                             "Give one row per placement and criterion with a 'score'.")
    dupes = table.duplicated(["placement", "criterion"])
    if dupes.any():
        pairs = table.loc[dupes, ["placement", "criterion"]].drop_duplicates()
        raise ParameterError(f"The score table scores {pairs.values.tolist()} twice.",
                             "Keep one score per placement and criterion.")
    matrix = table.pivot(index="placement", columns="criterion", values="score")
    crits = list(criteria().index)
    unknown = sorted(set(matrix.index) - set(PLACEMENTS)) + sorted(set(matrix.columns) - set(crits))
    if unknown:
        raise ParameterError(f"Unknown placement or criterion in the score table: {unknown}.",
                             f"Placements are {list(PLACEMENTS)}; criteria are {crits}.")
    matrix = matrix.reindex(index=list(PLACEMENTS), columns=crits)
    values = pd.to_numeric(matrix.stack(future_stack=True), errors="coerce")
    bad = values[values.isna() | (values < SCORE_RANGE[0]) | (values > SCORE_RANGE[1])]
    if not bad.empty:
        raise ParameterError(
            f"Scores missing or outside {SCORE_RANGE[0]}-{SCORE_RANGE[1]} for "
            f"{[f'{p}/{c}' for p, c in bad.index[:5]]}.",
            "Give every placement a score from 1 (weak) to 5 (strong) on every criterion.")
    return matrix.astype(float)


def default_weights() -> dict[str, float]:
    """Equal weights on every criterion: the book's assumption, not a source's."""
    return {c: float(w) for c, w in criteria()["default_weight"].items()}


def check_weights(weights: Mapping[str, float] | None) -> pd.Series:
    """Weights as a Series over every criterion; a criterion not given gets its default.

    Raises :class:`ParameterError` for an unknown criterion, a negative, non-finite
    or non-numeric weight, or weights that are all zero.

    >>> float(check_weights({"incentive_purity": 3}).loc["incentive_purity"])
    3.0
    """
    full = dict(default_weights())
    for name, value in dict(weights or {}).items():
        if name not in full:
            raise ParameterError(
                f"'{name}' is not a reporting criterion.",
                f"Use one of {', '.join(full)} (see the reporting-options chapter).")
        if isinstance(value, bool) or not isinstance(value, (int, float, np.number)) \
                or not math.isfinite(value) or value < 0:
            raise ParameterError(f"The weight of '{name}' is {value!r}.",
                                 "Give each weight as a number, 0 or more.")
        full[name] = float(value)
    series = pd.Series(full, name="weight")
    if series.sum() <= 0:
        raise ParameterError("Every reporting weight is 0.",
                             "Give at least one criterion a weight above 0.")
    return series


def _values(weights: pd.Series, matrix: pd.DataFrame) -> pd.Series:
    return matrix[weights.index] @ weights / weights.sum()


def ranking(weights: Mapping[str, float] | None = None,
            matrix: pd.DataFrame | None = None) -> pd.DataFrame:
    """The placements ranked by their weighted mean score, best first.

    Columns: ``label``, ``value`` (weighted mean score, 1 to 5) and ``rank``
    (1 + the number of placements strictly ahead, so ties share a rank).
    Ties are listed in :data:`PLACEMENTS` order.
    """
    w = check_weights(weights)
    m = score_matrix() if matrix is None else matrix
    values = _values(w, m)
    rank = values.apply(lambda v: 1 + int((values > v + 1e-12).sum()))
    table = pd.DataFrame({"label": [PLACEMENT_LABELS[p] for p in values.index],
                          "value": values, "rank": rank}, index=values.index)
    # order by rank, so values equal up to rounding keep the same order however scaled
    order = sorted(values.index, key=lambda p: (rank[p], PLACEMENTS.index(p)))
    return table.loc[order].rename_axis("placement")


@dataclass(frozen=True)
class Flip:
    """The smallest change of one weight that puts another placement first."""

    criterion: str
    old_weight: float
    new_weight: float
    leader: str
    new_leader: str

    @property
    def change(self) -> float:
        return self.new_weight - self.old_weight


def margin(weights: Mapping[str, float] | None = None,
           matrix: pd.DataFrame | None = None) -> float:
    """How far the first placement's value is ahead of the second's (score points)."""
    values = ranking(weights, matrix)["value"]
    return float(values.iloc[0] - values.iloc[1])


def smallest_flip(weights: Mapping[str, float] | None = None,
                  matrix: pd.DataFrame | None = None) -> Flip | None:
    """The single weight change, smallest in absolute size, that changes the leader.

    Raising weight c by d moves the gap between the leader p and a challenger q by
    d (s_qc - s_pc) over a total weight that stays positive, so q draws level at
    d = G / (s_qc - s_pc), with G the weighted-sum gap; beyond it q leads. Only
    changes that keep the weight above 0 count (at 0 the challenger could only
    draw level); with a tie for first the change is 0. ``None`` when no single
    weight can change the leader.
    """
    w = check_weights(weights)
    m = score_matrix() if matrix is None else matrix
    leader = ranking(w.to_dict(), m).index[0]
    sums = m[w.index] @ w
    best: Flip | None = None
    for q in m.index.drop(leader):
        gap = float(sums[leader] - sums[q])  # >= 0
        for c in w.index:
            slope = float(m.loc[q, c] - m.loc[leader, c])
            if slope == 0:
                continue
            d = gap / slope
            if w[c] + d <= 1e-9 * w.sum():  # at a weight of 0, q could only draw level
                continue
            if best is None or abs(d) < abs(best.change):
                best = Flip(c, float(w[c]), float(w[c] + d), leader, q)
    return best


def monte_carlo(weights: Mapping[str, float] | None = None, n: int = 10_000,
                concentration: float | None = 20.0, seed: int = 0,
                matrix: pd.DataFrame | None = None) -> pd.Series:
    """How often each placement ranks first when the weights are drawn at random.

    Weights are drawn from a Dirichlet distribution centred on the reader's
    weights, with ``concentration`` saying how tightly (the book's assumption;
    20 keeps most draws within about a third of each weight); ``None`` draws
    uniformly over all weightings, as if nothing were known. A draw where
    placements tie counts for each of them in equal parts. Seeded, so the same
    call gives the same shares.

    >>> shares = monte_carlo(n=2_000)
    >>> round(float(shares.sum()), 6)
    1.0
    """
    if not (isinstance(n, int) and n > 0):
        raise ParameterError(f"n is {n!r}.", "Give the number of draws as a whole number above 0.")
    if concentration is not None and not (math.isfinite(concentration) and concentration > 0):
        raise ParameterError(f"concentration is {concentration!r}.",
                             "Give a number above 0, or None for uniform weights.")
    w = check_weights(weights)
    m = score_matrix() if matrix is None else matrix
    rng = np.random.default_rng(seed)
    if concentration is None:
        alpha = np.ones(len(w))
    else:
        # a zero weight stays near zero rather than exactly zero
        alpha = np.maximum(concentration * w.to_numpy() / w.sum(), 1e-3)
    draws = rng.dirichlet(alpha, size=n)
    values = draws @ m[w.index].to_numpy().T  # n x placements
    top = values.max(axis=1, keepdims=True)
    winners = np.isclose(values, top, rtol=0, atol=1e-12)
    share = (winners / winners.sum(axis=1, keepdims=True)).mean(axis=0)
    return pd.Series(share, index=m.index, name="share_first")
