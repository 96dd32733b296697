"""The metrics of ``csmodels metrics``, written once as Ibis expressions.

Each function takes unbound Ibis tables (:func:`input_tables`) and returns an
expression; :mod:`csmodels.engine.run` compiles it to the SQL of the engine at
hand (DuckDB embedded, or a Spark session) and runs it there, so the data stay
where they are and only one row of figures comes back. The definitions are the
metrics chapter's (:mod:`csmodels.metrics`): an account-month without a row is
ARR 0, months are counted as ``year * 12 + month - 1`` (the ``month`` columns of the
monthly tables arrive as that index: one integer per row is cheaper to compare
than a date), ratios are fractions.

The inputs are typed as :func:`input_tables` says: the source layer
(:mod:`csmodels.engine.sources`) validates and casts every table to that shape.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from .inputs import INPUT_SCHEMAS, MOVEMENTS


def input_tables(present: set[str] | None = None) -> dict[str, ir.Table]:
    """Unbound tables named as the input tables, for the tables ``present`` (default all)."""
    return {name: ibis.table(schema, name=name) for name, schema in INPUT_SCHEMAS.items()
            if present is None or name in present}


def month_index(value: ir.DateValue) -> ir.IntegerValue:
    """A date's month as one integer: ``year * 12 + month - 1``."""
    return value.year().cast("int64") * 12 + value.month().cast("int64") - 1


def _in_window(value: ir.DateValue, as_of: int, months: int) -> ir.BooleanValue:
    """Whether a date falls in the ``months`` months ending with month ``as_of``."""
    m = month_index(value)
    return (m > as_of - months) & (m <= as_of)


# ----------------------------------------------------------------------- the ARR panel
def month_range(arr: ir.Table) -> ir.Table:
    """The first and last month of the data (one row: ``first``, ``last``)."""
    return arr.aggregate(first=arr.month.min(), last=arr.month.max())


def account_panel(arr: ir.Table, as_of: int, lookback: int, **extra) -> ir.Table:
    """One row per account: its ARR in each of the ``lookback + 1`` months ending at
    ``as_of`` (``v0`` in ``as_of``, ``v1`` a month before, ...; 0 without a row) and
    ``first_paid``, the first month it had ARR above 0 (null if never); ``extra``,
    more aggregates per account computed in the same pass (the engine's checks of
    ``arr_monthly``).

    Every ARR figure of one month reads this panel, so the data are scanned once
    (an account-month has one row: the checks refuse duplicates).
    """
    m = arr.month
    months = {f"v{k}": arr.arr.sum(where=m == as_of - k).fill_null(0.0)
              for k in range(lookback + 1)}
    return arr.group_by("account_id").aggregate(
        first_paid=m.min(where=arr.arr > 0), **months, **extra)


def panel_table(lookback: int, name: str) -> ir.Table:
    """An :func:`account_panel` already computed and stored as the table ``name``."""
    return ibis.table({"account_id": "string", "first_paid": "int64",
                       **{f"v{k}": "float64" for k in range(lookback + 1)}}, name=name)


def _retention_sums(p: ir.Table, lookback: int) -> dict:
    """C = accounts with ARR above 0 ``lookback`` months before: their ARR then and
    now, now capped at then (GRR), and how many of them are at 0 now."""
    base, now = p[f"v{lookback}"], p.v0
    in_base = base > 0
    return dict(base_arr=base.sum(where=in_base), now_arr=now.sum(where=in_base),
                kept_arr=ibis.least(now, base).sum(where=in_base),
                base_accounts=in_base.sum(), lost=(in_base & (now == 0)).sum())


def _retention_ratios(agg: ir.Table) -> dict:
    nrr = agg.now_arr / agg.base_arr
    grr = agg.kept_arr / agg.base_arr
    return dict(nrr=nrr, grr=grr,
                logo_churn=agg.lost.cast("float64") / agg.base_accounts.cast("float64"),
                gross_revenue_churn=1 - grr, net_revenue_churn=1 - nrr,
                base_accounts=agg.base_accounts.fill_null(0).cast("int64"),
                base_arr=agg.base_arr.fill_null(0.0))


def _arr_at_sums(p: ir.Table) -> dict:
    return dict(arr=p.v0.sum().fill_null(0.0),
                paying_accounts=(p.v0 > 0).sum().fill_null(0).cast("int64"))


