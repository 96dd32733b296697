"""Chapter parameters from outside (``-p NAME VALUE``): read as data, checked, written as data.

A ``-p`` value is read as a Python literal, else as the text itself
(:func:`parse_value`); it is never evaluated. :func:`check_parameters` then accepts
only what a parameter can be, namely text, numbers, ``True``/``False``, ``None`` and
lists and dicts (with text keys) of those, checked against the type the chapter's
``parameters`` cell declares (as papermill's ``inspect_notebook`` reads it), with
finite floats, bounded integers, bounded nesting and bounded size. Anything else
stops with a message that names the parameter and the types it takes.

The values reach the notebook through :func:`parameters_cell`, never through
papermill's translators (which write a tuple, a set or bytes as ``"`` + ``str(value)``
+ ``"`` without escaping, so a crafted value would run as code). The cell's only code
is ``globals().update(__import__("json").loads(LITERAL))`` where ``LITERAL`` is the
``repr()`` of one ASCII JSON text: whatever the values hold, the cell parses to the
same statement, and running it only binds the parameters' names to those values.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from ._checks import is_number, shown
from .book import visible
from .exceptions import ParameterError

if TYPE_CHECKING:  # the notebook tools are imported where a notebook is written
    import nbformat

RESERVED = ("data_dir", "profile_path")  # set by --data and --profile

# Bounds on one value (the book's own limits: far beyond any real parameter).
MAX_TEXT = 10_000  # characters in a -p value, and in any text inside it
MAX_INT = 10**15  # magnitude of an integer
MAX_DEPTH = 4  # lists and dicts nested inside one another
MAX_ITEMS = 1_000  # list items and dict entries in one value, all levels together

# What each declared type takes, by the name papermill infers from the annotation.
_TAKES = {
    "str": "text",
    "int": "an integer",
    "float": "a number",
    "bool": "True or False",
    "dict": "a dict of text keys to values, like {'adoption': 0.4}",
    "list": "a list, like [1, 2]",
}
_ANY = ("text, a number, True/False, None, or a list or dict of those "
        "(dict keys are text)")


def parse_value(text: str):
    """A ``-p`` value as a Python literal, else as the string itself. Never evaluated.

    Arithmetic is text too: ``literal_eval`` would read the month 2024-10 as 2014.
    What the literal may be is checked later (:func:`check_parameters`): a tuple, a
    set or bytes parse here and are refused there.

    >>> parse_value("0.1"), parse_value("None"), parse_value("2024-10"), parse_value("{'a': 1}")
    (0.1, None, '2024-10', {'a': 1})
    >>> parse_value("__import__('os').remove('x')"), parse_value("-5")
    ("__import__('os').remove('x')", -5)
    """
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        return text  # refused by check_value with the limit in the message
    try:
        tree = ast.parse(text.strip(), mode="eval")
        if any(isinstance(node, ast.BinOp) for node in ast.walk(tree)):
            return text
        return ast.literal_eval(tree)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _kind(value) -> str:
    """A reader's word for the type of ``value``."""
    names = {bool: "True/False", int: "an integer", float: "a number", str: "text",
             list: "a list", dict: "a dict", tuple: "a tuple", set: "a set",
             frozenset: "a set", bytes: "bytes", complex: "a complex number",
             type(None): "None", type(Ellipsis): "Ellipsis"}
    return names.get(type(value), f"a {type(value).__name__}")


def _problem(value, depth: int = 0, count: list | None = None) -> str | None:
    """Why ``value`` cannot be a parameter value (None if it can)."""
    count = [0] if count is None else count
    if value is None or isinstance(value, bool):
        return None
    if type(value) is int:
        return None if is_number(value, low=-MAX_INT, high=MAX_INT) else (
            f"an integer beyond ±{MAX_INT:.0e}")
    if type(value) is float:
        return None if is_number(value) else f"{value!r}, which is not a finite number"
    if type(value) is str:
        return None if len(value) <= MAX_TEXT else f"text longer than {MAX_TEXT:,} characters"
    if type(value) not in (list, dict):
        return _kind(value)
    if depth >= MAX_DEPTH:
        return f"lists or dicts nested more than {MAX_DEPTH} deep"
    count[0] += len(value)
    if count[0] > MAX_ITEMS:
        return f"more than {MAX_ITEMS:,} items"
    if isinstance(value, dict):
        for key in value:
            if type(key) is not str:
                return f"a dict whose key {key!r} is {_kind(key)}, not text"
        items = list(value.values())
    else:
        items = value
    for item in items:
        why = _problem(item, depth + 1, count)
        if why:
            return why
    return None


