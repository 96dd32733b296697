"""One check of a scalar setting: a finite number, not True/False, within its bounds.

Models take their settings as plain numbers (a rate, a share, a number of days), from
code, from ``-p`` values and from ``profile.yml``. Each is checked the same way here:
any real number (``int``, ``float``, numpy's numbers) that is finite and inside its
bounds passes; ``True``/``False`` (which Python counts as 1 and 0), text, ``None``
(unless allowed), NaN and infinities do not. The message names the setting, shows the
value and says what it takes, as a :class:`~csmodels.exceptions.ParameterError`.

A model's settings (a frozen dataclass) are declared with :func:`number` and checked by
the :class:`Checked` mixin's ``__post_init__``; a function's arguments are checked with
:func:`check_number` directly.

>>> check_number("grr", 0.9, low=0, high=1)
0.9
>>> try:
...     check_number("years", True, low=1, whole=True)
... except ParameterError as err:
...     print(err)
years must be a whole number >= 1, not True.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from typing import Any

from .exceptions import ParameterError


def number_rule(*, low: float | None = None, high: float | None = None,
                above: float | None = None, below: float | None = None,
                whole: bool = False) -> str:
    """What a number within these bounds is, in words.

    ``low``/``high`` are inclusive bounds, ``above``/``below`` exclusive ones.

    >>> number_rule(low=0), number_rule(low=1, high=50, whole=True), number_rule(above=-1)
    ('a finite number >= 0', 'a whole number from 1 to 50', 'a finite number above -1')
    >>> number_rule(above=0, high=1)
    'a finite number above 0 and at most 1'
    """
    kind = "a whole number" if whole else "a finite number"
    if low is not None and high is not None:
        return f"{kind} from {low:g} to {high:g}"
    parts = [f">= {low:g}" if low is not None else None,
             f"above {above:g}" if above is not None else None,
             f"at most {high:g}" if high is not None else None,
             f"below {below:g}" if below is not None else None]
    parts = [p for p in parts if p]
    if len(parts) == 2 and parts[0].startswith(">="):
        return f"{kind} {parts[0]}, {parts[1]}"
    return " ".join([kind, " and ".join(parts)]).strip()


def is_number(value: object, *, low: float | None = None, high: float | None = None,
              above: float | None = None, below: float | None = None,
              whole: bool = False) -> bool:
    """Whether ``value`` is a real number (not a bool), finite, within the bounds and,
    if ``whole``, a whole number (``3.0`` counts as whole).

    >>> is_number(2), is_number(True), is_number(float("nan")), is_number("2")
    (True, False, False, False)
    >>> is_number(0.5, above=0, high=1), is_number(0, above=0), is_number(2.5, whole=True)
    (True, False, False)
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if type(value).__name__ == "bool_":  # numpy's True/False is not a numbers.Real either
        return False
    try:
        number = float(value)
    except OverflowError:  # an int beyond the floats
        return False
    if not math.isfinite(number) or (whole and number != math.floor(number)):
        return False
    return ((low is None or number >= low) and (high is None or number <= high)
            and (above is None or number > above) and (below is None or number < below))


MESSAGE = "{name} must be {rule}, not {value}."


