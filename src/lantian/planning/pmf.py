"""Positive Matrix Factorization with US EPA's ESAT, run from within Lantian, stored as an
apportionment result (issue #16 part 3).

ESAT (``esat`` 2025.0.1 on PyPI, the Environmental Source Apportionment Toolkit) pins numpy 2.2.6,
pandas 2.3.0, scipy 1.15.3 and click 8.2.1, which Lantian's locked environment cannot take; so it
lives in its own environment (``scripts/esat`` makes ``.tools/esat``; the setting
``LANTIAN_ESAT_PYTHON`` names another) and :func:`run_esat` runs ``esat_worker.py`` there as a
separate process, exchanging NumPy files in a temporary folder.

Input: speciation data V and their uncertainties U (samples × species [µg/m³]; one column, the
``total`` — usually PM2.5 mass — is the total variable). Output (:class:`PmfRun`): the factor
profiles H (factors × species), the contributions W (samples × factors), Q(true) and Q(robust).
:func:`factor_shares` gives each factor's share of the total variable's mean (Σ_f W̄_f · H_f,total
over the mean reconstructed total), which becomes the result's components once the analyst has
named what each factor is (``--factor "Factor 1=一次源:扬尘源"``); an unnamed factor is stored as
``unattributed`` (未解析), so it never moves with a measure.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session

from lantian.plan.access import Actor
from lantian.planning.apportionment import COMPONENT_KIND_ZH, store_result
from lantian.planning.response import SPECIES_ZH, Component
from lantian.settings import settings

ROOT = Path(__file__).resolve().parents[3]
OPTIONS = {
    "method": "ls-nmf",
    "models": 10,
    "seed": 42,
    "max_iter": 20000,
    "converge_delta": 0.1,
    "converge_n": 100,
}
"""ESAT's BatchSA settings Lantian uses unless told otherwise (ESAT's own defaults but 10 models)."""


class EsatUnavailableError(RuntimeError):
    """ESAT's environment is missing or ESAT failed; the message says how to make it."""


@dataclass(frozen=True)
class PmfRun:
    """One ESAT run: profiles H [µg/m³ per unit contribution], contributions W, the fit."""

    species: tuple[str, ...]
    profiles: npt.NDArray[np.float64]
    contributions: npt.NDArray[np.float64]
    q_true: float
    q_robust: float
    converged: bool
    esat_version: str

    @property
    def factors(self) -> tuple[str, ...]:
        """The factors' names as ESAT numbers them: ``Factor 1`` …"""
        return tuple(f"Factor {i + 1}" for i in range(self.profiles.shape[0]))


def esat_python() -> Path:
    """The interpreter that has ESAT (``LANTIAN_ESAT_PYTHON``, else ``.tools/esat``)."""
    return settings().esat_python or ROOT / ".tools" / "esat" / "bin" / "python"


def check_inputs(values: npt.ArrayLike, uncertainty: npt.ArrayLike, factors: int) -> None:
    """Refuse what PMF cannot take: shapes that differ, non-finite or negative values, an
    uncertainty ≤ 0, fewer samples than factors."""
    v, u = np.asarray(values, dtype=float), np.asarray(uncertainty, dtype=float)
    if v.ndim != 2 or v.shape != u.shape:
        raise ValueError(f"values {v.shape} and uncertainty {u.shape} must be the same 2-D shape")
    if not (np.isfinite(v).all() and np.isfinite(u).all()):
        raise ValueError("values and uncertainty must be finite (fill or drop missing samples)")
    if (v < 0).any() or (u <= 0).any():
        raise ValueError("values must be ≥ 0 and uncertainties > 0")
    if not 1 <= factors < min(v.shape):
        raise ValueError(f"factors must be ≥ 1 and below min(samples, species) = {min(v.shape)}")


