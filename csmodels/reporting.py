"""Where Customer Success reports: the sources' arguments and a criteria model.

Sources 000, 001 and 002 argue for and against five placements of CS: under the
CEO, under Sales or a CRO, under the COO, under a Chief Customer Officer and
under Product; source 003 adds how the CCO line is built. Their arguments live in
``csmodels/data/reporting_arguments.csv`` (one row per argument, with its source),
source 002's account of the CRO- and COO-led team in ``reporting_cro_coo.csv``.

The CEO and the CCO are not rivals in the way the others are: in source 003 the
CCO reports to the CEO. The model keeps both as placements because the sources
argue about each, but names them as two forms of one executive line to the CEO
(:data:`LINES`): a head of CS who is one of the CEO's direct reports, or a CCO,
also reporting to the CEO, who holds every post-sales team.

The criteria model turns the arguments into numbers. Each placement gets a score
from 1 (weak) to 5 (strong) on each criterion of ``reporting_criteria.csv``,
with a range (``low`` to ``high``) saying how sure the reading is
(``reporting_scores.csv``). Each score names the argument it rests on and the
claim of the claims register that quotes the source's words; ``reading`` says
whether those words back the score (``source``) or the score is the book's own
inference from them (``book``). Where a source ties an argument to the company's
stage, ``reporting_stage_scores.csv`` moves the score for startups (Seed and
Series A) or scale-ups (Series B on), source 000's phases, each move with its
reason. Scores and ranges are the book's reading, not figures from the sources:
assumptions a reader can replace by passing their own table. The reader sets the
weights; a placement's value is the weighted mean of its scores.

:func:`reporting_summary` is the one call the chapter makes: it loads the profile and
the data once and gathers the chapter's figures for one company in a
:class:`ReportingSummary`: the ranking at the company's stage, its margin and
smallest flip, how often each placement comes first when weights and scores vary
(:func:`monte_carlo`), how the ranking compares with the maturity recommendation
(:func:`reconcile`), the first exercise's ranking and, as its ``pressure`` section,
the quota-pressure model of :mod:`csmodels.pressure` calibrated on the company's NRR
and GRR. :func:`summarise` gives the criteria model's figures for a profile alone.

>>> ranking(default_weights()).index[0]
'cco'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import check_number
from ._tables import package_table
from .book import company_name
from .exceptions import ParameterError
from .pressure import PressureSummary, company_summary
from .profile import STAGES, Profile
from .summary import Summary, figure, section

PLACEMENTS = ("ceo", "cro", "coo", "cco", "product")
PLACEMENT_LABELS = {"ceo": "Head of CS under the CEO", "cro": "Sales / CRO",
                    "coo": "COO (operations)", "cco": "CCO under the CEO",
                    "product": "Product"}
# whom the top CS leader reports to: the head of CS and the CCO both report to the CEO
LINES = {"ceo": "ceo", "cco": "ceo", "cro": "cro", "coo": "coo", "product": "product"}
PHASES = ("startup", "scale-up")  # source 000: Seed and Series A; Series B and beyond
READINGS = ("source", "book")
SCORE_RANGE = (1, 5)
EXERCISE_WEIGHTS = {"incentive_purity": 5}  # exercise 1's change, over the profile's weights
_IS = "{name} is {value}."  # the form of this module's messages, a hint after


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


def stage_adjustments() -> pd.DataFrame:
    """How a score moves at a stage: placement, criterion, ``phase``, ``delta``, and
    the argument, claim, reading and reason behind the move.

    >>> adj = stage_adjustments().set_index(["placement", "criterion", "phase"])
    >>> int(adj.loc[("ceo", "feedback_loop", "startup"), "delta"])
    2
    """
    return _read("stage_scores").merge(arguments()[["text"]], left_on="argument_id",
                                       right_index=True, how="left", validate="many_to_one")


def scores(phase: str | None = None) -> pd.DataFrame:
    """Long table of scores: placement, criterion, ``score`` with its ``low`` and
    ``high``, the argument (``text``, ``source``), claim, ``reading`` and reason.

    With ``phase`` (``"startup"`` or ``"scale-up"``, see :func:`phase_of`) the
    stage adjustments of that phase are added, score and range moved together and
    kept within 1 to 5; ``delta`` is the move and ``stage_reason`` its reason.
    Without it, the stage-free scores.

    >>> s = scores("startup").set_index(["placement", "criterion"])
    >>> int(s.loc[("ceo", "feedback_loop"), "score"]), s.loc[("ceo", "feedback_loop"), "reading"]
    (4, 'source')
    """
    table = _read("scores").merge(arguments()[["text"]], left_on="argument_id",
                                  right_index=True, how="left", validate="many_to_one")
    table["delta"], table["stage_reason"] = 0, ""
    if phase is None:
        return table
    if phase not in PHASES:
        raise ParameterError(f"Unknown phase {phase!r}.", f"Use one of {', '.join(PHASES)}.")
    adj = stage_adjustments()
    adj = adj[adj["phase"] == phase].set_index(["placement", "criterion"])
    key = pd.MultiIndex.from_frame(table[["placement", "criterion"]])
    delta = adj["delta"].reindex(key).fillna(0).to_numpy()
    table["delta"] = delta.astype(int)
    table["stage_reason"] = adj["reason"].reindex(key).fillna("").to_numpy()
    for column in ("score", "low", "high"):
        table[column] = np.clip(table[column] + delta, *SCORE_RANGE)
    return table


def with_changes(table: pd.DataFrame, changes: Mapping[str, float] | None) -> pd.DataFrame:
    """``table`` (as :func:`scores`) with the reader's own scores, ``"placement/criterion"``
    -> a score from 1 to 5. A changed score is the reader's reading (``reading`` is
    ``reader``), its range widened to hold it.

    >>> t = with_changes(scores(), {"ceo/feedback_loop": 4.5})
    >>> row = t.set_index(["placement", "criterion"]).loc[("ceo", "feedback_loop")]
    >>> float(row["score"]), float(row["low"]), float(row["high"]), row["reading"]
    (4.5, 1.0, 4.5, 'reader')
    """
    table = table.copy()
    if changes:
        columns = [c for c in ("score", "low", "high") if c in table.columns]
        table[columns] = table[columns].astype(float)
    for key, value in dict(changes or {}).items():
        placement, _, criterion = str(key).partition("/")
        where = (table["placement"] == placement) & (table["criterion"] == criterion)
        if not where.any():
            raise ParameterError(
                f"{key!r} is not a placement and criterion of the score table.",
                f"Write 'placement/criterion', with a placement of {', '.join(PLACEMENTS)} "
                f"and a criterion of {', '.join(criteria().index)}.")
        value = check_number(f"The score given for {key!r}", value, low=SCORE_RANGE[0],
                             high=SCORE_RANGE[1], message=_IS,
                             hint="Give a number from 1 (weak) to 5 (strong).")
        table.loc[where, "score"] = value
        table.loc[where, "low"] = table.loc[where, "low"].clip(upper=value)
        table.loc[where, "high"] = table.loc[where, "high"].clip(lower=value)
        table.loc[where, "reading"] = "reader"
        table.loc[where, "reason"] = "The reader's own score, given as a parameter."
    return table


def phase_of(profile: Profile | None = None, stage: str | None = None) -> tuple[str | None, str]:
    """The company's phase for the scores, and how it was found, as a phrase.

    ``stage`` is a phase (``startup``, ``scale-up``) or a funding stage (``seed`` to
    ``public``); without it, the profile's funding stage, else its ARR. A funding
    stage takes source 000's phase (``maturity_funding_stages.csv``); from the ARR,
    source 004's early stage (under $5M) is a startup and later stages a scale-up
    (the book's assumption). ``None`` when nothing tells.

    >>> phase_of(stage="series-b")
    ('scale-up', 'the funding stage series-b, a scale-up for source 000')
    >>> phase_of(Profile(arr=3e6))[0], phase_of(Profile())[0]
    ('startup', None)
    """
    from .maturity import arr_stage_of, funding_stages

    profile = profile or Profile()
    if stage is not None and stage in PHASES:
        return stage, f"the chapter's stage parameter, {stage}"
    if stage is not None and stage not in STAGES:
        raise ParameterError(f"Unknown stage {stage!r}.",
                             f"Use a funding stage ({', '.join(STAGES)}) or a phase "
                             f"({', '.join(PHASES)}), or leave it out to use the profile's.")
    funding = stage or profile.funding_stage
    if funding is not None:
        phase = str(funding_stages().loc[funding, "phase"])
        return phase, f"the funding stage {funding}, a {phase} for source 000"
    if profile.arr is not None:
        arr_stage = arr_stage_of(profile.arr)
        phase = "startup" if arr_stage == "early" else "scale-up"
        return phase, (f"the ARR, source 004's {arr_stage} stage, read as a {phase} "
                       "(the book's assumption, as no funding stage is given)")
    return None, "neither a funding stage nor an ARR"  # completes "the profile gives ..."


def score_matrix(table: pd.DataFrame | None = None, column: str = "score") -> pd.DataFrame:
    """Scores as a placement x criterion matrix (rows in :data:`PLACEMENTS` order).

    ``table`` is a long table with ``placement``, ``criterion`` and ``score``
    columns (default: :func:`scores`); it is checked to give every placement one
    score from 1 to 5 on every criterion, and, where it has ``low`` and ``high``,
    a range from 1 to 5 around each score. ``column`` picks ``score``, ``low`` or
    ``high``.
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
    crits = list(criteria().index)
    matrices = {}
    for name in ("score", "low", "high"):
        if name not in table.columns:
            continue
        matrix = table.pivot(index="placement", columns="criterion", values=name)
        unknown = (sorted(set(matrix.index) - set(PLACEMENTS))
                   + sorted(set(matrix.columns) - set(crits)))
        if unknown:
            raise ParameterError(f"Unknown placement or criterion in the score table: {unknown}.",
                                 f"Placements are {list(PLACEMENTS)}; criteria are {crits}.")
        matrix = matrix.reindex(index=list(PLACEMENTS), columns=crits)
        values = pd.to_numeric(matrix.stack(future_stack=True), errors="coerce")
        bad = values[values.isna() | (values < SCORE_RANGE[0]) | (values > SCORE_RANGE[1])]
        if not bad.empty:
            raise ParameterError(
                f"{name.capitalize()}s missing or outside {SCORE_RANGE[0]}-{SCORE_RANGE[1]} for "
                f"{[f'{p}/{c}' for p, c in bad.index[:5]]}.",
                "Give every placement a score from 1 (weak) to 5 (strong) on every criterion.")
        matrices[name] = values.unstack().reindex(index=list(PLACEMENTS), columns=crits)
    if "low" in matrices and "high" in matrices:
        outside = (matrices["low"] > matrices["score"]) | (matrices["score"] > matrices["high"])
        if outside.any().any():
            where = outside.stack()
            raise ParameterError(
                f"The range low-high does not hold the score for "
                f"{[f'{p}/{c}' for p, c in where[where].index[:5]]}.",
                "Give low <= score <= high on every row.")
    if column not in matrices:
        raise ParameterError(f"The score table has no column {column!r}.",
                             "Give 'low' and 'high' columns for score ranges.")
    return matrices[column].astype(float)


def score_ranges(table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Each score with its range as text, placement x criterion (as the page shows it).

    >>> score_ranges().loc["cro", "incentive_purity"]
    '1 (1-2)'
    """
    table = scores() if table is None else table
    parts = [score_matrix(table, c).map("{:g}".format) for c in ("score", "low", "high")]
    return parts[0] + " (" + parts[1] + "-" + parts[2] + ")"


def default_weights() -> dict[str, float]:
    """Equal weights on every criterion: the book's assumption, not a source's."""
    return {c: float(w) for c, w in criteria()["default_weight"].items()}


WEIGHT_HIGH = 1000  # the book's bound: weights are relative, so larger ones add nothing
WEIGHT_HINT = (f"Weights are relative (2 counts twice as much as 1): give each a number "
               f"from 0 to {WEIGHT_HIGH}.")


def check_weights(weights: Mapping[str, float] | None) -> pd.Series:
    """Weights as a Series over every criterion; a criterion not given gets its default.

    Raises :class:`ParameterError` for an unknown criterion, a negative, non-finite,
    non-numeric or above :data:`WEIGHT_HIGH` weight, or weights that are all zero.

    >>> float(check_weights({"incentive_purity": 3}).loc["incentive_purity"])
    3.0
    """
    full = dict(default_weights())
    for name, value in dict(weights or {}).items():
        if name not in full:
            raise ParameterError(
                f"'{name}' is not a reporting criterion.",
                f"Use one of {', '.join(full)} (see the reporting-options chapter).")
        full[name] = check_number(f"The weight of '{name}'", value, low=0, high=WEIGHT_HIGH,
                                  message=_IS, hint=WEIGHT_HINT)
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


def flip_sentence(flip: Flip | None) -> str:
    """The smallest flip in words, for the page.

    >>> flip_sentence(None)
    'No change to a single weight puts another placement first.'
    """
    if flip is None:
        return "No change to a single weight puts another placement first."
    other = PLACEMENT_LABELS[flip.new_leader]
    if abs(flip.change) < 1e-9:
        return (f"{PLACEMENT_LABELS[flip.leader]} and {other} are level, so a change to any "
                "weight on which their scores differ puts one of them ahead.")
    label = criteria().loc[flip.criterion, "label"].lower()
    direction = "raised" if flip.change > 0 else "lowered"
    return (f"The smallest single change that unseats it: the weight of {label} {direction} "
            f"from {flip.old_weight:g} to {flip.new_weight:.3g}, where {other} draws level; "
            f"beyond it, {other} leads.")


def lead_sentence(ranked: pd.DataFrame) -> str:
    """Which placement ranks first, by how much, or which share first place.

    >>> lead_sentence(ranking({"executive_voice": 1, **dict.fromkeys(
    ...     ["expansion_alignment", "incentive_purity", "handoff_efficiency", "feedback_loop",
    ...      "operational_scalability", "lifecycle_alignment"], 0)}))
    'Head of CS under the CEO and CCO under the CEO share first place, at 5.00.'
    """
    first = ranked[ranked["rank"] == 1]
    value = float(first["value"].iloc[0])
    if len(first) > 1:
        names = list(first["label"])
        return f"{', '.join(names[:-1])} and {names[-1]} share first place, at {value:.2f}."
    second = ranked.iloc[1]
    return (f"{first['label'].iloc[0]} ranks first, at {value:.2f}, ahead of "
            f"{second['label']} by {value - float(second['value']):.2f} points on the "
            "1-to-5 scale.")


_BLOCK = 50_000  # draws of the scores at a time


def _triangular(rng: np.random.Generator, low: np.ndarray, mode: np.ndarray,
                high: np.ndarray, n: int) -> np.ndarray:
    """``n`` draws of each cell from a triangular distribution (inverse CDF, so a cell
    with ``low == high`` is its score exactly)."""
    u = rng.random((n, *mode.shape))
    width = high - low
    cut = np.divide(mode - low, width, out=np.zeros_like(width), where=width > 0)
    left = low + np.sqrt(u * width * (mode - low))
    right = high - np.sqrt((1 - u) * width * (high - mode))
    return np.where(u < cut, left, right)


def monte_carlo(weights: Mapping[str, float] | None = None, n: int = 10_000,
                concentration: float | None = 20.0, seed: int = 0,
                matrix: pd.DataFrame | None = None, low: pd.DataFrame | None = None,
                high: pd.DataFrame | None = None) -> pd.Series:
    """How often each placement ranks first when the weights (and scores) vary.

    Weights are drawn from a Dirichlet distribution centred on the reader's
    weights, with ``concentration`` saying how tightly (the book's assumption;
    20 keeps most draws within about a third of each weight); ``None`` draws
    uniformly over all weightings, as if nothing were known. With ``low`` and
    ``high`` (placement x criterion, like ``matrix``) every score is drawn too,
    from a triangular distribution from its low through its score to its high,
    each score on its own (the book's assumption). A draw where placements tie
    counts for each of them in equal parts. Seeded, so the same call gives the
    same shares; the scores have a generator of their own, so the same seed gives
    the same weights with and without score ranges.

    >>> shares = monte_carlo(n=2_000)
    >>> round(float(shares.sum()), 6)
    1.0
    """
    n = check_number("n", n, above=0, whole=True, message=_IS,
                     hint="Give the number of draws as a whole number above 0.")
    concentration = check_number("concentration", concentration, above=0, none_ok=True,
                                 message=_IS,
                                 hint="Give a number above 0, or None for uniform weights.")
    seed = check_number("seed", seed, low=0, whole=True, message=_IS,
                        hint="Give the seed as a whole number, 0 or more.")
    if (low is None) != (high is None):
        raise ParameterError("Only one end of the score ranges is given.",
                             "Give both low and high, or neither.")
    w = check_weights(weights)
    m = score_matrix() if matrix is None else matrix
    rng = np.random.default_rng(seed)
    if concentration is None:
        alpha = np.ones(len(w))
    else:
        # a zero weight stays near zero rather than exactly zero
        alpha = np.maximum(concentration * w.to_numpy() / w.sum(), 1e-3)
    draws = rng.dirichlet(alpha, size=n)
    mode = m[w.index].to_numpy()
    if low is None:
        values = draws @ mode.T  # n x placements
    else:
        lo = low.reindex(index=m.index, columns=w.index).to_numpy()
        hi = high.reindex(index=m.index, columns=w.index).to_numpy()
        if not (np.all(lo <= mode) and np.all(mode <= hi)):
            raise ParameterError("A score lies outside its low-high range.",
                                 "Give low <= score <= high for every score.")
        # the scores come from a generator of their own, in blocks, so memory stays bounded
        # (a block of draws x placements x criteria) however many draws are asked for
        score_rng = np.random.default_rng([seed, 1])
        values = np.concatenate([
            np.einsum("nc,npc->np", draws[i:i + _BLOCK],
                      _triangular(score_rng, lo, mode, hi, len(draws[i:i + _BLOCK])))
            for i in range(0, n, _BLOCK)])
    top = values.max(axis=1, keepdims=True)
    winners = np.isclose(values, top, rtol=0, atol=1e-12)
    share = (winners / winners.sum(axis=1, keepdims=True)).mean(axis=0)
    return pd.Series(share, index=m.index, name="share_first")


# --- the ranking against the maturity recommendation ----------------------------


def _headline(given: Profile, profile: Profile, funding: str | None):
    """The maturity chapter's recommendation for the company: a company that lists
    segments is placed by its largest segment by ARR, as
    :func:`csmodels.maturity.summarise` places it."""
    from .maturity import recommend, recommend_segments, segments_of

    segments = segments_of(given)
    if len(segments) > 1:
        base = replace(profile, acv=None, touch=None, segments=None)
        result = recommend_segments(base, segments, funding_stage=funding, arr=profile.arr)
        return next(rec for seg, rec in result.segments if seg.name == result.lead)
    return recommend(profile, funding_stage=funding)


def placement_of(reports_to: str, cs_leader: str) -> str | None:
    """The model's placement for a recommendation's reporting line and CS leader.

    A CCO reporting to the CEO is the ``cco`` placement, any other CS leader under
    the CEO the ``ceo`` one; under a CRO, the COO or Product the leader does not
    change the placement. ``None`` for a line the model does not score (a president).

    >>> placement_of("ceo", "head-of-cs"), placement_of("ceo", "cco"), placement_of("cro", "cco")
    ('ceo', 'cco', 'cro')
    """
    if reports_to == "ceo":
        return "cco" if cs_leader == "cco" else "ceo"
    return reports_to if reports_to in PLACEMENTS else None


def _ordinal(n: int) -> str:
    return {1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth"}.get(n, f"#{n}")


def _phase_of_segment(segment: str) -> str | None:
    if segment.startswith("startup"):
        return "startup"
    return "scale-up" if segment.startswith("scaling") else None


@dataclass(frozen=True)
class Reconciliation(Summary):
    """The maturity recommendation for a company set beside the criteria ranking.

    ``sentence`` is the whole comparison; the other text fields are its parts, so a
    page can show them in its own prose (a part that does not apply is ``None``;
    ``notes`` joins those that apply, and is empty when none does).
    """

    placement: str = figure("Placement the maturity rules recommend", "text")
    segment: str = figure("Company type (source 003) behind it", "text")
    rank: int = figure("Its rank in the criteria model", "count")
    value: float = figure("Its weighted mean score", "number")
    gap: float = figure("Points behind the first", "number")
    firsts: str = figure("Placement(s) ranked first", "text")
    why: str = figure("Where the two answers part", "text")
    line: str | None = figure("What the two answers share on the line to the CEO", "text")
    stage: str | None = figure("How the two read the stage", "text")
    source_000: str | None = figure("Source 000's placements for the stage, ranked", "text")
    notes: str = figure("The parts that apply: line, stage, source 000", "text")
    sentence: str = figure("How the two answers compare", "text")


def source_000_placements(funding_stage: str) -> list[str]:
    """The placements source 000 names for a funding stage (``maturity_funding_stages.csv``:
    its reporting lines, with its CS leader where it names one).

    >>> source_000_placements("seed"), source_000_placements("series-b")
    (['ceo', 'cco'], ['coo', 'cco'])
    """
    from .maturity import funding_stages

    row = funding_stages().loc[funding_stage]
    leaders = [v for v in str(row["cs_leader"]).split("|") if v] or ["head-of-cs", "cco"]
    found = {placement_of(line, leader) for line in str(row["reports_to"]).split("|")
             for leader in leaders}
    return [p for p in PLACEMENTS if p in found]


def _names(placements: list[str]) -> str:
    names = [PLACEMENT_LABELS[p] for p in placements]
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def reconcile(recommendation, ranked: pd.DataFrame, weights: pd.Series,
              matrix: pd.DataFrame, phase: str | None,
              funding_stage: str | None = None) -> Reconciliation | None:
    """Set the maturity ``recommendation`` (:func:`csmodels.maturity.recommend`) beside
    ``ranked`` (:func:`ranking` with ``weights`` and ``matrix``), in one paragraph.

    Where they differ, the paragraph names the criteria on which the leader gains
    most on the recommended placement (weight x score difference over the total
    weight), those on which the recommended gains, and whether the two take a
    different view of the company's stage. With ``funding_stage`` it also says
    where the ranking puts the placements source 000 names for that stage (the
    maturity chapter shows source 000 beside source 003). ``None`` when the
    recommendation is a line the model does not score.
    """
    rec = placement_of(recommendation.reports_to, recommendation.cs_leader)
    if rec is None:
        return None
    from .maturity import company_types

    seg_label = str(company_types().loc[recommendation.segment, "company_type"])
    segment = seg_label[0].lower() + seg_label[1:]
    leader = str(ranked.index[0])
    rank, value = int(ranked.loc[rec, "rank"]), float(ranked.loc[rec, "value"])
    gap = float(ranked["value"].iloc[0] - value)
    firsts = [p for p in ranked.index if ranked.loc[p, "rank"] == 1]
    name, lead_name = PLACEMENT_LABELS[rec], _names(firsts).replace(" or ", " and ")
    opening = f"The maturity rules recommend {name} (source 003's row for a {segment});"
    if rank == 1:
        level = "" if firsts == [rec] else f", level with {lead_name}"
        head = f"{opening} this ranking also puts {name} first, at {value:.2f}{level}."
        why = "The two answers agree."
    else:
        head = (f"{opening} this ranking puts it {_ordinal(rank)} of {len(ranked)}, at "
                f"{value:.2f}, {gap:.2f} points behind {lead_name}.")
        why = _why_they_part(rec, leader, weights, matrix)
    same = [p for p in firsts if p != rec and LINES[p] == LINES[rec]]
    line = (f"{name} and {PLACEMENT_LABELS[same[0]]} are both the executive line to the CEO: "
            "there the two answers agree on whom CS reports to and differ on who leads it."
            if same else None)
    seg_phase = _phase_of_segment(recommendation.segment)
    stage = (f"The two also read the stage differently: source 003 makes this company a "
             f"{seg_phase}, source 000's phases, which the scores use, a {phase}."
             if phase is not None and seg_phase is not None and seg_phase != phase else None)
    source_000 = None
    if funding_stage is not None:
        named = source_000_placements(funding_stage)
        ranks = [int(ranked.loc[p, "rank"]) for p in named]
        where = (f"{'both' if len(named) == 2 else 'all'} {_ordinal(ranks[0])}"
                 if len(set(ranks)) == 1 and len(named) > 1 else
                 " and ".join(f"{PLACEMENT_LABELS[p]} {_ordinal(r)}"
                              for p, r in zip(named, ranks, strict=True)))
        source_000 = (f"Source 000, which the maturity chapter sets beside source 003, points "
                      f"a {funding_stage} company to {_names(named)}; this ranking puts "
                      f"{where}.")
    sentence = " ".join(t for t in (head, line, why, stage, source_000) if t)
    notes = " ".join(t for t in (line, stage, source_000) if t)
    return Reconciliation(name, segment, rank, value, gap, lead_name, why, line, stage,
                          source_000, notes, sentence)


def _why_they_part(rec: str, leader: str, weights: pd.Series, matrix: pd.DataFrame) -> str:
    """The criteria on which the leader gains most on ``rec`` and those on which ``rec``
    gains, in weighted points (weight x score difference over the total weight)."""
    labels = criteria()["label"].str.lower()
    diff = (weights * (matrix.loc[leader, weights.index] - matrix.loc[rec, weights.index])
            / weights.sum()).sort_values()
    gains = [f"{labels[c]} (+{d:.2f})" for c, d in diff[::-1].items() if d > 1e-9][:2]
    losses = [f"{labels[c]} (+{-d:.2f})" for c, d in diff.items() if d < -1e-9][:2]
    top, name = PLACEMENT_LABELS[leader], PLACEMENT_LABELS[rec]
    why = (f"{top} gains most on {' and '.join(gains)}" if gains
           else f"{top} gains on no criterion")
    why += f", {name} on {' and '.join(losses)}" if losses else f", {name} on none"
    return ("The rules take the company's type from source 003 and weigh no criteria; the "
            "ranking weighs the arguments behind its scores with this run's weights, and "
            f"{why} (weighted points).")


# --- the chapter's summary ----------------------------------------------------------


@dataclass(frozen=True)
class ReportingSummary(Summary):
    """The reporting chapter's figures for one company (:func:`reporting_summary`).

    The criteria model's figures, the first exercise's and, as the ``pressure``
    section, the quota-pressure model's (:class:`csmodels.pressure.PressureSummary`,
    glued as ``pressure_*``). The fields after the figures are what the chapter draws.
    """

    company_name: str = figure("Company", "text")
    n_arguments: int = figure("Arguments in the sources", "count")
    cro_small_share: float = figure("Companies with a CRO that have 11-200 employees", "share",
                                    help="source 001, LinkedIn data")
    n_scores: int = figure("Scores in the model", "count")
    n_book_readings: int = figure("Scores that are the book's reading, not the source's",
                                  "count")
    n_reader_scores: int = figure("Scores the reader gave", "count")
    stage: str | None = figure("Phase the scores are read at", "text",
                               help="startup or scale-up (source 000); none: stage-free")
    stage_from: str = figure("Where the phase comes from", "text")
    n_stage_moves: int = figure("Scores the phase moves", "count")
    stage_text: str = figure("The phase in words", "text")
    weights_from: str = figure("Where the weights come from", "text")
    leader: str = figure("Placement ranked first", "text")
    leader_value: float = figure("Its weighted mean score", "number")
    second: str = figure("Placement ranked second", "text")
    margin: float = figure("Lead of the first over the second (points)", "number")
    lead_text: str = figure("The leader in words", "text")
    flip_text: str = figure("Smallest weight change that unseats the leader", "text")
    n_draws: int = figure("Random draws in the robustness check", "count")
    concentration: str = figure("Concentration of the random weights", "text")
    mc_leader_share: float = figure("Leader first, weights varied", "ratio")
    mc_uniform_share: float = figure("Leader first, weights drawn uniformly", "ratio")
    mc_uniform_top: str = figure("First most often, weights drawn uniformly", "text")
    mc_both_share: float | None = figure("Leader first, weights and scores varied", "ratio")
    mc_both_top: str | None = figure("First most often, weights and scores varied", "text")
    mc_both_top_share: float | None = figure("How often it is first", "ratio")
    mc_both_text: str | None = figure("Weights and scores varied, in words", "text")
    mc_ceo_line_share: float | None = figure(
        "Executive line to the CEO (head of CS or CCO) first, weights and scores varied",
        "ratio")
    reconciliation_missing: str | None = figure(
        "Why the ranking cannot be set beside the maturity recommendation", "text")
    reconciliation: Reconciliation | None = section(
        "the maturity recommendation beside the ranking; none when it cannot be made")
    ex_purist_leader: str = figure("Exercise 1: placement first with incentive purity at 5",
                                   "text")
    ex_purist_cro_rank: int = figure("Exercise 1: rank of Sales / CRO with incentive purity "
                                     "at 5", "count")
    ex_purist_cro_score: str = figure("Exercise 1: the CRO's score on incentive purity, as "
                                      "this run reads it (stage and reader's changes)", "text")
    pressure: PressureSummary | None = section(
        "quota pressure on CSMs over several years (csmodels.pressure)")
    # what the chapter draws (not figures)
    currency: str = field(default="USD", compare=False)
    weights: pd.Series = field(default=None, compare=False, repr=False)
    table: pd.DataFrame = field(default=None, compare=False, repr=False)
    matrix: pd.DataFrame = field(default=None, compare=False, repr=False)
    ranked: pd.DataFrame = field(default=None, compare=False, repr=False)
    shares: pd.Series = field(default=None, compare=False, repr=False)
    shares_uniform: pd.Series = field(default=None, compare=False, repr=False)
    shares_both: pd.Series | None = field(default=None, compare=False, repr=False)


def _both_sentence(lead: str, both: pd.Series) -> str:
    top = str(both.idxmax())
    if top == lead:
        return (f"With both uncertain, {PLACEMENT_LABELS[lead]} still comes first most often, "
                f"in {both[lead]:.1%} of the draws.")
    return (f"With both uncertain, {PLACEMENT_LABELS[lead]} comes first in {both[lead]:.1%} "
            f"of the draws and {PLACEMENT_LABELS[top]} most often, in {both[top]:.1%}.")


def summarise(profile: Profile | None = None, weights: Mapping[str, float] | None = None,
              stage: str | None = None, n_draws: int = 10_000, concentration: float = 20.0,
              seed: int = 0, vary_scores: bool = True, table: pd.DataFrame | None = None,
              arr_monthly: pd.DataFrame | None = None,
              score_changes: Mapping[str, float] | None = None) -> ReportingSummary:
    """The criteria model's figures for a company given as a profile (no ``pressure``
    section: :func:`reporting_summary` adds it, from the company's data).

    Parameters
    ----------
    profile : Profile, optional
        The company profile: its ``reporting_weights``, its stage (funding stage or
        ARR) and the facts of the maturity recommendation.
    weights : mapping, optional
        Criterion -> weight, over the profile's weights one criterion at a time.
    stage : str, optional
        A funding stage or a phase, over the profile's (:func:`phase_of`).
    n_draws, concentration, seed
        The robustness check (:func:`monte_carlo`).
    vary_scores : bool
        Whether the robustness check also draws the scores from their ranges.
    table : DataFrame, optional
        The reader's own score table (as :func:`scores`), used as it is.
    arr_monthly : DataFrame, optional
        The company's ``arr_monthly``: the ARR and ACV its last month gives
        (:func:`csmodels.maturity.facts_from_data`) stand in where the profile has none,
        as in the maturity chapter, for the stage and the recommendation.
    score_changes : mapping, optional
        The reader's own scores over the book's, ``"placement/criterion"`` -> 1 to 5
        (:func:`with_changes`), after the stage adjustments.

    Examples
    --------
    >>> s = summarise(Profile(funding_stage="seed", acv=90_000), n_draws=500)
    >>> s.stage, s.reconciliation.placement, s.pressure
    ('startup', 'Head of CS under the CEO', None)
    """
    profile = given = profile or Profile()
    if arr_monthly is not None:
        from .maturity import facts_from_data

        found = facts_from_data(arr_monthly).items()
        profile = replace(profile, **{k: v for k, v in found if getattr(profile, k) is None})
    if weights is not None and not dict(weights):
        raise ParameterError("weights is empty ({}): it would set no criterion's weight.",
                             "Give criterion: weight pairs, or None for the profile's weights.")
    chosen = check_weights({**(profile.reporting_weights or {}), **(weights or {})})
    weights_from = ("the chapter's weights parameter over the profile's" if weights else
                    "the profile's reporting_weights" if profile.reporting_weights else
                    "the book's default of equal weights (the profile sets none)")
    phase, phase_from = phase_of(profile, stage)
    long = with_changes(scores(phase) if table is None else table, score_changes)
    matrix = score_matrix(long)
    ranked = ranking(chosen.to_dict(), matrix)
    lead, second = ranked.index[0], ranked.index[1]
    w = chosen.to_dict()
    shares = monte_carlo(w, n=n_draws, concentration=concentration, seed=seed, matrix=matrix)
    uniform = monte_carlo(w, n=n_draws, concentration=None, seed=seed, matrix=matrix)
    both = None
    if vary_scores and {"low", "high"} <= set(long.columns):
        both = monte_carlo(w, n=n_draws, concentration=concentration, seed=seed, matrix=matrix,
                           low=score_matrix(long, "low"), high=score_matrix(long, "high"))
    funding = stage if stage in STAGES else profile.funding_stage
    try:  # the same company: a funding stage given as the stage parameter counts here too
        rec = _headline(given, profile, funding)
    except ParameterError:  # too little in the profile to recommend anything
        rec = None
    reconciled = None if rec is None else reconcile(rec, ranked, chosen, matrix, phase, funding)
    if reconciled is not None:
        missing = None
    elif rec is None:
        missing = ("The maturity rules cannot place this company: they need its funding "
                   "stage or ARR, and its touch model or average contract value, which "
                   "neither the profile nor the data give.")
    else:
        missing = (f"The maturity rules recommend a line this model does not score (CS "
                   f"under {rec.reports_to}), so there is no rank to compare.")
    reading = long["reading"] if "reading" in long.columns else pd.Series(dtype=str)
    moved = long["delta"] if "delta" in long.columns else pd.Series(dtype=float)
    purist = ranking({**(profile.reporting_weights or {}), **EXERCISE_WEIGHTS}, matrix)
    return ReportingSummary(
        company_name=str(company_name(given, None)), currency=given.currency,
        n_arguments=len(arguments()),
        cro_small_share=float(facts().loc["cro_small_company_share", "value"]),
        n_scores=len(long), n_book_readings=int((reading == "book").sum()),
        n_reader_scores=int((reading == "reader").sum()),
        stage=phase, stage_from=phase_from, n_stage_moves=int((moved != 0).sum()),
        stage_text=(f"This run reads the scores as for a {phase}, from {phase_from}; "
                    f"{int((moved != 0).sum())} of them move at that phase." if phase else
                    f"This run reads the stage-free scores: the profile gives {phase_from}."),
        weights_from=weights_from, leader=PLACEMENT_LABELS[lead],
        leader_value=float(ranked.loc[lead, "value"]), second=PLACEMENT_LABELS[second],
        margin=float(ranked["value"].iloc[0] - ranked["value"].iloc[1]),
        lead_text=lead_sentence(ranked),
        flip_text=flip_sentence(smallest_flip(w, matrix)),
        n_draws=n_draws, concentration=f"{concentration:g}",
        mc_leader_share=float(shares[lead]), mc_uniform_share=float(uniform[lead]),
        mc_uniform_top=PLACEMENT_LABELS[uniform.idxmax()],
        mc_both_share=None if both is None else float(both[lead]),
        mc_both_top=None if both is None else PLACEMENT_LABELS[both.idxmax()],
        mc_both_top_share=None if both is None else float(both.max()),
        mc_both_text=None if both is None else _both_sentence(lead, both),
        mc_ceo_line_share=None if both is None else float(
            both[[p for p in both.index if LINES[p] == "ceo"]].sum()),
        reconciliation_missing=missing, reconciliation=reconciled,
        ex_purist_leader=PLACEMENT_LABELS[purist.index[0]],
        ex_purist_cro_rank=int(purist.loc["cro", "rank"]),
        ex_purist_cro_score=f"{float(matrix.loc['cro', 'incentive_purity']):g}",
        weights=chosen, table=long, matrix=matrix, ranked=ranked, shares=shares,
        shares_uniform=uniform, shares_both=both)


def reporting_summary(data_dir: str | Path | None = None,
                      profile_path: str | Path | None = None, *,
                      profile: Profile | None = None, weights: Mapping[str, float] | None = None,
                      stage: str | None = None, n_draws: int = 10_000,
                      concentration: float = 20.0, seed: int = 0, vary_scores: bool = True,
                      table: pd.DataFrame | None = None,
                      score_changes: Mapping[str, float] | None = None,
                      require_data: bool = False, **pressure) -> ReportingSummary:
    """Everything the reporting chapter shows about a company, in one call.

    Loads the profile (``profile``, else ``profile_path``, else ``data_dir/profile.yml``)
    and the data once: the data's last month gives the ARR and ACV the profile leaves
    out (:func:`summarise`, the criteria model), and its trailing NRR and GRR calibrate
    the quota-pressure model, the ``pressure`` section
    (:func:`csmodels.pressure.company_summary`).

    Parameters
    ----------
    data_dir : str or Path, optional
        The company's data folder; ``None``, a folder that does not exist or one with
        nothing but a ``profile.yml`` works from the profile alone
        (:func:`csmodels.inputs.load_company_if_any`). A folder of data the loader
        refuses raises its :class:`~csmodels.exceptions.DataError`.
    profile_path : str or Path, optional
        A ``profile.yml``; default the one in ``data_dir`` if there is one.
    profile : Profile, optional
        A profile already in memory, in place of reading one.
    weights, stage, n_draws, concentration, seed, vary_scores, table, score_changes
        The criteria model's, as :func:`summarise` takes them.
    require_data : bool
        Refuse to work without data too (the command line's ``--data``).
    **pressure
        ``nrr``, ``grr`` (``None``: the data's), ``current_pressure``,
        ``horizon_years``, ``trust_cost``, ``memory``, ``ready_share``: the
        quota-pressure model's, as :func:`csmodels.pressure.company_summary` takes them.

    Examples
    --------
    >>> s = reporting_summary("data/sample", n_draws=500)
    >>> s.company_name, s.stage, s.pressure.calibration[:17]
    ('Northwind Analytics', 'scale-up', 'calibrated so tha')
    """
    from .inputs import load_company_if_any
    from .profile import default_profile_path, load_profile

    if profile is None:
        profile = load_profile(profile_path if data_dir is None
                               else default_profile_path(data_dir, profile_path))
    # no data: the profile alone and default pressure rates; broken data: the loader's error
    company = load_company_if_any(data_dir, required=require_data)
    criteria_model = summarise(profile, weights, stage, n_draws=n_draws,
                               concentration=concentration, seed=seed, vary_scores=vary_scores,
                               table=table, score_changes=score_changes,
                               arr_monthly=None if company is None else company.arr_monthly)
    return replace(criteria_model, company_name=str(company_name(profile, data_dir)),
                   pressure=company_summary(company, **pressure))
