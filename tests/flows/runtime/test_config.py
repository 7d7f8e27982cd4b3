"""Config loading: defaults, validation errors that name the key and the file, secrets from the environment."""

from __future__ import annotations

from pathlib import Path

import pytest

from flows.runtime.config import load_config, load_secrets, parse_config
from models.errors import ConfigError


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "brandpulse.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_embedded_demo_defaults_when_no_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    config = load_config()
    assert [brand.name for brand in config.brands] == ["Acme", "Globex", "Initech"]
    assert config.warehouse.path == tmp_path / "data" / "brandpulse.duckdb"
    assert all(path.exists() for path in config.imports.files)
    assert config.model.sentiment == "bundled"


def test_init_template_is_a_valid_config() -> None:
    template = Path(__file__).parents[3] / "flows" / "cli" / "init_template.toml"
    config = load_config(template)
    assert config.brand("acme").competitors == ["Globex"]
    assert config.alerts.preset == "balanced"


def test_unknown_key_names_key_and_file(tmp_path: Path) -> None:
    path = write(tmp_path, '[warehouse]\npath = "x.duckdb"\npaht = "typo"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "warehouse.paht" in str(info.value)
    assert str(path) in str(info.value)


def test_wrong_type_names_the_brand_entry(tmp_path: Path) -> None:
    path = write(tmp_path, '[[brands]]\nname = "Acme"\nterms = "acme"\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert info.value.key == "brands.0.terms"
    assert info.value.file == str(path)


def test_competitor_must_be_a_configured_brand(tmp_path: Path) -> None:
    path = write(tmp_path, '[[brands]]\nname = "Acme"\nterms = ["acme"]\ncompetitors = ["Globx"]\n')
    with pytest.raises(ConfigError, match="'Globx' is not the name of a"):
        load_config(path)


def test_bad_preset_and_bad_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"setting 'alerts\.preset'"):
        load_config(write(tmp_path, '[alerts]\npreset = "loud"\n'))
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(write(tmp_path, "[alerts\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.toml")


def test_relative_paths_resolve_against_the_config_file(tmp_path: Path) -> None:
    config = parse_config({"warehouse": {"path": "db/w.duckdb"}}, source=str(tmp_path / "c.toml"))
    assert config.warehouse.path == tmp_path / "db" / "w.duckdb"


def test_secrets_come_from_the_environment_and_stay_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BRANDPULSE_SLACK_WEBHOOK_URL", "https://hooks.example.invalid/T000/B000/zq9-hidden")
    secrets = load_secrets()
    assert secrets.slack_webhook_url is not None
    assert "zq9-hidden" not in repr(secrets) and "zq9-hidden" not in str(secrets.slack_webhook_url)
    assert secrets.slack_webhook_url.get_secret_value().endswith("/zq9-hidden")


def test_secrets_are_not_accepted_in_the_toml(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="unknown setting"):
        load_config(write(tmp_path, 'slack_webhook_url = "https://hooks.example.invalid/x"\n'))


def test_secrets_fall_back_to_prefect_secret_blocks(prefect_harness: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from prefect.blocks.system import Secret

    monkeypatch.delenv("BRANDPULSE_SLACK_WEBHOOK_URL", raising=False)
    monkeypatch.setenv("BRANDPULSE_X_BEARER_TOKEN", "from-env")
    Secret(value="https://hooks.example.invalid/T1/B1/from-block").save("brandpulse-slack-webhook-url", overwrite=True)
    Secret(value="block-token").save("brandpulse-x-bearer-token", overwrite=True)
    Secret(value="yt-key-from-block").save("brandpulse-youtube-api-key", overwrite=True)
    monkeypatch.setenv("BRANDPULSE_NAVER_CLIENT_ID", "naver-id-from-env")
    monkeypatch.delenv("BRANDPULSE_YOUTUBE_API_KEY", raising=False)
    secrets = load_secrets(prefect_blocks=True)
    assert secrets.youtube_api_key is not None and secrets.youtube_api_key.get_secret_value() == "yt-key-from-block"
    assert secrets.naver_client_id is not None and secrets.naver_client_id.get_secret_value() == "naver-id-from-env"
    assert secrets.slack_webhook_url is not None
    assert secrets.slack_webhook_url.get_secret_value().endswith("/from-block")
    assert secrets.x_bearer_token is not None and secrets.x_bearer_token.get_secret_value() == "from-env"
    assert secrets.reddit_client_id is None  # no variable, no block
    assert load_secrets(prefect_blocks=False).slack_webhook_url is None


def test_runner_device_is_checked(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, '[runner]\ndevice = "cuda:1"\n')).runner.device == "cuda:1"
    with pytest.raises(ConfigError, match=r"runner\.device"):
        load_config(write(tmp_path, '[runner]\ndevice = "gpu"\n'))


def test_model_precision_is_checked(tmp_path: Path) -> None:
    assert load_config(write(tmp_path, "")).model.precision == "auto"
    assert load_config(write(tmp_path, '[model]\nprecision = "fp32"\n')).model.precision == "fp32"
    assert load_config(write(tmp_path, '[model]\nprecision = "int8"\n')).model.precision == "int8"
    with pytest.raises(ConfigError, match=r"setting 'model\.precision'"):
        load_config(write(tmp_path, '[model]\nprecision = "int4"\n'))


def test_owned_accounts_are_validated_with_the_brand_and_entry(tmp_path: Path) -> None:
    path = write(tmp_path, '[[brands]]\nname = "Acme"\nterms = ["acme"]\nowned = ["@acmehelp", "x:acme help"]\n')
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert "brand 'Acme', owned entry 2: 'x:acme help'" in str(info.value)
    assert "numeric user id" in str(info.value) and str(path) in str(info.value)


def test_an_owned_account_belongs_to_one_brand(tmp_path: Path) -> None:
    text = (
        '[[brands]]\nname = "Acme"\nterms = ["acme"]\nowned = ["@AcmeHelp"]\n'
        '[[brands]]\nname = "Globex"\nterms = ["globex"]\nowned = ["@acmehelp"]\n'
    )
    with pytest.raises(ConfigError, match=r"brands\.1\.owned: '@acmehelp' of brand 'Globex' is already .* of 'Acme'"):
        load_config(write(tmp_path, text))
