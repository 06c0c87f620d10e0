"""The reduced-form response model: how much PM2.5 a change of the local emissions removes.

The annual mean PM2.5 of the base year, C₀ [µg/m³], is split into components (a source
apportionment's result):

    C₀ = C_regional + Σ_s C_primary,s + Σ_k C_secondary,k (+ C_unattributed)

* ``regional`` — transported from outside the district: no local measure changes it;
* ``primary`` of source category s (扬尘源, 机动车, 燃煤 …, the inventory's ``category``): falls in
  proportion to the category's primary PM2.5 emission, ΔC_s = −C_s · ΔE_s,PM2.5 / E_s,PM2.5;
* ``secondary`` species k (sulphate, nitrate, SOA, ammonium): falls with the district's total
  emission of its precursors p, ΔC_k = −C_k · Σ_p β_k,p · ΔE_p / E_p, with the coefficients β kept
  as data (``data/secondary_response.csv``: the default is proportional rollback, β = 1, de Nevers
  & Morris 1975 — an assumption, cited as one);
* ``unattributed`` (其他, 未解析): left alone.

So every (category, pollutant) cell of the inventory has a weight w [µg/m³ per t] and

    ΔC = − Σ_c,p w_c,p · ΔE_c,p        (ΔE: tonnes removed, positive)

— linear in the emission change, zero when nothing changes. The weights come from one of three
bases, and every output names the one in use (:attr:`ResponseMatrix.basis`):

* ``apportionment`` — an imported apportionment result (PMF output, or a published apportionment
  for the city): its components' shares of C₀;
* ``inventory`` — no apportionment: the local primary part split by the inventory's primary PM2.5
  shares, with the regional and secondary fractions *stated* by the district (they are shown);
* ``ctm`` — imported chemical-transport-model sensitivities: the PM2.5 change [µg/m³] for removing
  all of a category's emission of a pollutant (the zero-out or brute-force sensitivity; the relative
  response factor of US EPA's SMAT-CE and China's ABaCAS applies the same linear idea), so
  w_c,p = S_c,p / E_c,p.

Assumptions (``docs/planning.md``): linearity (fine for the small changes of one plan year, not
for large ones); the base year's meteorology; a category's primary PM2.5 concentration shares its
emission's spatial pattern; secondary PM formed locally from local precursors. A cell whose
emission is zero can carry no weight; it is reported in :attr:`ResponseMatrix.notes`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from lantian.standards.tables import table

PACKAGE = "lantian.planning"
COMPONENT_KINDS = ("regional", "primary", "secondary", "unattributed")
SPECIES = ("sulphate", "nitrate", "SOA", "ammonium")
SPECIES_ZH = {
    "sulphate": "硫酸盐",
    "nitrate": "硝酸盐",
    "SOA": "二次有机气溶胶",
    "ammonium": "铵盐",
}
BASES = ("apportionment", "inventory", "ctm")
BASIS_ZH = {
    "apportionment": "源解析结果",
    "inventory": "清单一次排放占比",
    "ctm": "空气质量模型敏感性",
}
PRIMARY = "PM2.5"


@dataclass(frozen=True)
class Component:
    """One component of an apportionment: ``share`` of C₀ [1] of a ``kind`` of COMPONENT_KINDS,
    with the inventory ``category`` it maps to (primary) or its ``species`` (secondary)."""

    name: str
    kind: str
    share: float
    category: str | None = None
    species: str | None = None


@dataclass(frozen=True)
class EmissionMatrix:
    """Emissions [t/a] by inventory ``categories`` (rows) and ``pollutants`` (columns)."""

    categories: tuple[str, ...]
    pollutants: tuple[str, ...]
    values: npt.NDArray[np.float64]

    @classmethod
    def from_rows(
        cls,
        category: Sequence[str],
        pollutant: Sequence[str],
        emission: Sequence[float],
        categories: Iterable[str] = (),
        pollutants: Iterable[str] = (),
    ) -> EmissionMatrix:
        """Sum long rows (category, pollutant, emission [t]) into the matrix, whole-column."""
        cat = np.asarray(category, dtype=object)
        pol = np.asarray(pollutant, dtype=object)
        rows = tuple(dict.fromkeys([*categories, *cat.tolist()]))
        cols = tuple(dict.fromkeys([*pollutants, *pol.tolist()]))
        values = np.zeros((len(rows), len(cols)))
        if len(cat):
            row_index = {name: i for i, name in enumerate(rows)}
            col_index = {name: j for j, name in enumerate(cols)}
            i = np.vectorize(row_index.__getitem__, otypes=[int])(cat)
            j = np.vectorize(col_index.__getitem__, otypes=[int])(pol)
            np.add.at(values, (i, j), np.asarray(emission, dtype=float))
        return cls(rows, cols, values)

    @classmethod
    def from_inventory(cls, inventory: pa.Table) -> EmissionMatrix:
        """The matrix of an inventory table (``lantian.inventory.load``: category, pollutant,
        tonnes)."""
        return cls.from_rows(
            inventory["category"].to_pylist(),
            inventory["pollutant"].to_pylist(),
            inventory["tonnes"].to_numpy(zero_copy_only=False),
        )

    def column(self, pollutant: str) -> npt.NDArray[np.float64]:
        """The emissions of ``pollutant`` by category (zeros when absent)."""
        if pollutant not in self.pollutants:
            return np.zeros(len(self.categories))
        return self.values[:, self.pollutants.index(pollutant)]

    def aligned(self, other: EmissionMatrix) -> npt.NDArray[np.float64]:
        """``other``'s values laid out on this matrix's rows and columns (absent cells 0)."""
        out = np.zeros_like(self.values)
        for i, cat in enumerate(other.categories):
            if cat not in self.categories:
                raise ValueError(f"emission change for category {cat!r} not in the inventory")
            for j, pol in enumerate(other.pollutants):
                if pol in self.pollutants:
                    out[self.categories.index(cat), self.pollutants.index(pol)] += other.values[
                        i, j
                    ]
        return out


@dataclass(frozen=True)
class ResponseMatrix:
    """The weights w [µg/m³ per t removed] of each inventory cell, and where they come from."""

    emissions: EmissionMatrix
    weights: npt.NDArray[np.float64]
    base_concentration: float
    basis: str
    basis_name: str
    components: tuple[Component, ...]
    notes: tuple[str, ...] = field(default=())

    def change(self, removed: npt.NDArray[np.float64] | EmissionMatrix) -> float:
        """ΔC [µg/m³] (negative: cleaner) when ``removed`` tonnes are taken away."""
        cells = self.emissions.aligned(removed) if isinstance(removed, EmissionMatrix) else removed
        return -float(np.sum(self.weights * np.asarray(cells, dtype=float)))

    def sector_weights(self) -> dict[tuple[str, str], float]:
        """Each cell's weight [µg/m³ per t], the non-zero ones."""
        return {
            (cat, pol): float(self.weights[i, j])
            for i, cat in enumerate(self.emissions.categories)
            for j, pol in enumerate(self.emissions.pollutants)
            if self.weights[i, j] != 0
        }


