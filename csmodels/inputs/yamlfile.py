"""A reader's small YAML files (``mapping.yml``, ``profile.yml``): read safely, refused clearly.

:func:`load_yaml` reads a regular file of at most :data:`~csmodels.inputs.limits.MAX_YAML_BYTES`
with anchors and aliases refused; :func:`read_yaml_mapping` turns every way that can fail
(missing, not a regular file, not readable, refused, not YAML, not ``key: value`` lines)
into one :class:`~csmodels.exceptions.DataError` that names the file and says what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ..exceptions import DataError, Problem
from .limits import MAX_YAML_BYTES, NotRegular, open_regular, short, size_text


class YamlRefused(Exception):
    """A YAML file outside the budget or with an alias; ``str()`` says which."""


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader, refusing anchors and aliases: nested aliases expand
    exponentially (a 433-byte 'billion laughs' file asks for gigabytes)."""

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None) is not None:
            raise YamlRefused(f"it uses a YAML anchor or alias (line {event.start_mark.line + 1})")
        return super().compose_node(parent, index)


def load_yaml(path: Path):
    """The YAML document in ``path``: a regular file of at most :data:`MAX_YAML_BYTES`,
    UTF-8, without anchors or aliases.

    Raises :class:`YamlRefused`, :class:`~csmodels.inputs.limits.NotRegular`, ``OSError``,
    ``UnicodeDecodeError`` or ``yaml.YAMLError``.
    """
    with open_regular(path) as fh:
        data = fh.read(MAX_YAML_BYTES + 1)
    if len(data) > MAX_YAML_BYTES:
        raise YamlRefused(f"it is larger than {size_text(MAX_YAML_BYTES)}")
    return yaml.load(data.decode("utf-8-sig"), Loader=_NoAliasLoader)


def first_refused_character(value, refused: Callable[[str], bool]) -> tuple[str, str] | None:
    """The first character ``refused`` is true of in any key or text value of ``value``
    (at any depth), and the text holding it; ``None`` when there is none.

    >>> first_refused_character({"a": ["ok", "b\\x1b[31m"]}, lambda ch: ord(ch) < 32)
    ('\\x1b', 'b\\x1b[31m')
    """
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            stack += item
        elif isinstance(item, str):
            bad = next((ch for ch in item if refused(ch)), None)
            if bad is not None:
                return bad, item
    return None


@dataclass(frozen=True)
class YamlHints:
    """What to tell the reader, for each way one kind of YAML file can fail.

    Each field is the hint (what to do) of one failure; ``not_a_mapping`` is the whole
    (message, hint) for a document that is not ``key: value`` lines.
    """

    missing: str
    not_a_file: str
    refused: str
    invalid: str
    not_a_mapping: tuple[str, str]


def read_yaml_mapping(path: Path, what: str, hints: YamlHints) -> dict:
    """The ``key: value`` lines of the YAML file ``path`` (``{}`` for an empty file), or
    :class:`~csmodels.exceptions.DataError` naming the file, what is wrong with ``what``
    (``"mapping"``, ``"profile"``) and what to do.

    >>> read_yaml_mapping(Path("data/sample/profile.yml"), "profile", YamlHints(
    ...     "", "", "", "", ("", "")))["funding_stage"]
    'series-b'
    """
    where = str(path)

    def refuse(message: str, hint: str) -> DataError:
        return DataError([Problem(where, message, hint)])

    try:
        raw = load_yaml(path)
    except FileNotFoundError:
        raise refuse(f"The {what} file does not exist.", hints.missing) from None
    except YamlRefused as err:
        raise refuse(f"The {what} is refused: {err}.", hints.refused) from None
    except NotRegular as err:
        raise refuse(f"The {what} is {err.kind}, not a file.", hints.not_a_file) from None
    except PermissionError:
        raise refuse(f"csmodels may not read the {what} (permission denied).",
                     "Give yourself read access to it (chmod u+r), or copy it.") from None
    except (yaml.YAMLError, UnicodeDecodeError, OSError, ValueError) as err:
        raise refuse(f"The {what} is not valid YAML ({short(err)}).", hints.invalid) from None
    raw = raw or {}
    if not isinstance(raw, dict):
        raise refuse(*hints.not_a_mapping)
    return raw
