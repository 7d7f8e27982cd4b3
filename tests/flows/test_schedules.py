"""The schedules in flows/schedules.py, what `brandpulse serve` runs and what prefect.yaml deploys agree."""

from __future__ import annotations

from pathlib import Path

import yaml

from flows.schedules import PIPELINE_EVERY_MINUTES, SCHEDULES, serve_deployments

ROOT = Path(__file__).resolve().parents[2]
# Deployments started by hand (UI or `prefect deployment run`), with no schedule: name → (entrypoint, parameters).
ON_DEMAND = {
    "backfill": ("flows/backfill.py:backfill_flow", {"config_path", "start", "end", "channels"}),
    "rescore": ("flows/rescore.py:rescore", {"config_path", "model"}),
}


def test_prefect_yaml_deploys_every_schedule_to_the_process_pool() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in spec["deployments"]}
    assert set(deployments) == {s.name for s in SCHEDULES} | set(ON_DEMAND)
    for schedule in SCHEDULES:
        deployment = deployments[schedule.name]
        assert deployment["entrypoint"] == schedule.entrypoint
        assert deployment["work_pool"]["name"] == "brandpulse"
        assert deployment["concurrency_limit"] == 1
        [declared] = deployment["schedules"]
        if schedule.interval_minutes:
            assert declared["interval"] == schedule.interval_minutes * 60
        else:
            assert (declared["cron"], declared["timezone"]) == (schedule.cron, "UTC")
        flow = schedule.load_flow()
        assert set(deployment["parameters"]) <= set(flow.parameters.properties)


def test_backfill_and_rescore_are_deployed_on_demand_with_every_parameter_editable() -> None:
    import importlib

    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    deployments = {d["name"]: d for d in spec["deployments"]}
    for name, (entrypoint, parameters) in ON_DEMAND.items():
        deployment = deployments[name]
        assert deployment["entrypoint"] == entrypoint and "schedules" not in deployment
        assert deployment["work_pool"]["name"] == "brandpulse" and deployment["concurrency_limit"] == 1
        module, flow_name = entrypoint.split(":")
        flow = getattr(importlib.import_module(module.removesuffix(".py").replace("/", ".")), flow_name)
        # Every flow parameter is listed with its default, so the UI's custom-run form shows each one.
        assert set(deployment["parameters"]) == parameters == set(flow.parameters.properties)


def test_the_worker_runs_flows_from_the_folder_prefect_deploy_ran_in() -> None:
    spec = yaml.safe_load((ROOT / "prefect.yaml").read_text(encoding="utf-8"))
    [build] = spec["build"]
    step = build["prefect.deployments.steps.run_shell_script"]
    assert step["script"] == "pwd"
    [pull] = spec["pull"]
    assert pull["prefect.deployments.steps.set_working_directory"]["directory"] == f"{{{{ {step['id']}.stdout }}}}"


def test_serve_runs_all_schedules_with_the_config() -> None:
    deployments = {d.name: d for d in serve_deployments("/srv/brandpulse.toml", every_minutes=5)}
    assert set(deployments) == {f"brandpulse-{s.name}" for s in SCHEDULES}
    assert all(d.parameters["config_path"] == "/srv/brandpulse.toml" for d in deployments.values())
    assert all(d.concurrency_limit == 1 for d in deployments.values())
    [pipeline] = deployments["brandpulse-pipeline"].schedules
    assert pipeline.schedule.interval.total_seconds() == 300
    [retention] = deployments["brandpulse-retention"].schedules
    assert retention.schedule.cron == "0 3 * * 0"
    assert PIPELINE_EVERY_MINUTES == 15
