"""PMF with US EPA's ESAT run from within Lantian (lantian.planning.pmf), in ESAT's own environment
(``scripts/esat``; CI makes it in ``scripts/test``).

ESAT's sample data (its ``Dataset9`` and the rest) are not in the ``esat`` 2025.0.1 wheel — the
wheel holds only code — so the runs here are on SIMULATED speciation data (模拟数据) constructed
in the test from three known source profiles; the check is that ESAT finds them again."""

from __future__ import annotations

import numpy as np
import pytest

from lantian.plan.access import SYSTEM
from lantian.plan.plans import get_plan  # noqa: F401  (the ledger's models are mapped)
from lantian.planning.pmf import (
    EsatUnavailableError,
    check_inputs,
    parse_factor,
    run_esat,
    store_run,
)

SPECIES = ("PM2.5", "SO4", "NO3", "NH4", "OC", "EC", "Ca", "Fe", "Al", "K")
#: Three simulated sources' profiles [µg/m³ per unit contribution]: dust, secondary, combustion.
TRUTH = np.array(
    [
        [1.00, 0.02, 0.01, 0.00, 0.05, 0.01, 0.12, 0.06, 0.08, 0.01],
        [1.00, 0.40, 0.25, 0.20, 0.05, 0.00, 0.00, 0.00, 0.00, 0.00],
        [1.00, 0.05, 0.02, 0.01, 0.45, 0.15, 0.01, 0.01, 0.00, 0.08],
    ]
)


def simulated(samples: int = 150, seed: int = 7):
    rng = np.random.default_rng(seed)
    contributions = rng.lognormal(mean=[2.0, 2.4, 1.6], sigma=0.6, size=(samples, 3))
    exact = contributions @ TRUTH
    uncertainty = 0.05 * exact + 0.02
    values = np.clip(exact + rng.normal(0, 0.02, exact.shape) * exact, 0.001, None)
    return values, uncertainty, contributions


@pytest.fixture(scope="module")
def run():
    values, uncertainty, _ = simulated()
    return run_esat(values, uncertainty, SPECIES, 3, models=4, seed=11)


def test_esat_finds_the_simulated_sources_again(run):
    assert run.esat_version == "2025.0.1"
    assert run.profiles.shape == (3, len(SPECIES))
    assert run.contributions.shape == (150, 3)
    found = run.profiles / np.linalg.norm(run.profiles, axis=1, keepdims=True)
    truth = TRUTH / np.linalg.norm(TRUTH, axis=1, keepdims=True)
    similarity = truth @ found.T  # cosine of each true profile with each factor
    assert similarity.max(axis=1).min() > 0.95
    assert sorted(similarity.argmax(axis=1).tolist()) == [0, 1, 2]  # one factor each


def test_the_run_is_stored_as_an_apportionment_result(run, db):
    dust = int(np.argmax(run.profiles[:, SPECIES.index("Ca")]))
    meanings = dict([parse_factor(f"Factor {dust + 1}=一次源:扬尘源")])
    result = store_run(
        db,
        SYSTEM,
        run,
        name="模拟PMF",
        area="冷水滩区中心城区",
        year=2019,
        total="PM2.5",
        meanings=meanings,
        source="模拟数据（测试构造）",
    )
    shares = {c["name"]: c for c in result.components}
    assert sum(c["share"] for c in result.components) == pytest.approx(1.0)
    assert shares[f"Factor {dust + 1}"]["kind"] == "primary"
    assert shares[f"Factor {dust + 1}"]["category"] == "扬尘源"
    assert {c["kind"] for n, c in shares.items() if n != f"Factor {dust + 1}"} == {"unattributed"}
    assert result.profiles["species"] == list(SPECIES)
    assert result.contributions["esat_version"] == "2025.0.1"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("Factor 1=四次", "expected"),
        ("Factor 1=一次源", "category"),
        ("Factor 1=二次:硫", "species"),
    ],
)
def test_bad_factor_meanings_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        parse_factor(text)


def test_inputs_pmf_cannot_take_are_refused_before_esat_runs():
    values, uncertainty, _ = simulated(20)
    with pytest.raises(ValueError, match="same 2-D shape"):
        check_inputs(values, uncertainty[:5], 3)
    bad = values.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="finite"):
        check_inputs(bad, uncertainty, 3)
    with pytest.raises(ValueError, match="factors"):
        check_inputs(values, uncertainty, 10)


def test_a_missing_esat_environment_says_how_to_make_it(monkeypatch, tmp_path):
    monkeypatch.setenv("LANTIAN_ESAT_PYTHON", str(tmp_path / "none" / "python"))
    from lantian.settings import settings

    settings.cache_clear()
    values, uncertainty, _ = simulated(20)
    with pytest.raises(EsatUnavailableError, match="scripts/esat"):
        run_esat(values, uncertainty, SPECIES, 3)
    settings.cache_clear()


def _csv(path, samples, matrix):
    lines = ["sample," + ",".join(SPECIES)]
    lines += [
        f"{s}," + ",".join(f"{x:.5f}" for x in row) for s, row in zip(samples, matrix, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_command_runs_esat_and_stores_the_result(tmp_path, home):
    """`lantian plan apportionment pmf` on simulated CSVs (模拟数据), as a user runs it."""
    import subprocess
    import sys

    values, uncertainty, _ = simulated(80)
    samples = [f"2019-01-{d:02d}" for d in range(1, 81)]
    v = _csv(tmp_path / "conc.csv", samples, values)
    u = _csv(tmp_path / "unc.csv", samples, uncertainty)
    command = [sys.executable, "-m", "lantian", "plan", "--home", str(home), "apportionment"]
    done = subprocess.run(
        [
            *command,
            "pmf",
            str(v),
            str(u),
            "--factors",
            "3",
            "--models",
            "2",
            "--name",
            "模拟PMF",
            "--area",
            "冷水滩区中心城区",
            "--year",
            "2019",
            "--source",
            "模拟数据",
            "--factor",
            "Factor 1=区域传输",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert "ESAT 2025.0.1" in done.stdout
    listed = subprocess.run([*command, "list", "--format", "json"], capture_output=True, text=True)
    assert '"受体模型PMF"' in listed.stdout
    bad = _csv(tmp_path / "bad.csv", samples, values)
    bad.write_text(bad.read_text(encoding="utf-8").replace("2019-01-05,", "2019-01-05,x", 1))
    refused = subprocess.run(
        [
            *command,
            "pmf",
            str(bad),
            str(u),
            "--factors",
            "3",
            "--name",
            "n",
            "--area",
            "a",
            "--year",
            "2019",
            "--source",
            "s",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert refused.returncode == 2
    assert "bad.csv: line 6: PM2.5: 'x19" in refused.stderr
