"""Quota pressure on CSMs over several years: expansion now, churn at the next renewal.

Sources 000, 001 and 002 describe one mechanism. CSMs under sales quota push
upsells before customers are ready (000), which turns the trusted advisor into a
seller (000, 001) and damages trust, which "can lead to lower product adoption,
reduced customer satisfaction, and increased churn" (002); source 000 says such
conflicts of interest "can erode customer trust and long-term value". None of
them puts numbers on it: :class:`IncentivePressure` is the book's illustration of
that argument, and every number in it is the book's own: a parameter, or set
from a company's NRR and GRR (:meth:`IncentivePressure.calibrated`).

The model follows one book of yearly contracts year by year, with a pressure p
from 0 (no quota on CSMs) to 1 (CSMs paid mostly on quota):

* **Who is pitched.** Accounts differ in readiness x, spread evenly from 0 to 1.
  With no quota, CSMs pitch an upsell only to the ``ready_share`` of accounts
  that are ready; pressure p widens that to ``ready_share + (1 - ready_share) p``,
  always reaching the readiest accounts not yet pitched.
* **Expansion now.** A pitched account of readiness x buys (an upsell of
  ``upsell`` of its ARR) with probability x (1 - D), D the damage to trust so far.
* **Damage now, churn later.** An account pitched before it was ready (beyond the
  ready share) loses trust in proportion to how unready it was (1 - x). Damage
  builds a stock D: a share ``memory`` of it is still there a year later.
* **The renewal.** At each year's renewals the book loses ``base_loss`` of its
  ARR plus ``trust_cost`` x D, the damage done up to the year before: pressure in
  year t raises churn in year t+1, not in year t.

NRR in a year is 1 + expansion - lost ARR. No rule says that pressure pays up to
a point: a year's NRR judged alone always rises with pressure, since its bill
arrives at the next renewal. A peak over several years comes from two of the
rules: the order of the pitches (``ordering``: readiest first, so each step of
pressure reaches accounts less ready than the last, fewer buy and more are hurt)
and the trust cost (the damage is paid at later renewals and lingers, and a
damaged base buys less). :func:`summarise` reports the peak without each and
without both (``peak_unordered``, ``peak_no_trust_cost``, ``peak_neither``).
:func:`company_summary` (or :func:`pressure_summary`, from a data folder) calibrates
the model to a company and returns the figures the chapter shows, a
:class:`PressureSummary`: the ``pressure`` section of the reporting chapter's summary
(:func:`csmodels.reporting.reporting_summary`).

>>> m = IncentivePressure()
>>> round(m.peak(horizon_years=1), 2), round(m.peak(horizon_years=5), 2)
(1.0, 0.26)
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ._checks import Checked, check_grr, check_nrr, check_number, number
from .exceptions import CsModelsError, ParameterError
from .summary import Summary, figure, section

GRID = np.linspace(0.0, 1.0, 201)  # pressures searched before the peak is refined
HORIZON_LIMIT = 50


_IS = "{name} is {value}."  # the form of this module's messages, a hint after


def _share(default: float, hint: str, **bounds: float) -> float:
    """A model parameter (:func:`~csmodels._checks.number`), a hint after its message."""
    return number(default, message=_IS, hint=hint, **bounds)


@dataclass(frozen=True)
class IncentivePressure(Checked):
    """The book's model of quota pressure on CSMs over several years (see the module).

    Every parameter is the book's own assumption, not a figure from a source.

    Parameters
    ----------
    upsell : float
        Share of an account's ARR an accepted upsell adds (set by :meth:`calibrated`
        from the company's expansion).
    ready_share : float
        Share of accounts pitched with no quota: the ones ready to buy.
    base_loss : float
        Share of ARR lost at each year's renewals with trust intact (set by
        :meth:`calibrated` from the company's GRR).
    trust_cost : float
        Extra share of ARR lost at a renewal per unit of trust damage.
    memory : float
        Share of the damage to trust still there a year later (0 to below 1).
    ordering : float
        How far CSMs pitch the readiest accounts first, 0 to 1: at 1 (the book's
        default) the u-th share of accounts pitched has readiness 1 - u, at 0 every
        pitch is as ready as the average account (1/2), in between a blend. It is
        what bends the curves: at 1 each step of pressure wins fewer upsells and does
        more damage than the last; at 0 gain and damage grow in proportion to the
        pressure.

    >>> m = IncentivePressure()
    >>> m.path([1.0, 0.0])["loss"].round(4).tolist()  # the damage of year 1 is paid in year 2
    [0.02, 0.111]
    """

    upsell: float = _share(
        0.40, low=0, hint="Give the size of an upsell as a share of ARR, 0 or more (0.4 is 40%).")
    ready_share: float = _share(
        0.30, above=0, high=1,
        hint="Give the share of accounts ready for an upsell, above 0 and at most 1.")
    base_loss: float = _share(
        0.02, low=0, high=1,
        hint="Give the share of ARR lost at renewal with trust intact, from 0 to 1.")
    trust_cost: float = _share(
        0.20, low=0, hint="Give the extra share of ARR lost per unit of trust damage, 0 or more.")
    memory: float = _share(
        0.50, low=0, below=1,
        hint="Give the share of trust damage left a year later, from 0 to below 1.")
    ordering: float = _share(
        1.0, low=0, high=1,
        hint="Give how far the readiest accounts are pitched first, from 0 (no better than "
        "average) to 1 (readiest first).")

    # --- one year ----------------------------------------------------------------

    def pitched(self, p):
        """Share of accounts pitched an upsell at pressure ``p`` (0 to 1, or an array)."""
        return self.ready_share + (1 - self.ready_share) * _pressures(p)

    def gain(self, s):
        """The readiness of the accounts pitched when a share ``s`` is pitched, summed
        (the integral of x over them: s - s^2/2 readiest first, s/2 at random)."""
        k = self.ordering
        return k * (s - s ** 2 / 2) + (1 - k) * s / 2

    def new_damage(self, p):
        """Trust damage done in one year at pressure ``p``: premature pitches, each
        weighted by how unready the account was (the integral of 1 - x over them)."""
        s, r, k = self.pitched(p), self.ready_share, self.ordering
        return k * (s ** 2 - r ** 2) / 2 + (1 - k) * (s - r) / 2

    def expansion(self, p, damage=0.0):
        """Expansion in a year at pressure ``p``, as a share of the year's opening ARR."""
        return self.upsell * (1 - np.asarray(damage, float)) * self.gain(self.pitched(p))

    def loss(self, damage=0.0):
        """ARR lost at a year's renewals, given the damage done before that year."""
        return np.minimum(self.base_loss + self.trust_cost * np.asarray(damage, float), 1.0)

    def carried(self, damage, p):
        """The damage at the next year's start: what lingers plus what ``p`` does now."""
        return 1 - (1 - self.memory * np.asarray(damage, float)) * (1 - self.new_damage(p))

    def steady_damage(self, p) -> float:
        """The damage a company holding pressure ``p`` year after year settles at."""
        n = float(self.new_damage(p))
        return n / (1 - self.memory * (1 - n))

    # --- several years -----------------------------------------------------------

    def path(self, pressures, start_damage: float = 0.0) -> pd.DataFrame:
        """Year by year under the given pressures: expansion, loss, NRR, GRR, ARR index.

        ``arr`` is the opening ARR of today's customers after each year (1 today).
        """
        rows, damage, arr = [], float(start_damage), 1.0
        for year, p in enumerate(pressures, start=1):
            e, lost = float(self.expansion(p, damage)), float(self.loss(damage))
            arr *= max(1 + e - lost, 0.0)
            rows.append({"year": year, "pressure": float(p), "damage": damage,
                         "expansion": e, "loss": lost, "nrr": 1 + e - lost, "grr": 1 - lost,
                         "arr": arr})
            damage = float(self.carried(damage, p))
        return pd.DataFrame(rows)

    def arr_after(self, p, horizon_years: int, start_damage: float = 0.0):
        """ARR of today's customers after ``horizon_years`` at pressure ``p`` held from
        now (1 today); ``p`` may be an array of pressures, each held alone."""
        p = np.asarray(p, float)
        damage = np.full(p.shape, float(start_damage))
        arr = np.ones(p.shape)
        for _ in range(horizon_years):
            arr = arr * np.maximum(1 + self.expansion(p, damage) - self.loss(damage), 0.0)
            damage = self.carried(damage, p)
        return float(arr) if arr.ndim == 0 else arr

    def yearly_nrr(self, p, horizon_years: int, start_damage: float = 0.0):
        """NRR per year, compounded over the horizon, at pressure ``p`` held from now."""
        return self.arr_after(p, horizon_years, start_damage) ** (1 / horizon_years)

    def curve(self, horizon_years: int = 5, start_damage: float = 0.0,
              points: int = 101) -> pd.DataFrame:
        """Over pressures from 0 to 1, each held from now: NRR in the first year
        (``first_year``) and per year over the horizon (``yearly``)."""
        p = np.linspace(0.0, 1.0, points)
        return pd.DataFrame({"pressure": p,
                             "first_year": self.yearly_nrr(p, 1, start_damage),
                             "yearly": self.yearly_nrr(p, horizon_years, start_damage)})

    def peak(self, horizon_years: int = 5, start_damage: float = 0.0) -> float:
        """The pressure, held from now, that leaves today's customers the most ARR
        after ``horizon_years`` (searched on a grid, then refined)."""
        horizon_years = _horizon(horizon_years)
        values = self.arr_after(GRID, horizon_years, start_damage)
        i = int(np.argmax(values))
        if values.max() - values.min() < 1e-15:
            return 0.0  # pressure changes nothing: none is needed
        low, high = GRID[max(i - 1, 0)], GRID[min(i + 1, len(GRID) - 1)]
        from scipy.optimize import minimize_scalar  # scipy only when a peak is sought

        best = minimize_scalar(lambda q: -self.arr_after(q, horizon_years, start_damage),
                               bounds=(low, high), method="bounded",
                               options={"xatol": 1e-7})
        # keep whichever is higher: the refined point or the grid's (at an edge)
        if -best.fun >= values[i]:
            return float(best.x)
        return float(GRID[i])

    # --- calibration -------------------------------------------------------------

    @classmethod
    def calibrated(cls, nrr: float, grr: float, current_pressure: float = 0.5,
                   **shape: float) -> IncentivePressure:
        """The model that gives a company's NRR and GRR at its current pressure, held
        long enough for its damage to settle (:meth:`steady_damage`).

        ``upsell`` is set by the expansion (NRR - GRR) and ``base_loss`` by the loss
        (1 - GRR); the other parameters (``shape``) stay as given.

        >>> m = IncentivePressure.calibrated(1.05, 0.9, current_pressure=0.5)
        >>> d = m.steady_damage(0.5)
        >>> round(1 + float(m.expansion(0.5, d) - m.loss(d)), 6), round(1 - float(m.loss(d)), 6)
        (1.05, 0.9)
        """
        nrr, grr, current_pressure = _calibration(nrr, grr, current_pressure)
        if not (0 < grr <= 1 and nrr >= grr):
            raise ParameterError(f"NRR {nrr!r} and GRR {grr!r} cannot calibrate the model.",
                                 "Give GRR in (0, 1] and NRR at least GRR.")
        shape_model = cls(**shape)
        damage = shape_model.steady_damage(current_pressure)
        base_loss = (1 - grr) - shape_model.trust_cost * damage
        if base_loss < -1e-12:
            raise ParameterError(
                f"With a trust cost of {shape_model.trust_cost:g}, GRR {grr:.3f} at pressure "
                f"{current_pressure:g} implies a negative base rate of churn.",
                "Lower the trust cost or the current pressure.")
        s = float(shape_model.pitched(current_pressure))
        upsell = (nrr - grr) / ((1 - damage) * shape_model.gain(s))
        return replace(shape_model, upsell=upsell, base_loss=max(base_loss, 0.0))

    @classmethod
    def calibrated_within(cls, nrr: float, grr: float, current_pressure: float = 0.5,
                          **shape: float) -> tuple[IncentivePressure, str | None]:
        """:meth:`calibrated`, lowering a trust cost the company's GRR cannot carry.

        At today's pressure the damage costs ``trust_cost`` x D of ARR a year; a
        company that loses less than that in all (1 - GRR) would need a negative
        base rate, so the trust cost is lowered to the most its GRR allows (the base
        rate is then 0). Returns the model and a sentence saying what was lowered
        (None if nothing).

        >>> m, note = IncentivePressure.calibrated_within(1.117, 0.964, current_pressure=0.5)
        >>> round(m.trust_cost, 3), m.base_loss
        (0.126, 0.0)
        >>> note[:48]
        'The trust cost is lowered from 20.0% to 12.6% of'
        """
        nrr, grr, current_pressure = _calibration(nrr, grr, current_pressure)
        shape_model = cls(**shape)
        damage = shape_model.steady_damage(current_pressure)
        most = (1 - grr) / damage if damage > 0 and 0 < grr <= 1 else math.inf
        if shape_model.trust_cost <= most:
            return cls.calibrated(nrr, grr, current_pressure, **shape), None
        model = cls.calibrated(nrr, grr, current_pressure, **{**shape, "trust_cost": most})
        return model, (f"The trust cost is lowered from {shape_model.trust_cost:.1%} to "
                       f"{most:.1%} of ARR per unit of damage, the most this company's GRR of "
                       f"{grr:.1%} allows at pressure {current_pressure:g} (a larger cost "
                       "would need a negative base rate of churn).")

    @classmethod
    def for_company(cls, nrr: float | None, grr: float | None, current_pressure: float = 0.5,
                    given: tuple[str, ...] = (), **shape: float) -> tuple[IncentivePressure, str]:
        """The model a chapter shows, and how it was set, as a phrase for the page.

        Calibrated on the company's NRR and GRR when there are both
        (:meth:`calibrated_within`), else on the model's default rates. ``given``
        names the figures (``"nrr"``, ``"grr"``) that came from the chapter's
        parameters rather than from the data, so the phrase can say so.

        >>> IncentivePressure.for_company(None, None)[1][:55]
        'on its default rates, as the data give no NRR and GRR ('
        >>> IncentivePressure.for_company(1.05, 0.9, given=("grr",))[1][55:]
        "the company's own NRR (105.0%) and the GRR set by the chapter's grr parameter (90.0%)"
        """
        check_number("current_pressure", current_pressure, low=0, high=1, message=_IS,
                     hint="Give the pressure on CSMs today, from 0 (no quota) to 1 (mostly "
                     "quota).")
        if nrr is None or grr is None:
            return cls(**shape), ("on its default rates, as the data give no NRR and GRR (the "
                                  "chapter's nrr and grr parameters can)")
        try:
            model, lowered = cls.calibrated_within(nrr, grr, current_pressure, **shape)
        except ParameterError:  # e.g. GRR 0: every account churned, nothing to calibrate on
            return cls(**shape), (f"on its default rates, as this company's NRR of {nrr:.1%} "
                                  f"and GRR of {grr:.1%} cannot set them")
        how = f"calibrated so that, held at today's pressure, it gives {_whose(nrr, grr, given)}"
        if nrr == grr:
            how += ("; with NRR equal to GRR there is no expansion, so pressure has nothing "
                    "to sell in the model and none is best")
        return model, how + (f"; {lowered[0].lower()}{lowered[1:-1]}" if lowered else "")


