"""The company profile (``profile.yml``): who the company is.

Chapters read it for the company's name, currency, stage, size and motion. Every
key is optional except where a chapter needs it; unknown keys are refused, so a
misspelt key is caught instead of silently ignored.

The facts the maturity engine reads (stage, ARR, ACV, touch, buyer, motion) are
declared once, in :class:`Facts`: a :class:`Profile` holds them beside the company's
name, currency and the chapters' settings, and :class:`csmodels.maturity.CompanyFacts`
adds the engine's ACV line to them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, fields
from pathlib import Path

from ._checks import Checked, is_number, number
from .exceptions import DataError, ParameterError, Problem
from .inputs.limits import MAX_AMOUNT
from .inputs.yamlfile import YamlHints, first_refused_character, read_yaml_mapping

STAGES = ("seed", "series-a", "series-b", "growth", "public")
TOUCH = ("high", "low")
BUYERS = ("business", "technical")
_CHOICES = {"funding_stage": STAGES, "touch": TOUCH, "buyer": BUYERS}


def amount(default: float | None, shown: str, none_ok: bool = True) -> float | None:
    """A field holding an amount of money (ARR, ACV, a line between them): a number
    >= 0, ``None`` meaning unknown unless ``none_ok`` is false."""
    return number(default, low=0, none_ok=none_ok, rule="a number >= 0 (no currency signs)",
                  message=f"The {shown} must be {{rule}}, not {{value}}.")


@dataclass(frozen=True)
class _Named:
    """The company's name and currency: first among a profile's keys, as
    ``profile.yml`` and its messages list them."""

    company: str = "Your company"
    currency: str = "USD"


@dataclass(frozen=True)
class Facts(Checked):
    """What the maturity engine needs to know about a company; ``None`` means unknown.

    Declared once: :class:`Profile` holds these facts and
    :class:`csmodels.maturity.CompanyFacts` adds the engine's ACV line to them.

    >>> Facts(funding_stage="seed", acv=80_000).acv
    80000
    >>> Facts(touch="medium")
    Traceback (most recent call last):
    csmodels.exceptions.ParameterError: Unknown touch 'medium'. Use one of: high, low.
    """

    funding_stage: str | None = None
    arr: float | None = amount(None, "ARR")
    acv: float | None = amount(None, "ACV")
    touch: str | None = None
    buyer: str | None = None
    product_led: bool = False

    def __post_init__(self) -> None:
        super().__post_init__()
        for name, allowed in _CHOICES.items():
            value = getattr(self, name)
            if value is not None and value not in allowed:
                raise ParameterError(f"Unknown {name.replace('_', ' ')} {value!r}. "
                                     f"Use one of: {', '.join(allowed)}.")


FACT_KEYS = tuple(f.name for f in fields(Facts))  # the facts, in the order declared


@dataclass(frozen=True)
class Profile(Facts, _Named):
    """A company profile; the defaults describe an unnamed company.

    Its keys, in order: ``company`` and ``currency``, the facts of :class:`Facts`
    (``funding_stage``, ``arr``, ``acv``, ``touch``, ``buyer``, ``product_led``), then
    the chapters' own settings below.
    """

    # Chapters' own settings; each chapter's module checks the entries it reads.
    reporting_weights: dict | None = None  # reporting chapter: weight per criterion
    self_assessment: dict | None = None  # collaboration chapter: practice -> score
    # maturity chapter and ``csmodels recommend``: the company's segments, each a mapping
    # of name, acv, share (of ARR) or accounts, and optionally touch
    segments: list | None = None


_HINTS = YamlHints(
    missing="Give the path of a profile.yml, or leave it out.",
    not_a_file="Give the path of a profile.yml file.",
    refused="Write each value out in full; data/sample/profile.yml is an example.",
    invalid="Fix the file; data/sample/profile.yml is an example.",
    not_a_mapping=("The profile must be a list of 'key: value' lines.",
                   "Write it like data/sample/profile.yml."))


def load_profile(path: str | Path | None) -> Profile:
    """Read and check a ``profile.yml``; ``None`` gives the default profile.

    >>> load_profile("data/sample/profile.yml").funding_stage
    'series-b'
    """
    if path is None:
        return Profile()
    path = Path(path)
    where = str(path)
    try:
        where.encode("utf-8")
    except UnicodeEncodeError:
        raise DataError([Problem(where, "The profile's file name is not UTF-8 text.",
                                 "Rename it (profile.yml is a good name).")]) from None
    raw = read_yaml_mapping(path, "profile", _HINTS)
    problems = [p for key, value in raw.items()
                for p in _check_text(where, key, value) or _check(where, str(key), value)]
    if problems:
        raise DataError(problems)
    return Profile(**{str(k): v for k, v in raw.items()})


def _check_text(where: str, key, value) -> list[Problem]:
    """Refuse a key or text value (at any depth) holding a lone surrogate or a control
    character: neither is text a page or a terminal can show as it is."""
    found = first_refused_character([key, value], lambda ch: 0xD800 <= ord(ch) <= 0xDFFF
                                    or ord(ch) < 32 or 127 <= ord(ch) < 160)
    if found is None:
        return []
    return [Problem(where, f"'{key}' holds a character that is not text "
                    f"(U+{ord(found[0]):04X}).", "Retype the value as plain text.")]


def _check(where: str, key: str, value) -> list[Problem]:
    known = [f.name for f in fields(Profile)]
    if key not in known:
        close = difflib.get_close_matches(key, known, n=1)
        hint = f"Did you mean '{close[0]}'?" if close else f"The keys are: {', '.join(known)}."
        return [Problem(where, f"Unknown key '{key}'.", hint)]
    if value is None:
        return []
    if key in _CHOICES and value not in _CHOICES[key]:
        return [Problem(where, f"'{key}' is {value!r}.",
                        f"Use one of: {', '.join(_CHOICES[key])}.")]
    if key in ("arr", "acv") and not is_number(value, low=0, high=MAX_AMOUNT):
        return [Problem(where, f"'{key}' is {value!r}.", "Give a number from 0 to "
                        f"{MAX_AMOUNT:.0e}, without currency signs or separators (e.g. "
                        "12500000).")]
    if key == "product_led" and not isinstance(value, bool):
        return [Problem(where, f"'product_led' is {value!r}.", "Use true or false.")]
    if key in ("reporting_weights", "self_assessment") and not isinstance(value, dict):
        return [Problem(where, f"'{key}' must be a list of 'name: value' lines, not {value!r}.",
                        "Indent each entry under the key, e.g. '  incentive_purity: 2'.")]
    if key == "segments":
        return _check_segments(where, value)
    if key in ("company", "currency") and not isinstance(value, str):
        return [Problem(where, f"'{key}' is {value!r}.", "Give it as text.")]
    if key == "currency" and not re.fullmatch(r"[A-Z]{3}", value):
        return [Problem(where, f"'currency' is {value!r}, not an ISO 4217 code (three capital "
                        "letters).", "Write the code, e.g. 'currency: EUR' (or USD, GBP).")]
    return []


SEGMENT_KEYS = ("name", "acv", "share", "accounts", "touch")


def _check_segments(where: str, value) -> list[Problem]:
    """The profile's ``segments``: a list of mappings, each with a unique ``name``, an
    ``acv``, either a ``share`` of ARR (all shares adding up to 1) or a number of
    ``accounts`` (the same choice for every segment), and optionally a ``touch``."""
    example = ("e.g. '  - {name: Enterprise, acv: 120000, share: 0.6, touch: high}' "
               "(see data/README.md)")
    if not isinstance(value, list) or not value:
        return [Problem(where, f"'segments' must be a list of segments, not {value!r}.",
                        f"Write one '- ' line per segment, {example}.")]
    problems, names, sizes = [], set(), set()
    for i, seg in enumerate(value, start=1):
        at = f"segment {i} of 'segments'"
        if not isinstance(seg, dict):
            problems.append(Problem(where, f"The {at} is {seg!r}, not a mapping.",
                                    f"Give name, acv and share or accounts, {example}."))
            continue
        unknown = [str(k) for k in seg if k not in SEGMENT_KEYS]
        if unknown:
            problems.append(Problem(where, f"The {at} has unknown key(s): "
                                    f"{', '.join(map(repr, unknown))}.",
                                    f"Its keys are: {', '.join(SEGMENT_KEYS)}."))
        name = seg.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 80:
            problems.append(Problem(where, f"The {at} has no usable 'name' ({name!r}).",
                                    "Name it with text of 1 to 80 characters."))
        elif name in names:
            problems.append(Problem(where, f"Two segments are named {name!r}.",
                                    "Give each segment its own name."))
        else:
            names.add(name)
        acv = seg.get("acv")
        if not is_number(acv, low=0, high=MAX_AMOUNT):
            problems.append(Problem(where, f"The {at} has 'acv' {acv!r}.",
                                    f"Give its average contract value, a number from 0 to "
                                    f"{MAX_AMOUNT:.0e}, without currency signs."))
        given = [k for k in ("share", "accounts") if seg.get(k) is not None]
        if len(given) != 1:
            problems.append(Problem(where, f"The {at} gives {' and '.join(given) or 'neither'}"
                                    " of 'share' and 'accounts'.",
                                    "Give exactly one: its share of ARR (0 to 1) or its number "
                                    "of accounts."))
        else:
            sizes.add(given[0])
            size = seg[given[0]]
            if given[0] == "share" and not is_number(size, above=0, high=1):
                problems.append(Problem(where, f"The {at} has 'share' {size!r}.",
                                        "Give its share of the company's ARR, a number "
                                        "above 0 and at most 1 (0.25 for a quarter)."))
            if given[0] == "accounts" and not is_number(size, low=1, whole=True):
                problems.append(Problem(where, f"The {at} has 'accounts' {size!r}.",
                                        "Give its number of accounts, a whole number >= 1."))
        if seg.get("touch") is not None and seg["touch"] not in TOUCH:
            problems.append(Problem(where, f"The {at} has 'touch' {seg['touch']!r}.",
                                    f"Use one of: {', '.join(TOUCH)}, or leave it out (the "
                                    "ACV then decides)."))
    if len(sizes) > 1:
        problems.append(Problem(where, "Some segments give a 'share' and others 'accounts'.",
                                "Use the same one for every segment."))
    elif not problems and sizes == {"share"}:
        total = sum(seg["share"] for seg in value)
        if abs(total - 1) > 0.01:
            problems.append(Problem(where, f"The segments' shares add up to {total:g}, not 1.",
                                    "Give each segment's share of the company's ARR so that "
                                    "together they make 1."))
    return problems


def default_profile_path(data_dir: str | Path, profile_path: str | Path | None) -> Path | None:
    """``profile_path`` if given, else ``<data_dir>/profile.yml`` if it exists, else None."""
    if profile_path is not None:
        return Path(profile_path)
    candidate = Path(data_dir) / "profile.yml"
    return candidate if candidate.is_file() else None