def run_esat(
    values: npt.ArrayLike,
    uncertainty: npt.ArrayLike,
    species: tuple[str, ...],
    factors: int,
    *,
    timeout: float = 3600,
    **options: Any,
) -> PmfRun:
    """Run ESAT's batch PMF (``esat_worker.py`` in ESAT's environment) and read the best model."""
    check_inputs(values, uncertainty, factors)
    python = esat_python()
    if not Path(python).is_file():
        raise EsatUnavailableError(
            f"ESAT 的运行环境不存在（{python}）：请运行 scripts/esat 安装，或设置 LANTIAN_ESAT_PYTHON"
            f" / ESAT's environment {python} is missing: run scripts/esat or set LANTIAN_ESAT_PYTHON"
        )
    worker = resources.files("lantian.planning").joinpath("esat_worker.py")
    with tempfile.TemporaryDirectory(prefix="lantian-esat-") as folder:
        work = Path(folder)
        np.savez(work / "input.npz", V=np.asarray(values, float), U=np.asarray(uncertainty, float))
        settings_used = {**OPTIONS, **options, "factors": int(factors)}
        (work / "options.json").write_text(json.dumps(settings_used), encoding="utf-8")
        done = subprocess.run(
            [str(python), str(worker), str(work)],
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise EsatUnavailableError(
                f"ESAT 运行失败 / ESAT failed: {done.stderr.strip()[-2000:]}"
            )
        output = np.load(work / "output.npz")
        result = json.loads((work / "result.json").read_text(encoding="utf-8"))
        return PmfRun(
            species=tuple(species),
            profiles=np.asarray(output["H"], float),
            contributions=np.asarray(output["W"], float),
            q_true=result["q_true"],
            q_robust=result["q_robust"],
            converged=result["converged"],
            esat_version=result["esat_version"],
        )


def factor_shares(run: PmfRun, total: str) -> dict[str, float]:
    """Each factor's share of the mean reconstructed ``total`` species [1] (module docstring)."""
    if total not in run.species:
        raise ValueError(f"total {total!r} is not a species: {run.species}")
    column = run.profiles[:, run.species.index(total)]
    mass = run.contributions.mean(axis=0) * column
    return {name: float(m / mass.sum()) for name, m in zip(run.factors, mass, strict=True)}


def parse_factor(text: str) -> tuple[str, Component]:
    """``"Factor 1=一次源:扬尘源"``, ``"Factor 2=二次:硝酸盐"``, ``"Factor 3=区域传输"`` → the
    factor's name and its component (share filled in later)."""
    factor, _, meaning = text.partition("=")
    kind_zh, _, detail = meaning.partition(":")
    kinds = {zh: key for key, zh in COMPONENT_KIND_ZH.items()}
    species = {zh: key for key, zh in SPECIES_ZH.items()}
    kind = kinds.get(kind_zh.strip())
    if not factor.strip() or kind is None:
        raise ValueError(f"--factor {text!r}: expected 'Factor N=类型[:清单源类别|二次组分]'")
    if kind == "primary" and not detail.strip():
        raise ValueError(f"--factor {text!r}: a primary factor names its inventory category")
    if kind == "secondary" and detail.strip() not in species:
        raise ValueError(f"--factor {text!r}: species must be one of {list(species)}")
    return factor.strip(), Component(
        factor.strip(),
        kind,
        0.0,
        category=detail.strip() if kind == "primary" else None,
        species=species.get(detail.strip()) if kind == "secondary" else None,
    )


def store_run(
    db: Session,
    actor: Actor,
    run: PmfRun,
    *,
    name: str,
    area: str,
    year: int,
    total: str,
    meanings: dict[str, Component],
    source: str,
    example: bool = False,
) -> Any:
    """Store ``run`` as a ``pmf`` apportionment result: components from the factors' shares of
    ``total`` (a factor without a meaning stays 未解析), profiles and contributions as tables."""
    unknown = set(meanings) - set(run.factors)
    if unknown:
        raise ValueError(f"no such factors: {sorted(unknown)}; the run has {list(run.factors)}")
    shares = factor_shares(run, total)
    components = [
        Component(
            f,
            meanings[f].kind if f in meanings else "unattributed",
            share,
            meanings[f].category if f in meanings else None,
            meanings[f].species if f in meanings else None,
        )
        for f, share in shares.items()
    ]
    profiles = {
        "species": list(run.species),
        "factors": list(run.factors),
        "H": run.profiles.tolist(),
    }
    contributions = {
        "factors": list(run.factors),
        "W": run.contributions.tolist(),
        "q_true": run.q_true,
        "q_robust": run.q_robust,
        "converged": run.converged,
        "esat_version": run.esat_version,
    }
    values = {
        "name": name,
        "kind": "pmf",
        "area": area,
        "year": year,
        "source": source,
        "components": components,
        "profiles": profiles,
        "contributions": contributions,
        "example": example,
    }
    return store_result(db, actor, values)