def shown(value: object, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters: a message never echoes a whole file.

    >>> shown(0.5), shown("x" * 100)[-5:], len(shown("x" * 100))
    ('0.5', 'xx...', 60)
    """
    text = repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def check_number(name: str, value: object, *, low: float | None = None,
                 high: float | None = None, above: float | None = None,
                 below: float | None = None, whole: bool = False,
                 none_ok: bool = False, hint: str | None = None,
                 rule: str | None = None, message: str = MESSAGE):
    """``value`` as a ``float`` (an ``int`` if ``whole``), or :class:`ParameterError`
    saying ``"{name} must be {rule}, not {value!r}."`` (and ``hint``, if given).

    ``None`` passes (and is returned) only with ``none_ok``. ``rule`` replaces the
    words :func:`number_rule` finds for the bounds (to add an example, ``"a fraction
    from 0 to 1 (0.10 = 10%)"``); ``message`` replaces the sentence, with the same
    ``{name}``, ``{rule}`` and ``{value}`` (the value's shortened ``repr``).

    >>> check_number("nrr", 1, low=0), check_number("years", 5.0, low=1, whole=True)
    (1.0, 5)
    >>> check_number("acv", None, low=0, none_ok=True) is None
    True
    >>> try:
    ...     check_number("split", 1.5, low=0, high=1, message="{name} is {value}.",
    ...                  hint="Give a share from 0 to 1")
    ... except ParameterError as err:
    ...     print(err)
    split is 1.5. Give a share from 0 to 1.
    """
    if value is None and none_ok:
        return None
    if not is_number(value, low=low, high=high, above=above, below=below, whole=whole):
        words = rule or number_rule(low=low, high=high, above=above, below=below,
                                    whole=whole)
        text = message.format(name=name, rule=words, value=shown(value))
        raise ParameterError(text, hint) if hint else ParameterError(text)
    return int(value) if whole else float(value)


@dataclasses.dataclass(frozen=True)
class Rule:
    """What one numeric setting takes: the keywords of :func:`check_number`."""

    low: float | None = None
    high: float | None = None
    above: float | None = None
    below: float | None = None
    whole: bool = False
    none_ok: bool = False
    hint: str | None = None
    rule: str | None = None
    message: str = MESSAGE

    def check(self, name: str, value: object):
        """``value`` checked (see :func:`check_number`), as a plain Python number: an
        ``int`` if whole, a given ``int`` or ``float`` as it is, any other number (numpy's)
        as a ``float``; ``None`` stays ``None``."""
        checked = check_number(name, value, **vars(self))
        if checked is None or self.whole:
            return checked
        return value if type(value) in (int, float) else checked


def number(default: Any = dataclasses.MISSING, **rule) -> Any:
    """A dataclass field holding a number that :class:`Checked` checks against ``rule``
    (the keywords of :func:`check_number`), as :func:`csmodels.summary.figure` declares
    a figure.

    >>> @dataclasses.dataclass(frozen=True)
    ... class Plan(Checked):
    ...     split: float = number(0.5, low=0, high=1)
    ...     years: int = number(5, low=1, high=50, whole=True)
    >>> import numpy as np
    >>> Plan(years=np.int64(3)).years, Plan(years=3.0).years, Plan(split=np.float32(0.25)).split
    (3, 3, 0.25)
    >>> Plan(split=True)
    Traceback (most recent call last):
    csmodels.exceptions.ParameterError: split must be a finite number from 0 to 1, not True.
    """
    return dataclasses.field(default=default, metadata={"rule": Rule(**rule)})


def check_declared(instance: object) -> None:
    """Check each field of a frozen dataclass declared with :func:`number`, in the
    order of the fields, and store numpy numbers (and whole floats of a whole-number
    field) as plain Python ones."""
    for spec in dataclasses.fields(instance):
        rule = spec.metadata.get("rule")
        if rule is not None:
            value = rule.check(spec.name, getattr(instance, spec.name))
            object.__setattr__(instance, spec.name, value)


class Checked:
    """Mixin of a frozen dataclass whose numeric fields are declared with :func:`number`:
    its ``__post_init__`` checks them. A class with further checks (between fields, on
    text) calls ``super().__post_init__()`` first."""

    def __post_init__(self) -> None:
        check_declared(self)


# ----------------------------------------------------------- retention and discounting

NRR_HIGH = 3.0  # the book's own bound: a yearly NRR above 300% is a typo (50 for 50%?)

RETENTION_HINT = "Give {name} as a fraction (1.05 is 105%)."

# The rules of NRR and GRR, as :func:`number` and :func:`check_number` take them.
NRR_RULE = dict(low=0, high=NRR_HIGH, rule=f"a fraction from 0 to {NRR_HIGH:g} ({NRR_HIGH:.0%})")
GRR_RULE = dict(low=0, high=1, rule="a fraction from 0 to 1 (100%)")
# A model's NRR may come from the data, where a small company can grow far above
# NRR_HIGH (tests/shapes.py "huge-expansion": 1,455%): the model bounds it only where its
# arithmetic would overflow (1000 ** 50 years stays finite).
MODEL_NRR_RULE = dict(low=0, high=1000, rule="a fraction from 0 to 1000")


def check_nrr(value: object, name: str = "nrr", *, none_ok: bool = False) -> float | None:
    """A net revenue retention, as a fraction from 0 to :data:`NRR_HIGH` (the book's
    bound), the one rule every model and command applies to NRR.

    >>> check_nrr(1.05), check_nrr(None, none_ok=True)
    (1.05, None)
    >>> try:
    ...     check_nrr(50)
    ... except ParameterError as err:
    ...     print(err)
    nrr must be a fraction from 0 to 3 (300%), not 50. Give nrr as a fraction (1.05 is 105%).
    """
    return check_number(name, value, none_ok=none_ok, hint=RETENTION_HINT.format(name=name),
                        **NRR_RULE)


def check_grr(value: object, name: str = "grr", *, none_ok: bool = False) -> float | None:
    """A gross revenue retention, as a fraction from 0 to 1: the one rule for GRR.

    >>> try:
    ...     check_grr(90)
    ... except ParameterError as err:
    ...     print(err)
    grr must be a fraction from 0 to 1 (100%), not 90. Give grr as a fraction (0.9 is 90%).
    """
    return check_number(name, value, none_ok=none_ok,
                        hint=f"Give {name} as a fraction (0.9 is 90%).", **GRR_RULE)


def check_discount_rate(value: object, name: str = "The discount rate") -> float:
    """A discount rate a period, 0 or more: below 0, money later would be worth more than
    money now and a lifetime value would grow without bound (at -1, divide by zero).

    >>> try:
    ...     check_discount_rate(-1, "discount_rate")
    ... except ParameterError as err:
    ...     print(err)
    discount_rate must be a finite number >= 0 (0.1 for 10% a period), not -1.
    """
    return check_number(name, value, low=0, rule="a finite number >= 0 (0.1 for 10% a period)")