def _whose(nrr: float, grr: float, given: tuple[str, ...]) -> str:
    """The company's NRR and GRR, each said to come from the data or a parameter."""
    if not given:
        return f"the company's own NRR ({nrr:.1%}) and GRR ({grr:.1%})"
    if set(given) >= {"nrr", "grr"}:
        return f"the NRR ({nrr:.1%}) and GRR ({grr:.1%}) set by the chapter's parameters"
    parts = [f"the {name.upper()} set by the chapter's {name} parameter ({value:.1%})"
             if name in given else f"the company's own {name.upper()} ({value:.1%})"
             for name, value in (("nrr", nrr), ("grr", grr))]
    return " and ".join(parts)


def _pressures(p) -> np.ndarray:
    """``p`` as floats, refused unless every value is a pressure from 0 to 1."""
    try:
        values = np.asarray(p, float)
    except (TypeError, ValueError):  # text, or a list of lists of different lengths
        values = np.array(np.nan)
    if isinstance(p, bool) or not np.all(np.isfinite(values) & (values >= 0) & (values <= 1)):
        raise ParameterError(f"A pressure of {p!r} is outside 0 to 1.",
                             "Give pressures from 0 (no quota on CSMs) to 1 (mostly quota).")
    return values


def _calibration(nrr: float, grr: float, current_pressure: float) -> tuple[float, ...]:
    """The figures a model is calibrated on, checked: retention 0 or more, the pressure
    from 0 to 1."""
    nrr, grr = check_nrr(nrr), check_grr(grr)
    return nrr, grr, check_number("current_pressure", current_pressure, low=0, high=1,
                                  message=_IS,
                                  hint="Give the pressure on CSMs today from 0 to 1.")