def secondary_coefficients() -> dict[str, dict[str, float]]:
    """β [1] of each secondary species by precursor (``data/secondary_response.csv``, defaults)."""
    out: dict[str, dict[str, float]] = {}
    for row in table("secondary_response", PACKAGE, "data"):
        out.setdefault(row["species"], {})[row["precursor"]] = float(row["coefficient"])
    return out


def check_components(components: Sequence[Component]) -> None:
    """Refuse shares outside [0, 1], a total above 1, unknown kinds or species."""
    for c in components:
        if c.kind not in COMPONENT_KINDS:
            raise ValueError(f"component {c.name!r}: kind {c.kind!r}; valid: {COMPONENT_KINDS}")
        if not 0 <= c.share <= 1:
            raise ValueError(f"component {c.name!r}: share {c.share} is not a fraction in [0, 1]")
        if c.kind == "secondary" and c.species not in SPECIES:
            raise ValueError(f"component {c.name!r}: species {c.species!r}; valid: {SPECIES}")
        if c.kind == "primary" and not c.category:
            raise ValueError(f"component {c.name!r}: a primary component names its category")
    total = sum(c.share for c in components)
    if total > 1 + 1e-6:
        raise ValueError(f"the components' shares add up to {total:.4f} > 1")


def apportionment_response(
    base_concentration: float,
    components: Sequence[Component],
    emissions: EmissionMatrix,
    basis_name: str,
    coefficients: Mapping[str, Mapping[str, float]] | None = None,
    basis: str = "apportionment",
) -> ResponseMatrix:
    """The weights of an apportionment's components over the inventory (module docstring).

    Parameters
    ----------
    base_concentration : the base year's annual mean PM2.5 C₀ [µg/m³]
    components : the apportionment's components, shares of C₀ [1]
    emissions : the base year's inventory by category and pollutant [t/a]
    basis_name : the apportionment result's name (shown on every output)
    coefficients : β by species and precursor (default: ``data/secondary_response.csv``)
    """
    check_components(components)
    coefficients = secondary_coefficients() if coefficients is None else coefficients
    weights = np.zeros_like(emissions.values)
    notes: list[str] = []
    primary_col = _column_index(emissions, PRIMARY)
    for c in components:
        contribution = base_concentration * c.share
        if c.kind == "primary":
            notes += _add_primary(weights, emissions, primary_col, c, contribution)
        elif c.kind == "secondary":
            notes += _add_secondary(weights, emissions, c, contribution, coefficients)
    return ResponseMatrix(
        emissions, weights, base_concentration, basis, basis_name, tuple(components), tuple(notes)
    )


