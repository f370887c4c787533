"""Planning models: the reimbursement simulation (10,000 runs over a 50-patient cohort) must answer well under a
second. Baseline in the same run: the same simulation written as a plain Python loop, on 1/50 of the runs and scaled.
Run: `python bench/bench_models.py`."""

import random
import statistics
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.followup.model import run_capacity_model  # noqa: E402
from app.planning.defaults import default_capacity_inputs, default_reimbursement_inputs  # noqa: E402
from app.risk.model import run_reimbursement_model, simulate_cohort_losses  # noqa: E402
from app.risk.schemas import ReimbursementInputs  # noqa: E402
from bench.summary import Headline, record  # noqa: E402

REPEATS = 5


def python_loop(inputs: ReimbursementInputs, runs: int) -> list[float]:
    """The same draws as the NumPy simulation, one patient at a time (the obvious way to write it)."""
    rng = random.Random(inputs.seed)
    payers = list(inputs.payers.values())
    costs = [p.acquisition_cost for p in inputs.products for _ in range(p.patients_per_year * inputs.horizon_years)]
    r = inputs.cost_of_capital
    totals = []
    for _ in range(runs):
        total = 0.0
        for cost in costs:
            payer = rng.choices(payers, weights=[p.share for p in payers])[0]
            denial = payer.denial_probability * (inputs.prior_authorization_denial_factor
                                                 if payer.prior_authorization else 1.0)
            if rng.random() < inputs.wastage_probability:
                total += cost
            elif rng.random() < denial:
                total += cost + cost * r * payer.worst_case_days_to_payment / 365
            else:
                partial = rng.random() < payer.partial_payment_probability
                total += cost * r * payer.expected_days_to_payment / 365
                total += (1 - payer.partial_payment_share) * cost if partial else 0.0
        totals.append(total)
    return totals


def _median(action: Any, repeats: int = REPEATS) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main() -> list[dict[str, Any]]:
    inputs = default_reimbursement_inputs(["hemgenix"], patients_per_year=10)  # 10 a year x 5 years = 50 patients
    assert inputs.simulation_runs == 10_000
    numpy_s = _median(lambda: simulate_cohort_losses(inputs))
    full_s = _median(lambda: run_reimbursement_model(inputs))
    loop_runs = inputs.simulation_runs // 50
    loop_s = _median(lambda: python_loop(inputs, loop_runs), repeats=3) * 50
    tracemalloc.start()
    run_reimbursement_model(inputs)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    capacity_inputs = default_capacity_inputs(["hemgenix", "roctavian"], patients_per_year=5, horizon_years=30)
    capacity_s = _median(lambda: run_capacity_model(capacity_inputs))
    rows = [
        {"benchmark": "simulation 10,000 runs x 50 patients", "seconds": round(numpy_s, 4),
         "baseline_python_loop_s": round(loop_s, 2), "speedup": round(loop_s / numpy_s, 1)},
        {"benchmark": "full reimbursement model (simulation, cash, sensitivity)", "seconds": round(full_s, 4),
         "peak_mb": round(peak / 2**20, 1)},
        {"benchmark": "capacity model, 2 products, 30-year horizon", "seconds": round(capacity_s, 5)},
    ]
    for row in rows:
        print("  ".join(f"{key}={value}" for key, value in row.items()))
    record("models", [Headline("models: reimbursement simulation, 10,000 runs x 50 patients",
                               f"{numpy_s:.3f} s ({loop_s / numpy_s:.0f}x a plain loop)", "< 1 s", numpy_s < 1.0)])
    return rows


if __name__ == "__main__":
    main()