def _horizon(horizon_years) -> int:
    return check_number("horizon_years", horizon_years, low=1, high=HORIZON_LIMIT, whole=True,
                        message=_IS,
                        hint=f"Give a whole number of years from 1 to {HORIZON_LIMIT}.")


# --- the chapter's figures ---------------------------------------------------------


@dataclass(frozen=True)
class PressureSummary(Summary):
    """The quota-pressure section's figures for one company and one set of parameters.

    Figures called ``*_yearly`` are NRR per year compounded over the horizon, with
    pressure held from now; ``ex_*`` sections are the same summary with the change
    an exercise asks for (computed as a rerun with that parameter computes it).
    """

    calibration: str = figure("How the model was set", "text")
    current_pressure: float = figure("Quota pressure today (0 to 1)", "number")
    horizon_years: int = figure("Years the peak is judged over", "count")
    ready_share: float = figure("Accounts pitched with no quota", "share")
    memory: float = figure("Trust damage left a year later", "share")
    trust_cost: float = figure("ARR lost per unit of trust damage", "ratio")
    upsell: float = figure("Size of an accepted upsell (share of ARR)", "ratio")
    base_loss: float = figure("ARR lost at renewal with trust intact", "ratio")
    nrr_today: float = figure("NRR at today's pressure", "ratio")
    grr_today: float = figure("GRR at today's pressure", "ratio")
    one_year_peak: float = figure("Pressure that maximises next year's NRR alone", "number")
    peak_pressure: float = figure("Pressure that maximises ARR over the horizon", "number")
    nrr_peak_yearly: float = figure("NRR per year over the horizon at the peak", "ratio")
    nrr_none_yearly: float = figure("NRR per year over the horizon with no pressure", "ratio")
    nrr_full_yearly: float = figure("NRR per year over the horizon at full pressure", "ratio")
    nrr_full_first: float = figure("NRR in the first year at full pressure", "ratio")
    nrr_full_last: float = figure("NRR in the last year of the horizon at full pressure",
                                  "ratio")
    grr_full_last: float = figure("GRR in the last year of the horizon at full pressure",
                                  "ratio")
    moves: str = figure("What moves the peak in this run", "text")
    ordering: float = figure("How far the readiest accounts are pitched first (0 to 1)",
                             "number")
    peak_unordered: float | None = figure(
        "Peak pressure with pitches no better than average (ordering 0), recalibrated",
        "number")
    peak_no_trust_cost: float | None = figure(
        "Peak pressure with no trust cost (trust_cost 0), recalibrated", "number")
    peak_neither: float | None = figure(
        "Peak pressure with neither the ordering nor a trust cost, recalibrated", "number")
    peak_sources: str | None = figure(
        "Where the peak comes from: the peak without the ordering, the trust cost or both, "
        "in words", "text")
    ex_memory: PressureSummary | None = section("Exercise: trust damage that lasts longer")
    ex_one_year: PressureSummary | None = section("Exercise: the peak judged on one year")
    model: IncentivePressure | None = field(default=None, compare=False, repr=False)
    start_damage: float = field(default=0.0, compare=False, repr=False)
    sensitivity: pd.DataFrame | None = field(default=None, compare=False, repr=False)

    def sensitivity_table(self) -> pd.DataFrame:
        """The sensitivity table with words for its parameters and columns, for a page."""
        table = self.sensitivity.drop(columns="peak_change")
        table["parameter"] = table["parameter"].map(LABELS).str.capitalize()
        return table.rename(columns={"parameter": "Parameter", "value": "This run",
                                     "moved_to": "Moved to", "in_model": "In the model",
                                     "peak": "Peak pressure",
                                     "nrr_peak_yearly": "NRR a year at the peak"})