def _column_index(emissions: EmissionMatrix, pollutant: str) -> int | None:
    return emissions.pollutants.index(pollutant) if pollutant in emissions.pollutants else None


def _add_primary(weights, emissions, col, component: Component, contribution: float) -> list[str]:
    if component.category not in emissions.categories or col is None:
        return [f"{component.name}: 清单中无类别 {component.category} 的 PM2.5 排放，不随措施变化"]
    row = emissions.categories.index(component.category)
    tonnes = emissions.values[row, col]
    if tonnes <= 0:
        return [f"{component.name}: 清单中 {component.category} 的 PM2.5 排放为 0，不随措施变化"]
    weights[row, col] += contribution / tonnes
    return []


def _add_secondary(weights, emissions, component, contribution, coefficients) -> list[str]:
    notes = []
    for precursor, beta in coefficients.get(component.species, {}).items():
        column = emissions.column(precursor)
        total = column.sum()
        if total <= 0:
            notes.append(f"{component.name}: 清单中无前体物 {precursor} 的排放，不随措施变化")
            continue
        emitting = column > 0  # a category without this precursor has nothing to remove
        weights[:, emissions.pollutants.index(precursor)] += emitting * contribution * beta / total
    return notes


def inventory_components(
    emissions: EmissionMatrix, regional_share: float, secondary_shares: Mapping[str, float]
) -> tuple[Component, ...]:
    """Components from the inventory's primary PM2.5 shares, with the stated regional and
    secondary fractions [1]: the local primary part 1 − regional − Σ secondary is split among the
    categories by their share of the inventory's primary PM2.5."""
    primary_total = 1 - regional_share - sum(secondary_shares.values())
    if primary_total < -1e-9:
        raise ValueError("the stated regional and secondary fractions add up to more than 1")
    pm = emissions.column(PRIMARY)
    if pm.sum() <= 0:
        raise ValueError("the inventory has no primary PM2.5 emission to take shares from")
    shares = pm / pm.sum() * max(primary_total, 0.0)
    return (
        Component("区域传输", "regional", regional_share),
        *(
            Component(SPECIES_ZH.get(k, k), "secondary", v, species=k)
            for k, v in secondary_shares.items()
        ),
        *(
            Component(cat, "primary", float(s), category=cat)
            for cat, s in zip(emissions.categories, shares, strict=True)
            if s > 0
        ),
    )


def ctm_response(
    base_concentration: float,
    sensitivities: Mapping[tuple[str, str], float],
    emissions: EmissionMatrix,
    basis_name: str,
) -> ResponseMatrix:
    """Weights from CTM sensitivities S [µg/m³ removed for a 100 % cut of a (category, pollutant)
    emission]: w = S / E (module docstring)."""
    weights = np.zeros_like(emissions.values)
    notes = []
    for (category, pollutant), value in sensitivities.items():
        if value < 0:
            raise ValueError(f"sensitivity of {category}/{pollutant} is negative ({value})")
        if category not in emissions.categories or pollutant not in emissions.pollutants:
            notes.append(f"{category}/{pollutant}: 清单中无此排放，敏感系数未用")
            continue
        i, j = emissions.categories.index(category), emissions.pollutants.index(pollutant)
        if emissions.values[i, j] <= 0:
            notes.append(f"{category}/{pollutant}: 清单排放为 0，敏感系数未用")
            continue
        weights[i, j] = value / emissions.values[i, j]
    return ResponseMatrix(
        emissions, weights, base_concentration, "ctm", basis_name, (), tuple(notes)
    )