def _movement_sums(p: ir.Table, as_of: int, lookback: int, first: int) -> dict:
    """Each account's change from one month to the next, summed by kind over the
    ``lookback`` months ending at ``as_of`` (the data's first month has no previous
    month): from 0 to above 0 is *new* the month the account first pays and
    *reactivation* after that; from above 0 to 0 is *churn*; otherwise up is
    *expansion*, down is *contraction* (the last two kinds as positive amounts lost).
    """
    zero = ibis.literal(0.0)
    terms: dict[str, list] = {name: [p.v0 * 0.0] for name in MOVEMENTS}
    for k in range(lookback):
        month = as_of - k
        if month < first + 1:
            continue
        cur, prev = p[f"v{k}"], p[f"v{k + 1}"]
        rises = (prev == 0) & (cur > 0)
        # ARR is never negative (the checks refuse it), so a rise from above 0 is an
        # expansion and a fall to a level above 0 a contraction
        kinds = {"new": (rises & (p.first_paid == month), cur),
                 "reactivation": (rises & (p.first_paid < month), cur),
                 "churn": ((prev > 0) & (cur == 0), prev),
                 "expansion": ((prev > 0) & (cur > prev), cur - prev),
                 "contraction": ((cur > 0) & (cur < prev), prev - cur)}
        for name, (when, amount) in kinds.items():
            terms[name].append(ibis.ifelse(when, amount, zero))
    out = {}
    for name in MOVEMENTS:
        total, *rest = terms[name]
        for term in rest:
            total = total + term
        out[name] = total.sum().fill_null(0.0)
    return out


def arr_figures(arr: ir.Table, as_of: int, lookback: int, first: int,
                held: ir.Table | None = None, min_arr: float = 0.0,
                panel: ir.Table | None = None) -> ir.Table:
    """Retention (:func:`retention`), ARR and paying accounts (:func:`arr_at`), the
    movements (:func:`movements`) and, given the accounts that ``held`` a QBR
    (column ``held_id``), the QBR coverage (:func:`qbr_coverage`), all from one
    :func:`account_panel` (one row): ``panel`` if it was computed already for
    ``as_of`` and ``lookback``, else from ``arr``."""
    p = account_panel(arr, as_of, lookback) if panel is None else panel
    extra = {}
    if held is not None:
        p = p.left_join(held, p.account_id == held.held_id)
        eligible = (p.v0 > 0) & (p.v0 >= min_arr)
        extra = dict(qbr_eligible=eligible.sum(),
                     qbr_covered=(eligible & p.held_id.notnull()).sum())
    sums = {**_retention_sums(p, lookback), **_arr_at_sums(p),
            **_movement_sums(p, as_of, lookback, first), **extra}
    agg = p.aggregate(**sums)
    figures = {**_retention_ratios(agg), "arr": agg.arr,
               "paying_accounts": agg.paying_accounts, **{n: agg[n] for n in MOVEMENTS}}
    if held is not None:
        figures["qbr_coverage"] = (agg.qbr_covered.cast("float64")
                                   / agg.qbr_eligible.cast("float64").nullif(0.0))
    return agg.select(**figures)


def arr_at(arr: ir.Table, as_of: int) -> ir.Table:
    """Total ARR and paying accounts in month ``as_of`` (one row)."""
    return arr_figures(arr, as_of, 0, as_of).select("arr", "paying_accounts")


def retention(arr: ir.Table, as_of: int, lookback: int) -> ir.Table:
    """NRR, GRR, logo churn and the base of the accounts paying ``lookback`` months
    before ``as_of`` (one row; ratios null when the base has no ARR).

    C = accounts with ARR above 0 at M - lookback; NRR = sum_C ARR(M) / sum_C ARR(M - lookback);
    GRR caps each account at its base ARR; logo churn is the share of C at 0 in M.
    """
    return arr_figures(arr, as_of, lookback, as_of).select(
        "nrr", "grr", "logo_churn", "gross_revenue_churn", "net_revenue_churn",
        "base_accounts", "base_arr")


def movements(arr: ir.Table, as_of: int, lookback: int, first: int) -> ir.Table:
    """The ARR movements of the ``lookback`` months ending at ``as_of`` (one row:
    ``new``, ``reactivation``, ``expansion``, ``contraction``, ``churn``; the last two
    as positive amounts lost), as :func:`_movement_sums` defines them."""
    return arr_figures(arr, as_of, lookback, first).select(*MOVEMENTS)


