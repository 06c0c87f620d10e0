"""The one table of the inventory's methods (``build.CALCULATIONS``: template → method → inputs
and factors) covers every activity template and every category of the source classification
(``data/source_classification.csv``), and names only methods, parameters and columns that exist."""

from __future__ import annotations

import inspect

import pytest

from lantian.inventory import factors, methods
from lantian.inventory.activity import TEMPLATES
from lantian.inventory.build import CALCULATIONS, Calculation


def test_every_template_has_a_calculation_and_every_calculation_a_template():
    assert {c.template for c in CALCULATIONS} == set(TEMPLATES)


def fixed(calculation: Calculation) -> tuple[str | None, ...]:
    """The calculation's levels that are names (None where a level is read from the rows)."""
    return tuple(level if isinstance(level, str) else None for level in calculation.levels)


@pytest.mark.parametrize(
    "row",
    factors.source_classification(),
    ids=lambda r: f"{r['category']}-{r['sector']}-{r['fuel_product']}",
)
def test_every_category_of_the_classification_is_computed(row):
    """A classification row is computed by a calculation whose named levels are the row's (a
    level the calculation reads from the rows, e.g. the enterprise's industry, matches any)."""
    wanted = (row["category"], row["sector"], row["fuel_product"])
    matching = [
        c
        for c in CALCULATIONS
        if fixed(c)[0] == row["category"]
        and all(
            f is None or not w or f == w for f, w in zip(fixed(c)[1:3], wanted[1:], strict=True)
        )
    ]
    assert matching, f"no calculation for {wanted}"


def test_every_named_category_is_in_the_classification():
    """The reverse: no calculation files rows under a category the classification lacks (the
    emission-factor template reads all four levels from its rows)."""
    categories = {row["category"] for row in factors.source_classification()}
    for calculation in CALCULATIONS:
        category = fixed(calculation)[0]
        assert category is None or category in categories, calculation.method
    assert fixed(next(c for c in CALCULATIONS if c.template == "emission_factor")) == (None,) * 4


@pytest.mark.parametrize("calculation", CALCULATIONS, ids=lambda c: f"{c.template}-{c.method}")
def test_each_calculation_names_a_method_its_parameters_and_its_templates_columns(calculation):
    method = getattr(methods, calculation.method)
    parameters = inspect.signature(method).parameters
    assert set(calculation.inputs) <= set(parameters)
    needed = {n for n, p in parameters.items() if p.default is inspect.Parameter.empty}
    assert needed <= set(calculation.inputs), f"{calculation.method} lacks {needed}"
    columns = {f.key for f in TEMPLATES[calculation.template].table.fields}
    named = [
        given if isinstance(given, str) else given[0]
        for given in calculation.inputs.values()
        if isinstance(given, str | tuple)
    ]
    named += [*calculation.required, calculation.control, calculation.group_by]
    assert {n for n in named if n} <= columns
