"""Alert settings, defined once: every threshold with its limits, the three presets, and the `[alerts]` table."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from models.errors import ConfigError

__all__ = [
    "PRESETS",
    "AlertSettings",
    "DetectionOverrides",
    "DetectorSettings",
    "ReachSettings",
    "ScopeSettings",
    "ShareSettings",
    "settings_for",
]


class _Thresholds(BaseModel):
    """A frozen table of thresholds: unknown keys are refused, so a typo never silently keeps the preset."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ShareSettings(_Thresholds):
    """`negative_share`: the share of negatives rises (volume may stay flat)."""

    enabled: bool
    min_count: int = Field(ge=1)
    min_lift: float = Field(gt=1.0)
    min_points: float = Field(ge=0, lt=1)
    p_value: float = Field(gt=0, lt=1)


class ScopeSettings(_Thresholds):
    """`channel_volume` / `topic_surge`: the negative-volume test on one channel's or one topic's counts."""

    enabled: bool
    min_count: int = Field(ge=1)
    min_lift: float = Field(gt=1.0)
    p_value: float = Field(gt=0, lt=1)
    # A channel or topic is only tested while it usually has at least this many negatives a day.
    min_daily_negative: float = Field(ge=0)


class ReachSettings(_Thresholds):
    """`high_reach_post`: one negative post from an account with at least this many followers."""

    enabled: bool
    min_followers: int = Field(ge=1)


class DetectorSettings(_Thresholds):
    """Thresholds for every signal; build them with `settings_for` or `AlertSettings.detector()`."""

    min_count: int = Field(ge=1)
    min_lift: float = Field(gt=1.0)
    p_value: float = Field(gt=0, lt=1)
    baseline_days: int = Field(ge=1, le=90)
    cooldown_hours: int = Field(ge=0, le=720)
    baseline_weeks: int = Field(ge=1, le=12)
    max_window_hours: int = Field(ge=1, le=6)
    launch_share_lift: float = Field(ge=1.0)
    update_growth: float = Field(gt=1.0)
    share: ShareSettings
    channel: ScopeSettings
    topic: ScopeSettings
    reach: ReachSettings


PRESETS: dict[str, DetectorSettings] = {
    "sensitive": DetectorSettings(
        min_count=4, min_lift=2.0, p_value=1e-3, baseline_days=7, cooldown_hours=3, baseline_weeks=3,
        max_window_hours=3, launch_share_lift=1.3, update_growth=1.5,
        share=ShareSettings(enabled=True, min_count=4, min_lift=1.5, min_points=0.10, p_value=1e-3),
        channel=ScopeSettings(enabled=True, min_count=4, min_lift=2.5, p_value=1e-4, min_daily_negative=12),
        topic=ScopeSettings(enabled=True, min_count=4, min_lift=2.5, p_value=1e-4, min_daily_negative=2),
        reach=ReachSettings(enabled=True, min_followers=50_000),
    ),
    "balanced": DetectorSettings(
        min_count=5, min_lift=2.5, p_value=1e-4, baseline_days=14, cooldown_hours=6, baseline_weeks=4,
        max_window_hours=3, launch_share_lift=1.5, update_growth=2.0,
        share=ShareSettings(enabled=True, min_count=6, min_lift=2.0, min_points=0.15, p_value=1e-5),
        channel=ScopeSettings(enabled=True, min_count=6, min_lift=3.0, p_value=1e-5, min_daily_negative=24),
        topic=ScopeSettings(enabled=True, min_count=6, min_lift=3.0, p_value=1e-5, min_daily_negative=4),
        reach=ReachSettings(enabled=True, min_followers=100_000),
    ),
    "strict": DetectorSettings(
        min_count=10, min_lift=3.0, p_value=1e-6, baseline_days=28, cooldown_hours=12, baseline_weeks=6,
        max_window_hours=3, launch_share_lift=2.0, update_growth=3.0,
        share=ShareSettings(enabled=True, min_count=10, min_lift=2.5, min_points=0.20, p_value=1e-7),
        channel=ScopeSettings(enabled=False, min_count=10, min_lift=3.5, p_value=1e-7, min_daily_negative=48),
        topic=ScopeSettings(enabled=True, min_count=10, min_lift=3.5, p_value=1e-7, min_daily_negative=8),
        reach=ReachSettings(enabled=True, min_followers=500_000),
    ),
}  # fmt: skip
PresetName = Literal["sensitive", "balanced", "strict"]


