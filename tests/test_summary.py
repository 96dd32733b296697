"""The Summary base: figures declared once, glued, printed and written as JSON alike."""

from dataclasses import FrozenInstanceError, dataclass

import pytest

from csmodels.summary import Summary, drawn, figure, section


@dataclass(frozen=True)
class Part(Summary):
    auc: float | None = figure("Health AUC", "number")


@dataclass(frozen=True)
class Whole(Summary):
    as_of: str = figure("Month", "text")
    nrr: float | None = figure("NRR", "ratio")
    arr: float = figure("ARR", "money")
    health: Part | None = section()
    note: str = "not a figure"


def test_to_dict_rounds_by_unit_and_nests_sections():
    s = Whole("2025-12", 1.0435907229503996, 16981899.240000002, Part(0.76123456789))
    assert s.to_dict() == {"as_of": "2025-12", "nrr": 1.043591, "arr": 16981899.24,
                           "health": {"auc": 0.761235}}


def test_undefined_figures_are_null_na_and_never_glued():
    s = Whole("2025-12", None, float("nan"), None)
    assert s.to_dict()["nrr"] is None and s.to_dict()["arr"] is None
    glued = {}
    keys = s.glue(lambda k, v, display: glued.setdefault(k, v), prefix="m_")
    assert keys == ["m_as_of", "m_arr"] and "m_nrr" not in glued
    assert dict((k, v) for k, _, v in s.rows())["nrr"] == "n/a"


def test_glue_formats_for_prose_with_the_currency():
    s = Whole("2025-12", 0.951, 2_500_000, Part(0.5))
    glued = {}
    s.glue(lambda k, v, display: glued.__setitem__(k, v), currency="EUR")
    assert glued == {"as_of": "2025-12", "nrr": "95.1%", "arr": "EUR 2.5M",
                     "health_auc": "0.50"}
    assert s.text("health_auc") == "0.50"
    with pytest.raises(KeyError):
        s.text("note")


def test_frozen_and_units_checked():
    with pytest.raises(FrozenInstanceError):
        Whole("2025-12", 1.0, 1.0).nrr = 2.0
    with pytest.raises(ValueError, match="unit"):
        figure("x", "percent")


@dataclass(frozen=True)
class Drawn(Summary):
    nrr: float | None = figure("NRR", "ratio")
    table: object = drawn()


def test_what_a_chapter_draws_is_no_figure_and_no_part_of_equality():
    a, b = Drawn(1.04, table=["a chart's rows"]), Drawn(1.04, table=["other rows"])
    assert a == b and a.table == ["a chart's rows"] and Drawn(1.04).table is None
    assert "rows" not in repr(a) and a.to_dict() == {"nrr": 1.04}
    assert [key for key, _, _ in a.rows()] == ["nrr"]
    assert a.glue(lambda *args, **kwargs: None) == ["nrr"]
    assert a != Drawn(1.05, table=["a chart's rows"])


@dataclass(frozen=True)
class Settings(Summary):
    nps_window: int = figure("NPS window (months)", "count")


@dataclass(frozen=True)
class WithSettings(Summary):
    nrr: float | None = figure("NRR", "ratio")
    health: Part | None = section()
    settings: Settings | None = section(flat=True)


def test_a_flat_sections_figures_keep_their_own_names():
    s = WithSettings(1.04, Part(0.5), Settings(12))
    glued = {}
    assert s.glue(lambda k, v, display: glued.__setitem__(k, v)) == [
        "nrr", "health_auc", "nps_window"]
    assert glued["nps_window"] == "12" and s.text("nps_window") == "12"
    assert [key for key, _, _ in s.rows()] == ["nrr", "health_auc", "nps_window"]
    assert s.to_dict() == {"nrr": 1.04, "health": {"auc": 0.5}, "settings": {"nps_window": 12}}
    with pytest.raises(KeyError):
        s.text("settings_nps_window")
