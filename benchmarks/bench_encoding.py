"""What keeping every value exact costs an ordinary save (issue 14).

    python benchmarks/bench_encoding.py [--dsn DSN] [--iterations 300] [--json]

Two measurements, at 1 KB and 100 KB, on ordinary states (the bench's discovery-like state,
and the same with a null in it, which makes the codec check that no NaN hides behind it):
- encode: the encoding alone, in one process, interleaved: plain orjson (``encode_json``, what
  saves used before: *_before) against ``document_json`` (the store) and ``crewai_state_json``
  (the CrewAI backend, a dict state and a pydantic one, model_dump included);
- save: p50 of FlowStateStore.save_state and PostgresFlowPersistence.save_state, one client.
  Run it once with this package and once with an older one (PYTHONPATH) to compare saves.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).parent))
from common import bench_database  # noqa: E402

from pydantic import BaseModel  # noqa: E402

from pgflowstate import FlowStateStore, RequestContext, create_pool  # noqa: E402
from pgflowstate import codec  # noqa: E402
from pgflowstate.cli.bench import SIZES, state_data  # noqa: E402

CONTEXT = RequestContext(client_account_id=uuid.uuid4(), engagement_id=uuid.uuid4(), user_id=uuid.uuid4())


class Mapped(BaseModel):
    field_mapping: dict[str, Any]
    iteration: int
    note: str | None = None


def states(size: int) -> dict[str, dict]:
    plain = state_data(size)
    return {"ordinary": plain, "with_null": {**plain, "note": None}}


def p50_us(fn: Callable[[], Any], iterations: int) -> float:
    samples = []
    for _ in range(iterations):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return round(statistics.median(samples) * 1e6, 1)


def encode_costs(iterations: int) -> dict:
    out = {}
    for label, size in SIZES.items():
        for kind, data in states(size).items():
            doc = {"flow_id": str(uuid.uuid4()), "current_phase": "data_import", "phases_completed": [],
                   "state_data": data}
            model = Mapped(**{"note": None, **data}) if kind == "with_null" else Mapped(**data)
            candidates = {
                "orjson_before": lambda: codec.encode_json(doc),
                "store_document_json": lambda: codec.document_json(doc),
                "crewai_dict_before": lambda: codec.encode_json(data, default=codec.crewai_default),
                "crewai_dict_state": lambda: codec.crewai_state_json(data),
                "crewai_model_before": lambda: codec.encode_json(model.model_dump(mode="json"),
                                                                 default=codec.crewai_default),
                "crewai_model_state": lambda: codec.crewai_state_json(model),
            }
            rounds = {name: [] for name in candidates}
            for _ in range(5):  # interleaved rounds: noise hits every candidate alike
                for name, fn in candidates.items():
                    rounds[name].append(p50_us(fn, max(iterations // 5, 4)))
            out[f"{label}_{kind}"] = {name: min(v) for name, v in rounds.items()}
    return out


async def save_costs(dsn: str, iterations: int) -> dict:
    pool = await create_pool(dsn, min_size=1, max_size=2)
    store = FlowStateStore(pool, CONTEXT)
    out = {}
    try:
        for label, size in SIZES.items():
            data = state_data(size)
            flow_id = uuid.uuid4()
            doc = {"flow_id": str(flow_id), "current_phase": "data_import", "phases_completed": [], "state_data": data}
            saved = await store.save_state(flow_id, doc)
            samples = []
            for n in range(iterations):
                data["iteration"] = n
                start = time.perf_counter()
                saved = await store.save_state(flow_id, doc, version=saved.flow_version)
                samples.append(time.perf_counter() - start)
            out[f"store_save_{label}_ms"] = round(statistics.median(samples) * 1e3, 3)
    finally:
        await pool.close()
    return out


def crewai_save_costs(dsn: str, iterations: int) -> dict:
    try:
        from pgflowstate.crewai import PostgresFlowPersistence
    except ImportError:
        return {}
    backend = PostgresFlowPersistence(dsn=dsn, client_account_id=str(CONTEXT.client_account_id),
                                      engagement_id=str(CONTEXT.engagement_id), user_id=str(CONTEXT.user_id))
    out = {}
    try:
        for label, size in SIZES.items():
            data = state_data(size)
            flow_uuid = str(uuid.uuid4())
            backend.save_state(flow_uuid, "step", data)
            samples = []
            for n in range(iterations):
                data["iteration"] = n
                start = time.perf_counter()
                backend.save_state(flow_uuid, "step", data)
                samples.append(time.perf_counter() - start)
            out[f"crewai_save_{label}_ms"] = round(statistics.median(samples) * 1e3, 3)
    finally:
        backend.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dsn", help="a server to create the benchmark database on (default: a throwaway cluster)")
    parser.add_argument("--iterations", type=int, default=300)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    result: dict[str, Any] = {"encode_p50_us": encode_costs(args.iterations) if hasattr(codec, "document_json") else None}
    with bench_database(args.dsn) as dsn:
        result["save_p50"] = {**asyncio.run(save_costs(dsn, args.iterations)), **crewai_save_costs(dsn, args.iterations)}
    print(json.dumps(result, indent=None if args.json else 2))


if __name__ == "__main__":
    main()