# the changes the chapter's exercises ask for (parameter -> new value)
EXERCISES = {"ex_memory": {"memory": 0.8}, "ex_one_year": {"horizon_years": 1}}
# the sensitivity table: each parameter moved down and up from the reader's value
SENSITIVITY = {"trust_cost": (0.5, 2.0), "memory": (0.5, 1.5), "horizon_years": (0.4, 2.0),
               "ready_share": (0.5, 1.5)}


def summarise(nrr: float | None, grr: float | None, *, current_pressure: float = 0.5,
              horizon_years: int = 5, trust_cost: float = 0.20, memory: float = 0.50,
              ready_share: float = 0.30, given: tuple[str, ...] = (),
              exercises: bool = True, sensitivity: bool = True,
              ordering: float = 1.0) -> PressureSummary:
    """The figures of the quota-pressure section for a company's NRR and GRR.

    The model is calibrated with :meth:`IncentivePressure.for_company`; the
    company starts in the steady state of today's pressure. With ``exercises`` the
    ``ex_*`` sections hold this same summary with each exercise's change
    (:data:`EXERCISES`), recalibrated as a rerun with that change would be, and
    ``peak_unordered``, ``peak_no_trust_cost`` and ``peak_neither`` the peak of the
    model recalibrated without the readiest-first ordering (``ordering`` 0: gain and
    damage in proportion to pressure), without a trust cost, and without both, with
    ``peak_sources`` saying what they show.

    >>> s = summarise(1.05, 0.9, current_pressure=0.5)
    >>> str(s.text("nrr_today")), s.peak_pressure < s.one_year_peak
    ('105.0%', True)
    """
    horizon = _horizon(horizon_years)
    shape = {"trust_cost": trust_cost, "memory": memory, "ready_share": ready_share,
             "ordering": ordering}
    model, how = IncentivePressure.for_company(nrr, grr, current_pressure, given, **shape)
    start = model.steady_damage(current_pressure)
    full = model.path([1.0] * horizon, start)
    peak = model.peak(horizon, start)
    settings = {"current_pressure": current_pressure, "horizon_years": horizon,
                "given": given, **shape}
    table = _sensitivity(nrr, grr, settings, peak) if sensitivity else None
    extra = {}
    if exercises:
        extra = {name: summarise(nrr, grr, **{**settings, **change}, exercises=False,
                                 sensitivity=False)
                 for name, change in EXERCISES.items()}
        for name, change in (("peak_unordered", {"ordering": 0.0}),
                             ("peak_no_trust_cost", {"trust_cost": 0.0}),
                             ("peak_neither", {"ordering": 0.0, "trust_cost": 0.0})):
            extra[name] = summarise(nrr, grr, **{**settings, **change}, exercises=False,
                                    sensitivity=False).peak_pressure
        extra["peak_sources"] = _peak_sources(
            extra["peak_unordered"], extra["peak_no_trust_cost"], extra["peak_neither"],
            horizon)
    return PressureSummary(
        calibration=how, current_pressure=float(current_pressure), horizon_years=horizon,
        ready_share=model.ready_share, memory=model.memory, trust_cost=model.trust_cost,
        upsell=model.upsell, base_loss=model.base_loss,
        nrr_today=1 + float(model.expansion(current_pressure, start) - model.loss(start)),
        grr_today=1 - float(model.loss(start)),
        one_year_peak=model.peak(1, start), peak_pressure=peak,
        nrr_peak_yearly=model.yearly_nrr(peak, horizon, start),
        nrr_none_yearly=model.yearly_nrr(0.0, horizon, start),
        nrr_full_yearly=model.yearly_nrr(1.0, horizon, start),
        nrr_full_first=float(full["nrr"].iloc[0]), nrr_full_last=float(full["nrr"].iloc[-1]),
        grr_full_last=float(full["grr"].iloc[-1]),
        model=model, start_damage=start, sensitivity=table, moves=_moves(table, peak),
        ordering=model.ordering, **extra)


