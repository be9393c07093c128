"""Result files for ``eph lab result``, read and judged against the contract before anything is
sent: what a file holds reaches the check, so a mistake in the file is listed, never dropped."""

from __future__ import annotations

from pathlib import Path

import pytest

from consumers.result_files import check_result_file_entry, read_results
from contracts.ns import CORE_NS

SET_RESULT_NS = "urn:riv:clinicalprocess:activity:selfsampling:SetResultResponder:1"


def _file(tmp_path: Path, result: str, prefix: str = "c:") -> Path:
    """A SetResult request, its elements in the contract's namespaces, or in none without a prefix."""
    p = prefix
    path = tmp_path / "result.xml"
    opening = f'<SetResult xmlns="{SET_RESULT_NS}" xmlns:c="{CORE_NS}">' if p else "<SetResult>"
    path.write_text(
        f"{opening}<laboratoryResult>"
        f"<{p}orderId>ORDER-1</{p}orderId><{p}performingLabHSAId>SE2321000016-LAB1</{p}performingLabHSAId>"
        f"<{p}resultVersion>1</{p}resultVersion><{p}reportStatus>FINAL</{p}reportStatus>"
        f"<{p}reportTime>20261125120000</{p}reportTime>"
        f"<{p}analysisResult><{p}code><{p}code>CT-NAAT</{p}code><{p}codeSystem>1.2.3</{p}codeSystem></{p}code>"
        f"<{p}text>negativ</{p}text>{result}<{p}status>FINAL</{p}status></{p}analysisResult>"
        "</laboratoryResult></SetResult>")
    return path


@pytest.fixture(scope="module", autouse=True)
def _zeep_loaded() -> None:
    check_result_file_entry({})  # the contract's client loads once for the module


def test_a_well_formed_result_file_has_no_problems(tmp_path: Path) -> None:
    assert check_result_file_entry(read_results(_file(tmp_path, ""))[0]) == []


def test_a_result_file_without_namespaces_has_no_problems(tmp_path: Path) -> None:
    assert check_result_file_entry(read_results(_file(tmp_path, "", prefix=""))[0]) == []


def test_a_misspelt_element_in_a_result_file_is_a_problem(tmp_path: Path) -> None:
    problems = check_result_file_entry(read_results(_file(tmp_path, "<c:interpretatoin>NEGATIVE</c:interpretatoin>"))[0])
    assert any("interpretatoin" in problem for problem in problems)


def test_an_element_of_another_namespace_in_a_result_file_is_a_problem(tmp_path: Path) -> None:
    problems = check_result_file_entry(
        read_results(_file(tmp_path, '<x:note xmlns:x="urn:example:notes">n</x:note>'))[0])
    assert any("note" in problem for problem in problems)
