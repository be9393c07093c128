"""The catalogue editor's form and the catalogue document (staff_web.catalogue_form): what is typed
becomes a document entry that the import's reading checks, and a stored entry fills the form
with every field of the document."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from eph import demo
from service_domain import catalogue
from service_domain.model import Code, OfferDefinition
from staff_web import catalogue_form

CG = demo.CARE_GIVER_A


def _parse(data: dict[str, Any], care_giver: str = CG) -> OfferDefinition:
    (definition,), _ = catalogue.parse_document({"offerDefinitions": [catalogue_form.build(data, care_giver).entry]})
    return definition


def _problems(data: dict[str, Any]) -> list[str]:
    with pytest.raises(catalogue.CatalogueError) as e:
        _parse(data)
    return e.value.problems


def _every_field() -> OfferDefinition:
    """The demo's CTNG entry with every optional field filled in, codes with every CVType field."""
    ctng = next(d for d in demo.catalogue() if d.care_giver == CG and d.offer_code == "CTNG")
    positive = Code("10828004", "1.2.752.116.2.1.1", "SNOMED CT-SE", "positiv", None, "2024-05")
    uncoded = Code(None, None, None, None, "urin, första portionen")
    chlamydia = replace(ctng.analyses[0], positive_values=(*ctng.analyses[0].positive_values, positive))
    return replace(ctng, analyses=(chlamydia, ctng.analyses[1]), specimen_material=uncoded, max_age=64)


def _typed() -> dict[str, Any]:
    return catalogue_form.form_data(_every_field())


@pytest.mark.parametrize("definition", [*demo.catalogue(), _every_field()],
                         ids=lambda d: f"{d.care_giver}-{d.offer_code}")
def test_a_stored_entry_fills_a_form_that_saves_it_unchanged(definition: OfferDefinition) -> None:
    data = catalogue_form.form_data(definition)
    assert _parse(data, definition.care_giver) == definition


def test_the_form_holds_the_self_service_flag() -> None:
    assert _typed()["self_service"] is True


def test_the_form_holds_the_self_service_limit() -> None:
    assert _typed()["self_service_orders_per_year"] == str(_every_field().self_service_orders_per_year)


def test_the_form_holds_the_accountable_care_unit() -> None:
    assert _typed()["accountable_care_unit"] == _every_field().accountable_care_unit


def test_the_form_holds_the_kit_return_window() -> None:
    assert _typed()["kit_return_days"] == str(_every_field().kit_return_days)


def test_the_form_holds_the_positive_values_of_each_analysis() -> None:
    positives = [[p["code"] for p in a["positives"]] for a in _typed()["analyses"]]
    assert positives == [[p.code for p in a.positive_values] for a in _every_field().analyses]


def test_empty_rows_are_not_part_of_the_entry() -> None:
    data = _typed()
    empty = catalogue_form.code_data(None)
    data["analyses"] = [{"code": empty, "display_name": "", "positives": [empty]},
                        *[{**a, "positives": [*a["positives"], empty]} for a in data["analyses"]],
                        {"code": empty, "display_name": " ", "positives": []}]
    assert _parse(data) == _every_field()


def test_a_number_is_read_as_typed() -> None:
    data = {**_typed(), "kit_return_days": " 12 "}
    assert _parse(data).kit_return_days == 12


def test_a_number_that_is_not_one_gets_the_refusal_a_document_gets() -> None:
    typed = _problems({**_typed(), "kit_return_days": "tolv"})
    entry = {**catalogue.to_document([_every_field()])["offerDefinitions"][0], "kitReturnDays": "tolv"}
    with pytest.raises(catalogue.CatalogueError) as imported:
        catalogue.parse_document({"offerDefinitions": [entry]})
    assert typed == imported.value.problems


def test_a_self_service_entry_without_a_care_unit_is_refused() -> None:
    (problem,) = _problems({**_typed(), "accountable_care_unit": ""})
    assert catalogue_form.where(problem, catalogue_form.build(_typed(), CG))[0] == ("accountable_care_unit",)


def test_a_problem_of_a_positive_value_is_placed_on_the_row_it_was_typed_in() -> None:
    data = _typed()
    empty = catalogue_form.code_data(None)
    data["analyses"] = [{"code": empty, "display_name": "", "positives": []}, *data["analyses"]]
    data["analyses"][2]["positives"] = [empty, {**empty, "code": "260373001", "code_system": "SNOMED"}]
    built = catalogue_form.build(data, CG)
    (problem,) = _problems(data)
    assert catalogue_form.where(problem, built)[0] == ("analyses", 2, "positives", 1, "code_system")


def test_an_analysis_without_a_name_is_placed_on_its_name() -> None:
    data = _typed()
    data["analyses"][1]["display_name"] = ""
    (problem,) = _problems(data)
    assert catalogue_form.where(problem, catalogue_form.build(data, CG))[0] == ("analyses", 1, "display_name")


def test_no_analysis_at_all_is_a_problem_of_the_analyses() -> None:
    data = {**_typed(), "analyses": []}
    (problem,) = _problems(data)
    assert catalogue_form.where(problem, catalogue_form.build(data, CG))[0] == ("analyses",)


def test_the_entry_is_the_administrators_care_giver() -> None:
    assert catalogue_form.build(_typed(), "SE2321000016-CG99").entry["careGiverHSAId"] == "SE2321000016-CG99"