def _peak_sources(unordered: float, no_cost: float, neither: float, horizon: int) -> str:
    """Where the peak sits without the ordering, the trust cost or both, in one sentence.

    >>> _peak_sources(0.57, 0.47, 1.0, 5)
    'Recalibrated to the same NRR and GRR, the best pressure over 5 years is 0.57 with \
pitches no better than average (ordering 0), 0.47 with no trust cost, and full pressure \
(a corner) with neither.'
    """
    def said(p: float) -> str:
        return ("full pressure (a corner)" if p >= 1 - 1e-6 else
                "no pressure (a corner)" if p <= 1e-6 else f"{p:.2f}")

    return (f"Recalibrated to the same NRR and GRR, the best pressure over {horizon} years is "
            f"{said(unordered)} with pitches no better than average (ordering 0), "
            f"{said(no_cost)} with no trust cost, and {said(neither)} with neither.")


def _sensitivity(nrr, grr, settings: dict, peak: float) -> pd.DataFrame:
    """The peak with each parameter moved down and up, recalibrated each time."""
    rows = []
    for name, factors in SENSITIVITY.items():
        for factor in factors:
            value = settings[name] * factor
            if name == "horizon_years":
                value = min(max(1, round(value)), HORIZON_LIMIT)
            elif name in ("memory", "ready_share"):
                value = min(value, 0.95 if name == "memory" else 1.0)
            moved = summarise(nrr, grr, **{**settings, name: value}, exercises=False,
                              sensitivity=False)
            rows.append({"parameter": name, "value": settings[name], "moved_to": value,
                         "in_model": getattr(moved, name), "peak": moved.peak_pressure,
                         "peak_change": moved.peak_pressure - peak,
                         "nrr_peak_yearly": moved.nrr_peak_yearly})
    return pd.DataFrame(rows)


