"""docs/cli.md is generated from --help and must be current."""

from __future__ import annotations

from pathlib import Path

from wanamaker.cli.reference import render


def test_cli_reference_is_current() -> None:
    doc = Path(__file__).parents[2] / "docs" / "cli.md"
    assert doc.read_text() == render(), "run: python -m wanamaker.cli.reference > docs/cli.md"


def test_contract_docs_are_current() -> None:
    from wanamaker.schema.docs import render as render_contracts

    doc = Path(__file__).parents[2] / "docs" / "contracts.md"
    assert doc.read_text() == render_contracts(), "run: python -m wanamaker.schema.docs > docs/contracts.md"