def check_value(name: str, value, declared: str | None = None, default: str = "None"):
    """``value`` for the parameter ``name`` of declared type ``declared`` (papermill's
    ``inferred_type_name``), or :class:`ParameterError` saying what it takes.

    ``None`` is taken only where the chapter's default is ``None``; a ``float``
    parameter takes an integer as a float.

    >>> check_value("years", 5, "int"), check_value("nrr", 1, "float")
    (5, 1.0)
    >>> try:
    ...     check_value("as_of", ("x",), "str")
    ... except ParameterError as err:
    ...     print(err)
    -p as_of: a tuple is not a value a parameter can take. as_of takes text (or None).
    """
    nullable = str(default).strip() == "None"
    takes = _TAKES.get(declared or "", _ANY)
    says = f"{name} takes {takes}{' (or None)' if nullable and takes != _ANY else ''}."
    why = _problem(value)
    if why:
        raise ParameterError(f"-p {name}: {why} is not a value a parameter can take. {says}")
    if value is None:
        if nullable or declared not in _TAKES:
            return None
        raise ParameterError(f"-p {name}: None is not allowed here. {says}")
    wanted = {"str": (str,), "int": (int,), "float": (int, float), "bool": (bool,),
              "dict": (dict,), "list": (list,)}.get(declared or "")
    if wanted is None:
        return value
    if (isinstance(value, bool) and declared != "bool") or not isinstance(value, wanted):
        hint = (f" To give the text {value!r}, quote it: -p {name} \"'{value}'\"."
                if declared == "str" and type(value) in (int, float) else "")
        raise ParameterError(f"-p {name}: {_kind(value)} ({shown(value)}) is not allowed "
                             f"here. {says}{hint}")
    return float(value) if declared == "float" else value


def declared(notebook: Path) -> dict[str, dict]:
    """The chapter's parameters as papermill's ``inspect_notebook`` reads its parameters cell."""
    import papermill as pm

    return dict(pm.inspect_notebook(str(notebook)))


def _listing(known: Mapping[str, dict]) -> str:
    return ", ".join(f"{k} ({v['inferred_type_name']})" for k, v in known.items()
                     if k not in RESERVED)


def check_parameters(notebook: Path, parameters: Mapping) -> dict:
    """The parameters for ``notebook`` checked and typed; refuse names the chapter does not
    have (or that --data/--profile set) and values its declared types do not take."""
    known = declared(notebook)
    checked = {}
    for name, value in parameters.items():
        if name in RESERVED:
            raise ParameterError(f"-p {name} is set by --data/--profile; use those options.")
        if name not in known:
            raise ParameterError(f"The chapter {notebook.stem} has no parameter "
                                 f"'{visible(name)}'. Its parameters are: {_listing(known)}.")
        spec = known[name]
        checked[name] = check_value(name, value, spec["inferred_type_name"], spec["default"])
    return checked


def book_parameters(notebooks: Mapping[str, Path], parameters: Mapping) -> dict[str, dict]:
    """Per chapter, the ``csmodels book`` parameters that apply to it, checked.

    ``NAME`` applies to every chapter that has a parameter of that name, and
    ``CHAPTER.NAME`` to that chapter only; a name no chapter has is refused with the
    list of valid ones.
    """
    known = {chapter: declared(path) for chapter, path in notebooks.items()}
    shared = sorted({n for names in known.values() for n in names if n not in RESERVED})
    valid = (f"Valid names: {', '.join(shared)} (for every chapter that has it), or "
             "CHAPTER.NAME for one chapter, with CHAPTER one of "
             f"{', '.join(notebooks)}.")
    wanted: dict[str, dict] = {chapter: {} for chapter in notebooks}
    for key, value in parameters.items():
        chapter, dot, name = key.rpartition(".")
        shown = visible(key)  # a name typed wrong may hold anything
        if name in RESERVED:
            raise ParameterError(f"-p {shown} is set by --data/--profile; use those options.")
        if dot and chapter not in notebooks:
            raise ParameterError(f"-p {shown}: there is no chapter '{visible(chapter)}'. "
                                 f"{valid}")
        targets = [chapter] if chapter else [c for c, names in known.items() if name in names]
        if not targets or name not in known[targets[0]]:
            which = f"The chapter {chapter} has no" if chapter else "No chapter has a"
            raise ParameterError(f"-p {shown}: {which} parameter '{visible(name)}'. {valid}")
        for target in targets:
            wanted[target][name] = value
    return {chapter: check_parameters(notebooks[chapter], values)
            for chapter, values in wanted.items()}


def parameters_source(values: Mapping) -> str:
    """The code of the cell that sets ``values``: one JSON text in one string literal.

    >>> print(parameters_source({"as_of": "2025-06"}).splitlines()[-1])
    globals().update(__import__("json").loads('{"as_of": "2025-06"}'))
    """
    text = json.dumps(dict(values), ensure_ascii=True, allow_nan=False)
    return ("# Parameters of this run, set by csmodels from --data, --profile and -p "
            "(one JSON text, read as data)\n"
            f'globals().update(__import__("json").loads({text!r}))')


def inject_parameters(nb: nbformat.NotebookNode, values: Mapping) -> None:
    """Put the cell that sets ``values`` right after the chapter's ``parameters`` cell
    (or first, if it has none), tagged ``injected-parameters`` as papermill tags its own."""
    import nbformat

    index = next((i + 1 for i, cell in enumerate(nb.cells)
                  if "parameters" in cell.metadata.get("tags", [])), 0)
    cell = nbformat.v4.new_code_cell(parameters_source(values))
    cell.metadata["tags"] = ["injected-parameters"]
    nb.cells.insert(index, cell)