LABELS = {"trust_cost": "the trust cost", "memory": "the memory of damage",
          "horizon_years": "the horizon", "ready_share": "the share of ready accounts"}


def _moves(table: pd.DataFrame | None, peak: float) -> str | None:
    """One sentence: where the peak goes when each parameter is raised (from the table)."""
    if table is None:
        return None
    parts = []
    for name, rows in table.groupby("parameter", sort=False):
        up = rows.iloc[-1]
        if up["moved_to"] == up["value"]:
            continue  # at its bound (a share of 100%, a cost of 0): it cannot be raised
        shown = {"horizon_years": "{:g} years", "trust_cost": "{:.1%}"}.get(name, "{:.0%}").format
        text = f"raising {LABELS[name]} from {shown(up['value'])} to {shown(up['moved_to'])}"
        if abs(up["in_model"] - up["moved_to"]) > 1e-9:
            text += f" (which the calibration lowers to {shown(up['in_model'])})"
        if f"{up['peak']:.2f}" == f"{peak:.2f}":
            parts.append(f"{text} leaves the peak at {peak:.2f}")
        else:
            parts.append(f"{text} moves the peak from {peak:.2f} to {up['peak']:.2f}")
    if not parts:
        return "At this run's values no parameter of the table can be raised."
    text = "; ".join(parts)
    return text[0].upper() + text[1:] + "."


