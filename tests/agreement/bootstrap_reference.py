"""Independent Python reference of the bootstrap replicates (#14), used by the replicate and
coverage tests. Nothing here reads the dbt models: the unit weights are recomputed from DuckDB's
hash primitive and the Poisson(1) inverse CDF, and each coefficient is recomputed on the units
repeated `weight` times with the reference packages (krippendorff, statsmodels, scikit-learn) or
the published formulas (Gwet / irrCAC)."""

from __future__ import annotations

import math
from itertools import combinations

import duckdb
import krippendorff
import numpy as np
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

POISSON_CDF: list[float] = []
_total = 0.0
for _k in range(16):
    _total += math.exp(-1) / math.factorial(_k)
    POISSON_CDF.append(_total)


def poisson_weights(seed: int, task_ids: list[int], replicates: int) -> dict[tuple[int, int], int]:
    """{(replicate, task_id): weight} for replicates 1..B: u = top 53 bits of
    h = hash(xor(hash(task), hash(xor(hash(replicate), seed)))) / 2^53 (DuckDB's one-argument
    hash), weight = #{k: F(k) <= u} (Poisson(1) inverse CDF)."""
    con = duckdb.connect()
    con.execute("create table units (task_id bigint)")
    con.executemany("insert into units values (?)", [(t,) for t in task_ids])
    rows = con.execute(
        "select r.range, u.task_id, hash(xor(hash(u.task_id), hash(xor(hash(r.range), cast(? as ubigint))))) "
        "from units u cross join range(1, ? + 1) r",
        [seed, replicates],
    ).fetchall()
    con.close()
    weights = {}
    for replicate, task_id, hashed in rows:
        uniform = (hashed >> 11) / 9007199254740992.0
        weights[(replicate, task_id)] = sum(uniform >= threshold for threshold in POISSON_CDF)
    return weights


def _alpha(values_by_unit: list[list[float]], level: str) -> float | None:
    if not any(len(v) >= 2 for v in values_by_unit):
        return None
    width = max(len(v) for v in values_by_unit)
    matrix = np.full((width, len(values_by_unit)), np.nan)
    for column, values in enumerate(values_by_unit):
        matrix[: len(values), column] = values
    try:
        value = krippendorff.alpha(reliability_data=matrix, level_of_measurement=level)
    except ValueError:
        return None
    return None if math.isnan(value) else float(value)


def _gwet(
    values_by_unit: list[list], numbers: bool
) -> tuple[float | None, float | None, float | None]:
    """(percent agreement, AC1, AC2) as irrCAC gwet.ac1.raw: pa over units with r_u >= 2,
    pi_k over units with r_u >= 1, q = categories observed."""
    units = [v for v in values_by_unit if v]
    categories = sorted({x for v in units for x in v})
    q = len(categories)
    pairable = [v for v in units if len(v) >= 2]
    if not pairable:
        return None, None, None
    pi = {c: sum(v.count(c) / len(v) for v in units) / len(units) for c in categories}
    spread = sum(p * (1 - p) for p in pi.values())

    def weight_matrix(kind: str) -> dict:
        if kind == "identity":
            return {(k, l): 1.0 if k == l else 0.0 for k in categories for l in categories}
        span = max(categories) - min(categories)
        return {(k, l): 1.0 - (k - l) ** 2 / span**2 for k in categories for l in categories}

    def pa(weights: dict) -> float:
        total = 0.0
        for v in pairable:
            r = len(v)
            counts = {c: v.count(c) for c in set(v)}
            total += sum(
                n_k * (sum(weights[(k, l)] * n_l for l, n_l in counts.items()) - 1)
                for k, n_k in counts.items()
            ) / (r * (r - 1))
        return total / len(pairable)

    identity = weight_matrix("identity")
    pa_identity = pa(identity)
    ac1 = None
    if q >= 2:
        pe = q * spread / (q * (q - 1))
        ac1 = (pa_identity - pe) / (1 - pe) if pe < 1 else None
    ac2 = None
    if numbers and q >= 2 and max(categories) > min(categories):
        quadratic = weight_matrix("quadratic")
        pe2 = sum(quadratic.values()) * spread / (q * (q - 1))
        ac2 = (pa(quadratic) - pe2) / (1 - pe2) if pe2 < 1 else None
    return pa_identity, ac1, ac2


def _fleiss(values_by_unit: list[list]) -> float | None:
    pairable = [v for v in values_by_unit if len(v) >= 2]
    if not pairable or len({len(v) for v in pairable}) != 1:
        return None
    categories = sorted({x for v in pairable for x in v})
    table = np.array([[v.count(c) for c in categories] for v in pairable])
    shares = table.sum(axis=0) / table.sum()
    if (shares**2).sum() >= 1:
        return None
    return float(fleiss_kappa(table, method="fleiss"))


def _cohen(pairs: list[tuple]) -> float | None:
    if not pairs:
        return None
    first, second = zip(*pairs)
    if len(set(first) | set(second)) == 1:
        return None  # p_e = 1: one and the same value on both sides
    chance = (
        sum(first.count(c) * second.count(c) for c in set(first) | set(second)) / len(pairs) ** 2
    )
    if chance >= 1:
        return None
    return float(cohen_kappa_score(list(first), list(second)))


def coefficients(
    units: list[dict], annotators: list, numbers: bool, metric
) -> dict[str, float | None]:
    """Every coefficient on `units` (each {annotator: value or None (answered nothing)},
    repeated as often as it is resampled). `annotators`: the control's annotators on the data
    (design fact held fixed: Cohen only when there are exactly two). `metric(a, b)`: pair score."""
    values_by_unit = [[v for v in unit.values() if v is not None] for unit in units]
    result: dict[str, float | None] = {}
    encode = (lambda v: float(v)) if numbers else (lambda v: float(v[1:]))
    encoded = [[encode(v) for v in values] for values in values_by_unit]
    result["alpha_nominal"] = _alpha(encoded, "nominal")
    result["alpha_ordinal"] = _alpha(encoded, "ordinal") if numbers else None
    result["alpha_interval"] = _alpha(encoded, "interval") if numbers else None
    pa, ac1, ac2 = _gwet(encoded if numbers else values_by_unit, numbers)
    result["percent_agreement"], result["gwet_ac1"] = pa, ac1
    result["gwet_ac2"] = ac2 if numbers else None
    result["fleiss_kappa"] = _fleiss(values_by_unit)
    if len(annotators) == 2:
        a, b = sorted(annotators)
        result["cohen_kappa"] = _cohen(
            [(u[a], u[b]) for u in units if u.get(a) is not None and u.get(b) is not None]
        )
    else:
        result["cohen_kappa"] = None
    total, n_pairs = 0.0, 0
    for unit in units:
        for x, y in combinations(sorted(unit), 2):
            vx, vy = unit[x], unit[y]
            if vx is None and vy is None:
                continue
            n_pairs += 1
            total += metric(vx, vy) if vx is not None and vy is not None else 0.0
    result["mean_pairwise_agreement"] = total / n_pairs if n_pairs else None
    return result


def percentile_interval(values: list[float], level: float) -> tuple[float, float]:
    tail = (1 - level) / 2 * 100
    return float(np.percentile(values, tail)), float(np.percentile(values, 100 - tail))
