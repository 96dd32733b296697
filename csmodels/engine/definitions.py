"""The metrics of ``csmodels metrics``, written once as Ibis expressions.

Each function takes unbound Ibis tables (:func:`input_tables`) and returns an
expression; :mod:`csmodels.engine.run` compiles it to the SQL of the engine at
hand (DuckDB embedded, or a Spark session) and runs it there, so the data stay
where they are and only the figures come back.

This module is where a metric is defined once (a KPI read from an optional table may
instead be written in its declaration, :mod:`csmodels.table_kpis`, which names the
definitions here that the others use): ``csmodels metrics`` runs these expressions on
a Parquet folder, a DuckDB file or a Spark session, and the functions of
:mod:`csmodels.metrics` (which the chapters, their charts and
:func:`csmodels.metrics_summary` call) run them on an embedded DuckDB over the frames
of a loaded company. Besides the one-row figures of a month there are the monthly
series the charts draw (:func:`retention_series`, :func:`account_movements`,
:func:`arr_bridge`, :func:`monthly_arr`, :func:`cohort_retention`), each one query over
all months. ``tests/test_definitions.py`` fails if a metric function of
:mod:`csmodels.metrics` computes without one of these. The definitions are the
metrics chapter's (``csmodels/data/cs_kpis.csv``): an account-month without a row is
ARR 0, months are counted as ``year * 12 + month - 1`` (the ``month`` columns of the
monthly tables arrive as that index: one integer per row is cheaper to compare
than a date), ratios are fractions.

The inputs are typed as :func:`input_tables` says: the source layer
(:mod:`csmodels.engine.sources`) validates and casts every table to that shape.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from .inputs import INPUT_SCHEMAS, MOVEMENTS, view_name


def input_tables(present: set[str] | None = None) -> dict[str, ir.Table]:
    """Unbound tables, one per input table (named by :func:`view_name`), for the tables
    ``present`` (default all)."""
    return {name: ibis.table(schema, name=view_name(name))
            for name, schema in INPUT_SCHEMAS.items() if present is None or name in present}


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
    # ARR times 1.0 in the month and 0.0 in the others, summed, not a sum filtered on
    # the month: the same figure (ARR is finite and adding 0.0 is exact; a null ARR is
    # skipped either way), which DuckDB computes in about 40% less time than thirteen
    # filtered aggregates, each with its own selection of rows
    months = {f"v{k}": (arr.arr * (m == as_of - k).cast("float64")).sum().fill_null(0.0)
              for k in range(lookback + 1)}
    # the first paying month as the least of the months, those without ARR read as null:
    # the same as a minimum filtered on ARR above 0, in about 0.3 s less CPU per 22.5
    # million rows on DuckDB
    first_paid = ibis.ifelse(arr.arr > 0, m, ibis.null("int64")).min()
    return arr.group_by("account_id").aggregate(first_paid=first_paid, **months, **extra)


def panel_table(lookback: int, name: str) -> ir.Table:
    """An :func:`account_panel` already computed and stored as the table ``name``."""
    return ibis.table({"account_id": "string", "first_paid": "int64",
                       **{f"v{k}": "float64" for k in range(lookback + 1)}}, name=name)


def _retention_sums(p: ir.Table, lookback: int) -> dict:
    """C = accounts with ARR above 0 ``lookback`` months before: their ARR then and
    now, now capped at then (GRR), and how many of them are at 0 now."""
    return _retention_sums_of(p[f"v{lookback}"], p.v0)


def _retention_sums_of(base: ir.FloatingValue, now: ir.FloatingValue) -> dict:
    """The sums of :func:`_retention_sums` for an account's ARR in the base month
    (``base``) and in the month retention is taken (``now``, 0 without a row)."""
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
    terms: dict[str, list] = {name: [p.v0 * 0.0] for name in MOVEMENTS}
    for k in range(lookback):
        month = as_of - k
        if month < first + 1:
            continue
        kinds = _movement_kinds(p[f"v{k + 1}"], p[f"v{k}"], p.first_paid, month)
        for name, (when, amount) in kinds.items():
            # the amount times 1.0 where the kind holds, 0.0 where not: the amount or 0.0,
            # as a CASE would give (amounts are finite, and a condition is never null on
            # the panel: ARR is 0 without a row, and an account paying now has a first
            # month), in about half the CPU of sixty CASEs per account
            terms[name].append(amount * when.cast("float64"))
    out = {}
    for name in MOVEMENTS:
        total, *rest = terms[name]
        for term in rest:
            total = total + term
        out[name] = total.sum().fill_null(0.0)
    return out


def _movement_kinds(prev, cur, first_paid, month) -> dict[str, tuple]:
    """The one definition of the ARR movements: for an account's ARR in the month
    before (``prev``) and in ``month`` (``cur``, both 0 without a row) and the first
    month it paid, each kind's condition and amount (positive, lost for contraction
    and churn). At most one condition holds."""
    rises = (prev == 0) & (cur > 0)
    # ARR is never negative (the checks refuse it), so a rise from above 0 is an
    # expansion and a fall to a level above 0 a contraction
    return {"new": (rises & (first_paid == month), cur),
            "reactivation": (rises & (first_paid < month), cur),
            "churn": ((prev > 0) & (cur == 0), prev),
            "expansion": ((prev > 0) & (cur > prev), cur - prev),
            "contraction": ((cur > 0) & (cur < prev), prev - cur)}


def arr_figures(arr: ir.Table, as_of: int, lookback: int, first: int,
                panel: ir.Table | None = None) -> ir.Table:
    """Retention (:func:`retention`), ARR and paying accounts (:func:`arr_at`) and the
    movements (:func:`movements`), all from one :func:`account_panel` (one row):
    ``panel`` if it was computed already for ``as_of`` and ``lookback``, else from
    ``arr``. A new figure of the ARR panel is one more sum here and its ratio below."""
    p = account_panel(arr, as_of, lookback) if panel is None else panel
    sums = {**_retention_sums(p, lookback), **_arr_at_sums(p),
            **_movement_sums(p, as_of, lookback, first)}
    agg = p.aggregate(**sums)
    figures = {**_retention_ratios(agg), "arr": agg.arr,
               "paying_accounts": agg.paying_accounts, **{n: agg[n] for n in MOVEMENTS}}
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


def average_contract_value(arr: ir.Table, as_of: int) -> ir.Table:
    """ARR per paying account in ``as_of`` (one row, ``acv``; null when nobody pays)."""
    at = arr_at(arr, as_of)
    return at.select(acv=at.arr / at.paying_accounts.cast("float64").nullif(0.0))


def reactivated_arr(arr: ir.Table, as_of: int, lookback: int) -> ir.Table:
    """ARR in ``as_of`` of the accounts that paid ``lookback`` months before, stopped
    paying at least one month in between and came back (one row, ``reactivated``)."""
    w = arr.filter((arr.month >= as_of - lookback) & (arr.month <= as_of))
    per = w.group_by("account_id").aggregate(
        base=w.arr.sum(where=w.month == as_of - lookback).fill_null(0.0),
        now=w.arr.sum(where=w.month == as_of).fill_null(0.0),
        paid=(w.arr > 0).sum())
    back = (per.base > 0) & (per.now > 0) & (per.paid < lookback + 1)
    return per.aggregate(reactivated=per.now.sum(where=back).fill_null(0.0))


# ------------------------------------------------------- the monthly series (charts)
def _months(first: int, last: int) -> ir.Table:
    """One row per month index from ``first`` to ``last`` (column ``month``)."""
    return ibis.range(first, last + 1).unnest().name("month").as_table()


def retention_series(arr: ir.Table, lookback: int, first: int, last: int) -> ir.Table:
    """:func:`retention` for every month M from ``first + lookback`` to ``last``, in
    one query: one row per month whose base (the accounts paying at M - lookback)
    exists, with ``month`` and the columns of :func:`retention`, by month."""
    paying = arr.filter(arr.arr > 0)
    base = paying.select(base_id=paying.account_id, month=paying.month + lookback,
                         base=paying.arr)
    base = base.filter((base.month >= first + lookback) & (base.month <= last))
    now = arr.filter((arr.month >= first + lookback) & (arr.month <= last))
    now = now.select(now_id=now.account_id, now_month=now.month, now=now.arr)
    j = base.left_join(now, (base.base_id == now.now_id) & (base.month == now.now_month))
    j = j.select(month=j.month, base=j.base, now=j.now.fill_null(0.0))
    agg = j.group_by("month").aggregate(**_retention_sums_of(j.base, j.now))
    return agg.select("month", **_retention_ratios(agg)).order_by("month")


def _first_paid(arr: ir.Table) -> ir.Table:
    """Each account that ever paid: the first month it had ARR above 0 (``start_id``,
    ``start``)."""
    paying = arr.filter(arr.arr > 0)
    return paying.group_by(start_id=paying.account_id).aggregate(start=paying.month.min())


def account_movements(arr: ir.Table, first: int, last: int) -> ir.Table:
    """Every account's classified ARR change from one month to the next, for the
    months after ``first`` up to ``last`` (:func:`_movement_kinds`): ``account_id``,
    ``month``, ``movement`` and ``change`` (signed), by account and month.

    Each row meets the row of the same account a month before (one outer join: a
    month without a row is 0 on its side), so the cost is one pass over the rows.
    """
    cur = arr.select(cur_id=arr.account_id, cur_month=arr.month, cur=arr.arr)
    prev = arr.select(prev_id=arr.account_id, prev_month=arr.month + 1, prev=arr.arr)
    j = cur.outer_join(prev, (cur.cur_id == prev.prev_id) & (cur.cur_month == prev.prev_month))
    j = j.select(key_id=j.cur_id.coalesce(j.prev_id), month=j.cur_month.coalesce(j.prev_month),
                 now=j.cur.fill_null(0.0), before=j.prev.fill_null(0.0))
    j = j.filter((j.month > first) & (j.month <= last) & (j.now != j.before))
    starts = _first_paid(arr)
    j = j.left_join(starts, j.key_id == starts.start_id)
    kinds = _movement_kinds(j.before, j.now, j.start, j.month)
    movement = ibis.cases(*((when, name) for name, (when, _) in kinds.items()), else_=None)
    out = j.select(account_id=j.key_id, month=j.month, movement=movement,
                   change=j.now - j.before)
    return out.filter(out.movement.notnull()).order_by(["account_id", "month"])


def monthly_arr(arr: ir.Table, first: int, last: int) -> ir.Table:
    """Total ARR and paying accounts in every month from ``first`` to ``last``
    (``month``, ``arr``, ``paying_accounts``; 0 in a month without rows), by month."""
    totals = arr.group_by(total_month=arr.month).aggregate(
        total=arr.arr.sum(), paying=(arr.arr > 0).sum())
    months = _months(first, last)
    j = months.left_join(totals, months.month == totals.total_month)
    return j.select(month=j.month, arr=j.total.fill_null(0.0),
                    paying_accounts=j.paying.fill_null(0).cast("int64")).order_by("month")


def arr_bridge(arr: ir.Table, first: int, last: int) -> ir.Table:
    """The monthly ARR bridge, each month after ``first`` up to ``last``: ``opening``
    (last month's ARR) + new + reactivation + expansion - contraction - churn =
    ``closing`` (the month's ARR), the movements of :func:`account_movements` summed
    (contraction and churn as positive amounts lost), by month."""
    moves = account_movements(arr, first, last)
    sums = moves.group_by(move_month=moves.month).aggregate(
        **{name: moves.change.sum(where=moves.movement == name) for name in MOVEMENTS})
    totals = monthly_arr(arr, first, last)
    before = totals.select(open_month=totals.month + 1, opening=totals.arr)
    closing = totals.filter(totals.month > first)
    j = (closing.left_join(before, closing.month == before.open_month)
         .left_join(sums, closing.month == sums.move_month))
    lost = ("contraction", "churn")
    return j.select(
        month=j.month, opening=j.opening,
        **{name: (-j[name] if name in lost else j[name]).fill_null(0.0) for name in MOVEMENTS},
        closing=j.arr).order_by("month")


def cohort_retention(arr: ir.Table, freq: str, measure: str, include_first_month: bool,
                     first: int, last: int) -> ir.Table:
    """Retention of each start cohort by months since its start, one row per cohort
    and age observed for every account of the cohort (``cohort_key``, ``cohort``,
    ``age``, ``retention``), by cohort and age.

    An account's cohort is the quarter (``freq`` ``"Q"``) or year (``"Y"``) of the
    first month it paid; accounts paying in the data's first month ``first`` started
    at an unknown date and are left out unless ``include_first_month``. ``measure``
    ``"revenue"``: the cohort's ARR at each age over its ARR in each account's first
    month; ``"logos"``: the share of its accounts paying at that age.
    """
    starts = _first_paid(arr)
    if not include_first_month:
        starts = starts.filter(starts.start > first)
    year = starts.start // 12
    if freq == "Q":
        quarter = (starts.start % 12) // 3
        key, label = year * 4 + quarter, year.cast("string") + "Q" + (quarter + 1).cast("string")
    else:
        key, label = year, year.cast("string")
    starts = starts.mutate(cohort_key=key.cast("int64"), cohort=label)
    paying = arr.filter(arr.arr > 0)
    rows = paying.join(starts, paying.account_id == starts.start_id)
    rows = rows.mutate(age=rows.month - rows.start)
    amount = rows.arr if measure == "revenue" else ibis.literal(1.0)
    rows = rows.mutate(amount=amount)
    at_start = rows.filter(rows.age == 0)
    cohorts = at_start.group_by(["cohort_key", "cohort"]).aggregate(
        base=at_start.amount.sum(), last_start=at_start.start.max())
    by_age = rows.group_by(age_key=rows.cohort_key, age_at=rows.age).aggregate(
        amount=rows.amount.sum())
    grid = cohorts.cross_join(_months(0, last - first))
    grid = grid.filter(grid.month <= last - grid.last_start)
    j = grid.left_join(by_age, (grid.cohort_key == by_age.age_key)
                       & (grid.month == by_age.age_at))
    return j.select(cohort_key=j.cohort_key, cohort=j.cohort, age=j.month,
                    retention=j.amount.fill_null(0.0) / j.base).order_by(["cohort_key", "age"])


def cohort_retention_at(arr: ir.Table, freq: str, measure: str, age: int,
                        include_first_month: bool, first: int, last: int) -> ir.Table:
    """The start cohorts observed at ``age`` months (:func:`cohort_retention`): how
    many (``cohorts``) and their average retention then (``average``; one row, null
    without such a cohort)."""
    cells = cohort_retention(arr, freq, measure, include_first_month, first, last)
    at = cells.filter(cells.age == age)
    return at.aggregate(cohorts=at.count().cast("int64"), average=at.retention.mean())


# -------------------------------------------------------------------- the other KPIs
def nps(responses: ir.Table, as_of: int, window: int) -> ir.Table:
    """NPS = 100 x (share of 9-10 - share of 0-6) over the responses in the window
    (one row: ``nps`` null without responses, ``nps_responses``), as
    :func:`nps_shares` defines it."""
    shares = nps_shares(responses, as_of, window)
    return shares.select(nps=shares.score, nps_responses=shares.responses)


def nps_shares(responses: ir.Table, as_of: int, window: int,
               weights: ir.Table | None = None) -> ir.Table:
    """The responses in the ``window`` months ending with ``as_of``: how many, the
    shares of promoters (9-10) and detractors (0-6) and the NPS, 100 x (promoters -
    detractors); passives (7-8) stay in the denominator.

    ``weights`` (columns ``weight_id``, ``weight``; :func:`weight_table`) weights each
    response by its account; a response whose account has no weight counts 0. One
    row; the shares and the score are null without responses or without weight.
    """
    inside = responses.filter(_in_window(responses.date, as_of, window))
    if weights is None:
        inside = inside.mutate(w=ibis.literal(1.0))
    else:
        inside = inside.left_join(weights, inside.account_id == weights.weight_id)
        inside = inside.mutate(w=inside.weight.fill_null(0.0))
    agg = inside.aggregate(n=inside.count(), total=inside.w.sum(),
                           promoters=inside.w.sum(where=inside.score >= 9),
                           detractors=inside.w.sum(where=inside.score <= 6))
    total = ibis.ifelse(agg.total > 0, agg.total, ibis.null("float64"))
    promoters = agg.promoters.fill_null(0.0) / total
    detractors = agg.detractors.fill_null(0.0) / total
    return agg.select(responses=agg.n.cast("int64"), promoters=promoters,
                      passives=1 - promoters - detractors, detractors=detractors,
                      score=100 * (promoters - detractors))


def nps_distribution(responses: ir.Table, as_of: int, window: int) -> ir.Table:
    """How many responses in the window of :func:`nps_shares` gave each score
    (``score``, ``responses``; scores nobody gave left out), by score."""
    inside = responses.filter(_in_window(responses.date, as_of, window))
    return inside.group_by("score").aggregate(
        responses=inside.count().cast("int64")).order_by("score")


def weight_table() -> ir.Table:
    """An unbound table of weights per account (``weight_id``, ``weight``) for
    :func:`nps_shares`, read as the engine's view ``nps_weights`` (:func:`view_name`)."""
    return ibis.table({"weight_id": "string", "weight": "float64"},
                      name=view_name("nps_weights"))


def seat_utilisation_by_month(usage: ir.Table, accounts: ir.Table | None) -> ir.Table:
    """Each account's active users over licensed seats in each month, capped at 1
    (``month``, ``account_id``, ``utilisation``; seats from usage, else from
    accounts; account-months without seats left out), by month and account."""
    seats = usage.licensed_seats
    rows = usage
    if accounts is not None:
        acc = accounts.select(seat_id=accounts.account_id, acc_seats=accounts.licensed_seats)
        rows = usage.left_join(acc, usage.account_id == acc.seat_id)
        seats = rows.licensed_seats.coalesce(rows.acc_seats)
    seats = ibis.ifelse(seats > 0, seats.cast("float64"), ibis.null("float64"))
    ratio = ibis.least(rows.active_users.cast("float64") / seats, ibis.literal(1.0))
    return rows.select(month=rows.month, account_id=rows.account_id, utilisation=ratio).filter(
        lambda t: t.utilisation.notnull()).order_by(["month", "account_id"])


def _utilisation(usage: ir.Table, as_of: int, accounts: ir.Table | None) -> ir.Table:
    """:func:`seat_utilisation_by_month` in ``as_of``."""
    return seat_utilisation_by_month(usage.filter(usage.month == as_of), accounts)


def seat_utilisation(usage: ir.Table, as_of: int, accounts: ir.Table | None) -> ir.Table:
    """Seat utilisation per account in ``as_of`` (``month``, ``account_id``,
    ``utilisation``), as :func:`adoption` takes its median of."""
    return _utilisation(usage, as_of, accounts).order_by("account_id")


def adoption(usage: ir.Table, as_of: int, accounts: ir.Table | None) -> ir.Table:
    """Product adoption: the median account's active users over licensed seats in
    ``as_of``, capped at 1 (seats from usage, else from accounts; one row)."""
    usable = _utilisation(usage, as_of, accounts)
    return usable.aggregate(adoption=usable.utilisation.median())


def time_to_value(onboarding: ir.Table, as_of: int, window: int, target_days: int) -> ir.Table:
    """Median days from contract to first value of the contracts signed in the
    window, and the share that reached value within ``target_days`` among those
    decided by the end of ``as_of`` (one row; :func:`time_to_value_detail`)."""
    return time_to_value_detail(onboarding, as_of, window, target_days).select(
        "time_to_value_median_days", "time_to_value_within_target")


def time_to_value_detail(onboarding: ir.Table, as_of: int, window: int,
                         target_days: int) -> ir.Table:
    """Time to value of the contracts signed in the ``window`` months ending at
    ``as_of`` (one row): the median and 75th percentile of the days to first value
    of those that reached it by the end of ``as_of``; the share within
    ``target_days`` of those decided then (reached value, or ``target_days`` passed);
    how many contracts, and how many have not reached value yet."""
    end = ibis.date(as_of // 12, as_of % 12 + 1, 1) + ibis.interval(months=1) \
        - ibis.interval(days=1)
    rows = onboarding.filter(_in_window(onboarding.contract_date, as_of, window))
    reached = rows.first_value_date.notnull() & (rows.first_value_date <= end)
    days = rows.first_value_date.delta(rows.contract_date, unit="day")
    elapsed = end.delta(rows.contract_date, unit="day")
    decided = reached | (elapsed >= target_days)
    hit = reached & (days <= target_days)
    out = rows.select(days=ibis.ifelse(reached, days, ibis.null("int64")).cast("float64"),
                      decided=decided, hit=hit, reached=reached)
    return out.aggregate(
        time_to_value_median_days=out.days.median(),
        time_to_value_p75_days=out.days.quantile(0.75),
        time_to_value_within_target=(
            (out.decided & out.hit).cast("int64").sum().cast("float64")
            / out.decided.cast("int64").sum().cast("float64").nullif(0.0)),
        contracts=out.count().cast("int64"),
        not_yet=(out.count() - out.reached.cast("int64").sum().fill_null(0)).cast("int64"))


def qbr_held(qbrs: ir.Table, as_of: int, window: int) -> ir.Table:
    """The accounts that held a QBR in the ``window`` months ending with ``as_of``
    (one column, ``held_id``)."""
    return (qbrs.filter(_in_window(qbrs.date, as_of, window)).select(held_id=qbrs.account_id)
            .distinct())


def qbr_coverage(arr: ir.Table, qbrs: ir.Table, as_of: int, window: int,
                 min_arr: float) -> ir.Table:
    """Share of the accounts paying in ``as_of`` (ARR above 0 and at least
    ``min_arr``) that held a QBR in the window ending then (one row)."""
    return qbr_coverage_of(account_panel(arr, as_of, 0), qbr_held(qbrs, as_of, window),
                           min_arr)


def qbr_coverage_of(panel: ir.Table, held: ir.Table, min_arr: float) -> ir.Table:
    """:func:`qbr_coverage` from an :func:`account_panel` of the month (its ``v0``) and
    the accounts that held a QBR (:func:`qbr_held`; one row, ``qbr_coverage``, null
    when no account is eligible)."""
    p = panel.left_join(held, panel.account_id == held.held_id)
    eligible = (p.v0 > 0) & (p.v0 >= min_arr)
    agg = p.aggregate(qbr_eligible=eligible.sum(),
                      qbr_covered=(eligible & p.held_id.notnull()).sum())
    return agg.select(qbr_coverage=agg.qbr_covered.cast("float64")
                      / agg.qbr_eligible.cast("float64").nullif(0.0))


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
