"""The engine's input tables: the columns the metric definitions read, with their
types (kept apart from :mod:`csmodels.engine.definitions` so that checking and
reading the data need not import Ibis).

Months of the monthly tables arrive as one integer, ``year * 12 + month - 1``.
"""

# The ARR movements, in the order the figures list them.
MOVEMENTS = ("new", "reactivation", "expansion", "contraction", "churn")

INPUT_SCHEMAS: dict[str, dict[str, str]] = {
    "arr_monthly": {"account_id": "string", "month": "int64", "arr": "float64"},
    "accounts": {"account_id": "string", "licensed_seats": "int64"},
    "nps_responses": {"date": "date", "score": "int64", "account_id": "string"},
    "usage_monthly": {"account_id": "string", "month": "int64", "active_users": "int64",
                      "licensed_seats": "int64"},
    "onboarding": {"account_id": "string", "contract_date": "date",
                   "first_value_date": "date"},
    "qbrs": {"account_id": "string", "date": "date"},
    "opportunities": {"type": "string", "amount": "float64", "created_date": "date",
                      "cs_sourced": "boolean", "cs_influenced": "boolean"},
}


def view_name(table: str) -> str:
    """The name of the view an engine reads input ``table`` from (``_csm_in_arr_monthly``):
    never a name of the reader's own tables, so a view cannot hide or replace one, nor
    read itself.

    >>> view_name("arr_monthly")
    '_csm_in_arr_monthly'
    """
    return f"_csm_in_{table}"
