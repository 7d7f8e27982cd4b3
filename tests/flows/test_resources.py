"""Building a command's resources stays cheap: read-only commands never import Prefect or torch."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_building_resources_imports_neither_prefect_nor_torch(tmp_path: Path) -> None:
    config = tmp_path / "brandpulse.toml"
    config.write_text(
        f'[warehouse]\npath = "{tmp_path / "wh.duckdb"}"\n[[brands]]\nname = "Acme"\nterms = ["acme"]\n',
        encoding="utf-8",
    )
    code = (
        "import sys; from pathlib import Path; from flows.runtime.config import load_config; "
        "from flows.resources import build_resources; "
        "res = build_resources(load_config(Path(sys.argv[1]))); res.warehouse; "
        "print(sorted(m for m in ('prefect', 'torch') if m in sys.modules), callable(res.load_model))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO), "DO_NOT_TRACK": "1"}
    args = [sys.executable, "-c", code, str(config)]
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=True, timeout=120)
    assert done.stdout.strip() == "[] True"