class _Table(BaseModel):
    """A `brandpulse.toml` table: unknown keys are refused and named."""

    model_config = ConfigDict(extra="forbid")


def _overrides_of(schema: type[BaseModel], name: str) -> type[BaseModel]:
    """`schema` with every setting optional (None keeps the preset's value) and the same limits, tables included.

    Derived rather than written out, so a threshold's type and limits are declared once, in the schema above.
    """
    fields: dict[str, Any] = {}
    for key, info in schema.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            # Named as the config has always named them: pydantic puts the name in "a valid dictionary or instance of".
            nested = _overrides_of(annotation, annotation.__name__.replace("Settings", "AlertSettings"))
            fields[key] = (nested, Field(default_factory=nested))
        else:
            optional = annotation | None
            fields[key] = (Annotated[(optional, *info.metadata)] if info.metadata else optional, None)
    doc = f"Overrides of `{schema.__name__}`: any value left out (None) comes from the preset."
    return create_model(name, __base__=_Table, __doc__=doc, **fields)


# The detection part of `[alerts]`: the thresholds above, each optional; nested tables take their own overrides.
DetectionOverrides = _overrides_of(DetectorSettings, "DetectionOverrides")


class AlertSettings(DetectionOverrides):  # type: ignore[misc,valid-type]  # a class built by create_model
    """`[alerts]` in brandpulse.toml: a preset, any overrides of its thresholds, and the delivery settings."""

    preset: PresetName = "balanced"
    # Delivery (README "Delivery to Slack"; docs/reliability.md): where alerts go and how long they are worth retrying.
    slack_channel: str | None = None  # with BRANDPULSE_SLACK_BOT_TOKEN: the channel ID (C0123ABCD) the bot posts to
    delivery_horizon_hours: float = Field(default=48.0, gt=0, le=720)
    console_catchup_hours: float = Field(default=24.0, ge=0, le=720)
    resend_console: bool = False
    resend_in_doubt: bool = True
    slack_timeout_s: float = Field(default=30.0, gt=0, le=300)

    def detection_overrides(self) -> dict[str, Any]:
        """The settings that tune detection (for `settings_for`), without the preset and the delivery ones."""
        return self.model_dump(include=set(DetectionOverrides.model_fields))

    def detector(self, preset: str | None = None) -> DetectorSettings:
        """The thresholds a run or a backtest uses: the preset (or `preset` instead) with this table's overrides.

        Loading the config already checked every value; a table changed in code since is checked again here.
        """
        try:
            return settings_for(preset or self.preset, **self.detection_overrides())
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"invalid alert settings: {exc}", key="alerts") from None


def settings_for(preset: str, **overrides: Any) -> DetectorSettings:
    """The named preset with any non-None overrides applied (the `[alerts]` table of brandpulse.toml).

    Nested tables (`share`, `channel`, `topic`, `reach`) take a mapping of their own overrides. An unknown key is a
    TypeError, a value outside its limits a ValueError naming the setting, an unknown preset a ConfigError.
    """
    if preset not in PRESETS:
        raise ConfigError(f"unknown alert preset {preset!r} (choose one of: {', '.join(PRESETS)})", key="alerts.preset")
    try:
        table = DetectionOverrides.model_validate(overrides)
        changes = table.model_dump(exclude_none=True)
        merged = PRESETS[preset].model_dump()
        for key, value in changes.items():
            merged[key] = {**merged[key], **value} if isinstance(value, dict) else value
        return DetectorSettings.model_validate(merged)
    except ValidationError as exc:
        raise _settings_error(exc) from None


def _settings_error(exc: ValidationError) -> Exception:
    """A TypeError for unknown keys (a programming mistake), else a ValueError naming each setting and its limit."""
    errors = exc.errors()
    unknown = [".".join(map(str, e["loc"])) for e in errors if e["type"] == "extra_forbidden"]
    if unknown:
        return TypeError(f"unknown detector setting(s): {', '.join(unknown)}")
    if any(e["type"] == "model_type" for e in errors):
        names = ", ".join(".".join(map(str, e["loc"])) for e in errors if e["type"] == "model_type")
        return TypeError(f"detector setting {names} takes a table of settings")
    problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in errors)
    return ValueError(f"invalid detector settings: {problems}")
