"""The schedules: prefect.yaml's deployment and the one `brandpulse serve` runs point at the pipeline flow."""

from __future__ import annotations

import importlib
from pathlib import Path

import yaml

from flows.pipeline import pipeline

ROOT = Path(__file__).parents[2]


def test_prefect_yaml_declares_a_scheduled_pipeline_deployment() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    [deployment] = [d for d in spec["deployments"] if d["name"] == "pipeline"]
    module_path, flow_name = deployment["entrypoint"].split(":")
    module = importlib.import_module(module_path.removesuffix(".py").replace("/", "."))
    assert getattr(module, flow_name) is pipeline
    assert deployment["schedules"][0]["interval"] == 900
    assert deployment["work_pool"]["name"] == "brandpulse"
    assert deployment["concurrency_limit"] == 1
    assert set(deployment["parameters"]) <= set(pipeline.parameters.properties)
