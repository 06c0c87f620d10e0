"""Run US EPA's ESAT (Environmental Source Apportionment Toolkit, ``esat`` 2025.0.1) on one
data set — executed by ESAT's own interpreter (``scripts/esat``: a separate environment, because
ESAT pins numpy, pandas, scipy and click to versions Lantian's lock cannot take), never imported
by Lantian. Only numpy, json and esat are used here.

    python esat_worker.py FOLDER

reads ``FOLDER/input.npz`` (``V``, ``U``: samples × features [µg/m³]) and ``FOLDER/options.json``
(``factors``, ``models``, ``method``, ``seed``, ``max_iter``, ``converge_delta``, ``converge_n``),
trains ``models`` SA models (ESAT's PMF, ``esat.model.sa.SA``) from seeds drawn as ESAT's
``BatchSA`` draws them, keeps the one of least Q(robust) (BatchSA's ``best_robust``) and writes its
``W`` (contributions, samples × factors) and ``H`` (profiles, factors × features) to
``FOLDER/output.npz`` with ``FOLDER/result.json``.

Each model runs ESAT's NumPy update step (``optimized = False``), not its compiled Rust one: on the
simulated data of ``tests/plan/test_pmf.py`` the Rust LS-NMF step of the 2025.0.1 wheel stopped
"converged" with a reconstruction error of ~130 % of the data's mean, where the NumPy step (the
same algorithm) fits to ~1.4 % and finds the three profiles again (cosine ≥ 0.99).
"""

import json
import sys
from importlib.metadata import version
from pathlib import Path

import numpy as np
from esat.model.sa import SA


def _model(data, options: dict, seed: int) -> SA:
    sa = SA(
        V=data["V"], U=data["U"], factors=options["factors"], method=options["method"], seed=seed
    )
    sa.optimized = False  # ESAT's NumPy update step (module docstring)
    sa.initialize()
    sa.train(
        max_iter=options["max_iter"],
        converge_delta=options["converge_delta"],
        converge_n=options["converge_n"],
    )
    return sa


def main(folder: Path) -> None:
    """Train the models and write the best (module docstring)."""
    data = np.load(folder / "input.npz")
    options = json.loads((folder / "options.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng(options["seed"])
    seeds = [int(rng.integers(low=0, high=1e5)) for _ in range(options["models"])]
    models = [_model(data, options, seed) for seed in seeds]
    fitted = [m for m in models if m.Qrobust is not None and np.isfinite(m.Qrobust)]
    if not fitted:
        raise SystemExit("ESAT: no model could be trained (loss not finite)")
    best = min(fitted, key=lambda m: float(m.Qrobust))
    np.savez(folder / "output.npz", W=np.asarray(best.W), H=np.asarray(best.H))
    result = {
        "q_true": float(best.Qtrue),
        "q_robust": float(best.Qrobust),
        "converged": bool(best.converged),
        "best_model": models.index(best) + 1,
        "seeds": seeds,
        "esat_version": version("esat"),
    }
    (folder / "result.json").write_text(json.dumps(result), encoding="utf-8")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