def company_retention(company) -> tuple[float | None, float | None]:
    """The company's trailing NRR and GRR, or ``(None, None)`` where the data cannot give
    them (the model then runs on its default rates and says so).

    ``company`` is a loaded :class:`~csmodels.inputs.Company`, a data folder to load
    (:func:`csmodels.inputs.load_company_if_any`: a folder of data the loader refuses
    raises its error), or ``None`` (no data).
    """
    from .kpis import metrics_summary

    if isinstance(company, (str, Path)):  # broken data raise the loader's error
        from .inputs import load_company_if_any

        company = load_company_if_any(company)
    if company is None:
        return None, None
    try:
        figures = metrics_summary(company)
    except CsModelsError:
        return None, None
    return figures.nrr, figures.grr


def company_summary(company, nrr: float | None = None, grr: float | None = None,
                    **parameters) -> PressureSummary:
    """:func:`summarise` on a company already loaded (or ``None``: no usable data).

    ``nrr`` and ``grr``, where given, replace the company's trailing figures (for a
    company whose data hold less than a year, or to try another company's); the
    other ``parameters`` are :func:`summarise`'s. The reporting chapter's
    :func:`csmodels.reporting.reporting_summary` calls it with the company it loaded.
    """
    check_nrr(nrr, none_ok=True), check_grr(grr, none_ok=True)
    given = tuple(name for name, value in (("nrr", nrr), ("grr", grr)) if value is not None)
    data_nrr, data_grr = company_retention(company) if len(given) < 2 else (None, None)
    return summarise(data_nrr if nrr is None else nrr, data_grr if grr is None else grr,
                     given=given, **parameters)


def pressure_summary(data_dir: str | Path, nrr: float | None = None, grr: float | None = None,
                     **parameters) -> PressureSummary:
    """:func:`company_summary` on the company in ``data_dir`` (the reporting chapter's
    ``pressure`` section, on its own).

    A folder without data (missing, or nothing but a ``profile.yml``) leaves the model
    on its default rates, and it says so; a folder of data the loader refuses raises
    its :class:`~csmodels.exceptions.DataError`.
    """
    return company_summary(data_dir, nrr, grr, **parameters)


__all__ = ["EXERCISES", "IncentivePressure", "PressureSummary", "company_retention",
           "company_summary", "pressure_summary", "summarise"]

