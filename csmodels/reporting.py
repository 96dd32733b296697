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


# --- the incentive-pressure model -------------------------------------------


@dataclass(frozen=True)
class IncentivePressure:
    """An illustrative model of quota pressure on CSMs: the book's, with stated assumptions.

    Sources 000 and 002 describe the mechanism: under quota pressure CSMs push
    upsells before customers are ready, trust erodes and churn rises. The model
    puts numbers on it for one year of a customer base, with pressure p from 0
    (no quota on CSMs) to 1 (CSMs paid mostly on quota):

    * expansion = ``base_expansion`` + ``expansion_gain`` x p: pressure brings
      expansion forward, in proportion (assumption);
    * lost ARR (churn and contraction) = ``base_loss`` + ``loss_gain`` x
      p ** ``curvature``: trust erodes slowly at first, then faster (assumption:
      ``curvature`` > 1);
    * NRR = 1 + expansion - lost ARR, GRR = 1 - lost ARR.

    NRR then peaks at p* = (``expansion_gain`` / (``curvature`` x ``loss_gain``))
    ** (1 / (``curvature`` - 1)), within 0 and 1. None of the numbers is from a
    source; every one is a parameter.

    >>> round(IncentivePressure().peak_pressure, 3)
    0.25
    """

    base_expansion: float = 0.12
    base_loss: float = 0.08
    expansion_gain: float = 0.10
    loss_gain: float = 0.20
    curvature: float = 2.0

    def __post_init__(self) -> None:
        for name in ("base_expansion", "base_loss", "expansion_gain", "loss_gain"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, (int, float))
                                               and math.isfinite(value) and value >= 0):
                raise ParameterError(f"{name} is {value!r}.",
                                     "Give it as a fraction of ARR, 0 or more (0.1 is 10%).")
        if self.base_loss > 1:
            raise ParameterError(f"base_loss is {self.base_loss!r}: more than all the ARR.",
                                 "Give the share of ARR lost in a year, from 0 to 1.")
        if not (isinstance(self.curvature, (int, float)) and math.isfinite(self.curvature)
                and self.curvature > 1):
            raise ParameterError(f"curvature is {self.curvature!r}.",
                                 "Give a number above 1 (2 makes the loss grow with p squared).")

    @classmethod
    def calibrated(cls, nrr: float, grr: float, current_pressure: float = 0.3,
                   **gains: float) -> IncentivePressure:
        """The model that reproduces a company's NRR and GRR at its current pressure.

        >>> m = IncentivePressure.calibrated(1.05, 0.9, current_pressure=0.3)
        >>> round(m.nrr(0.3), 6), round(m.grr(0.3), 6)
        (1.05, 0.9)
        """
        if not (0 <= current_pressure <= 1):
            raise ParameterError(f"current_pressure is {current_pressure!r}.",
                                 "Give the pressure on CSMs today from 0 to 1.")
        if not (0 < grr <= 1 and nrr >= grr):
            raise ParameterError(f"NRR {nrr!r} and GRR {grr!r} cannot calibrate the model.",
                                 "Give GRR in (0, 1] and NRR at least GRR.")
        shape = cls(**gains)
        p = current_pressure
        base_loss = (1 - grr) - shape.loss_gain * p ** shape.curvature
        base_expansion = (nrr - grr) - shape.expansion_gain * p
        if base_loss < 0 or base_expansion < 0:
            raise ParameterError(
                f"With these gains, NRR {nrr:.3f} and GRR {grr:.3f} at pressure {p} imply a "
                "negative base rate.", "Lower the current pressure or the gains.")
        return cls(base_expansion=base_expansion, base_loss=base_loss,
                   expansion_gain=shape.expansion_gain, loss_gain=shape.loss_gain,
                   curvature=shape.curvature)

    @classmethod
    def calibrated_within(cls, nrr: float, grr: float, current_pressure: float = 0.3,
                          **gains: float) -> tuple[IncentivePressure, str | None]:
        """:meth:`calibrated`, lowering a gain the company's figures cannot carry.

        A gain larger than the company's whole loss (``1 - GRR``) or expansion
        (``NRR - GRR``) at today's pressure would need a negative base rate. Such a
        gain is lowered to the largest the figures allow (its base rate is then 0).
        Returns the model and a sentence saying what was lowered (None if nothing).

        >>> m, note = IncentivePressure.calibrated_within(1.117, 0.964, current_pressure=0.5)
        >>> round(m.nrr(0.5), 6), round(m.grr(0.5), 6), round(m.loss_gain, 3)
        (1.117, 0.964, 0.144)
        >>> note.startswith("The loss gain is lowered from 20% to 14.4%")
        True
        """
        shape, p = cls(**gains), current_pressure
        changed, lowered = {}, []
        if p > 0 and 0 < grr <= 1 and nrr >= grr:
            most_loss = (1 - grr) / p ** shape.curvature
            most_expansion = (nrr - grr) / p
            if shape.loss_gain > most_loss:
                changed["loss_gain"] = most_loss
                lowered.append(f"the loss gain is lowered from {shape.loss_gain:.0%} to "
                               f"{most_loss:.1%}")
            if shape.expansion_gain > most_expansion:
                changed["expansion_gain"] = most_expansion
                lowered.append(f"the expansion gain is lowered from {shape.expansion_gain:.0%}"
                               f" to {most_expansion:.1%}")
        model = cls.calibrated(nrr, grr, current_pressure=p, **{**gains, **changed})
        if not lowered:
            return model, None
        text = " and ".join(lowered)
        return model, (f"{text[0].upper()}{text[1:]}, the most this company's NRR "
                       f"{nrr:.1%} and GRR {grr:.1%} allow at pressure {p:g} (with larger "
                       "gains the model would need a negative base rate).")

    @classmethod
    def for_company(cls, nrr: float | None, grr: float | None, current_pressure: float = 0.3,
                    **gains: float) -> tuple[IncentivePressure, str]:
        """The model a chapter shows, and how it was set, as a phrase for the page.

        Calibrated on the company's NRR and GRR when there are any
        (:meth:`calibrated_within`, which lowers a gain they cannot carry), else on the
        model's default base rates.

        >>> model, how = IncentivePressure.for_company(None, None)
        >>> how
        'on its default base rates, as the data give no NRR and GRR'
        >>> IncentivePressure.for_company(1.117, 0.964, 0.5)[1][:70]
        "calibrated so that, at today's pressure, it gives the company's own NR"
        """
        if nrr is None or grr is None:
            return cls(**gains), "on its default base rates, as the data give no NRR and GRR"
        try:
            model, lowered = cls.calibrated_within(nrr, grr, current_pressure, **gains)
        except ParameterError:  # e.g. GRR 0: nothing to calibrate on
            return cls(**gains), ("on its default base rates, as this company's NRR and GRR "
                                  "cannot set them")
        how = "calibrated so that, at today's pressure, it gives the company's own NRR and GRR"
        return model, how + (f"; {lowered[0].lower()}{lowered[1:-1]}" if lowered else "")

    def expansion(self, p):
        """Expansion as a share of last year's ARR at pressure ``p`` (a number or an array)."""
        return _same_shape(self.base_expansion + self.expansion_gain * np.asarray(p, float))

    def loss(self, p):
        """ARR lost to churn and contraction at pressure ``p``, at most all of it."""
        raw = self.base_loss + self.loss_gain * np.asarray(p, float) ** self.curvature
        return _same_shape(np.minimum(raw, 1.0))

    def nrr(self, p):
        """Net revenue retention at pressure ``p``."""
        return 1 + self.expansion(p) - self.loss(p)

    def grr(self, p):
        """Gross revenue retention at pressure ``p``."""
        return 1 - self.loss(p)

    @property
    def peak_pressure(self) -> float:
        """The pressure at which NRR peaks, clipped to [0, 1]."""
        if self.loss_gain == 0:
            return 1.0
        peak = (self.expansion_gain / (self.curvature * self.loss_gain)) ** (
            1 / (self.curvature - 1))
        return float(min(max(peak, 0.0), 1.0))

    def curve(self, points: int = 101) -> pd.DataFrame:
        """NRR, GRR, expansion and loss over pressures from 0 to 1."""
        p = np.linspace(0, 1, points)
        return pd.DataFrame({"pressure": p, "nrr": self.nrr(p), "grr": self.grr(p),
                             "expansion": self.expansion(p), "loss": self.loss(p)})


def _same_shape(values: np.ndarray):
    """A float for a scalar input, the array otherwise."""
    return float(values) if np.ndim(values) == 0 else values