# -------------------------------------------------------------------- the other KPIs
def nps(responses: ir.Table, as_of: int, window: int) -> ir.Table:
    """NPS = 100 x (share of 9-10 - share of 0-6) over the responses in the window
    (one row: ``nps`` null without responses, ``nps_responses``)."""
    inside = responses.filter(_in_window(responses.date, as_of, window))
    n = inside.count()
    promoters = (inside.score >= 9).sum().cast("float64")
    detractors = (inside.score <= 6).sum().cast("float64")
    agg = inside.aggregate(n=n, promoters=promoters, detractors=detractors)
    score = ibis.ifelse(agg.n > 0, 100 * (agg.promoters / agg.n.cast("float64")
                                          - agg.detractors / agg.n.cast("float64")),
                        ibis.null("float64"))
    return agg.select(nps=score, nps_responses=agg.n.cast("int64"))


def adoption(usage: ir.Table, as_of: int, accounts: ir.Table | None) -> ir.Table:
    """Product adoption: the median account's active users over licensed seats in
    ``as_of``, capped at 1 (seats from usage, else from accounts; one row)."""
    rows = usage.filter(usage.month == as_of)
    seats = rows.licensed_seats
    if accounts is not None:
        acc = accounts.select(seat_id=accounts.account_id, acc_seats=accounts.licensed_seats)
        rows = rows.left_join(acc, rows.account_id == acc.seat_id)
        seats = rows.licensed_seats.coalesce(rows.acc_seats)
    seats = ibis.ifelse(seats > 0, seats.cast("float64"), ibis.null("float64"))
    ratio = ibis.least(rows.active_users.cast("float64") / seats, ibis.literal(1.0))
    usable = rows.select(ratio=ratio).filter(lambda t: t.ratio.notnull())
    return usable.aggregate(adoption=usable.ratio.median())


def time_to_value(onboarding: ir.Table, as_of: int, window: int, target_days: int) -> ir.Table:
    """Median days from contract to first value of the contracts signed in the
    window, and the share that reached value within ``target_days`` among those
    decided by the end of ``as_of`` (one row)."""
    end = ibis.date(as_of // 12, as_of % 12 + 1, 1) + ibis.interval(months=1) \
        - ibis.interval(days=1)
    rows = onboarding.filter(_in_window(onboarding.contract_date, as_of, window))
    reached = rows.first_value_date.notnull() & (rows.first_value_date <= end)
    days = rows.first_value_date.delta(rows.contract_date, unit="day")
    elapsed = end.delta(rows.contract_date, unit="day")
    decided = reached | (elapsed >= target_days)
    hit = reached & (days <= target_days)
    out = rows.select(days=ibis.ifelse(reached, days, ibis.null("int64")).cast("float64"),
                      decided=decided, hit=hit)
    return out.aggregate(
        time_to_value_median_days=out.days.median(),
        time_to_value_within_target=(
            (out.decided & out.hit).cast("int64").sum().cast("float64")
            / out.decided.cast("int64").sum().cast("float64").nullif(0.0)))


def qbr_held(qbrs: ir.Table, as_of: int, window: int) -> ir.Table:
    """The accounts that held a QBR in the ``window`` months ending with ``as_of``
    (one column, ``held_id``)."""
    return (qbrs.filter(_in_window(qbrs.date, as_of, window)).select(held_id=qbrs.account_id)
            .distinct())


def qbr_coverage(arr: ir.Table, qbrs: ir.Table, as_of: int, window: int,
                 min_arr: float) -> ir.Table:
    """Share of the accounts paying in ``as_of`` (ARR above 0 and at least
    ``min_arr``) that held a QBR in the window ending then (one row)."""
    return arr_figures(arr, as_of, 0, as_of, qbr_held(qbrs, as_of, window),
                       min_arr).select("qbr_coverage")


def pipeline_influenced(opportunities: ir.Table, as_of: int, window: int) -> ir.Table:
    """Share of the amount of the expansion opportunities created in the window
    that CS sourced or influenced (one row; null without such opportunities, without
    any CS flag or without amount)."""
    pipe = opportunities.filter((opportunities.type == "expansion")
                                & _in_window(opportunities.created_date, as_of, window))
    by_cs = pipe.cs_sourced.fill_null(False) | pipe.cs_influenced.fill_null(False)
    flagged = pipe.cs_sourced.notnull() | pipe.cs_influenced.notnull()
    agg = pipe.aggregate(total=pipe.amount.sum(), cs=ibis.ifelse(by_cs, pipe.amount, 0.0).sum(),
                         flagged=flagged.sum())
    usable = (agg.total.notnull() & (agg.total != 0) & (agg.flagged > 0))
    return agg.select(expansion_pipeline_influenced=ibis.ifelse(
        usable, agg.cs / agg.total, ibis.null("float64")))
