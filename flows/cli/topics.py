"""`brandpulse themes`: what drives negative talk (topics, terms by lift) and emerging themes (registered in cli.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from flows.cli.common import ConfigOption, LiveOption, err, out, reading_warehouse, safe_text
from flows.runtime.config import load_config
from models.errors import BrandpulseError, ConfigError


def themes(
    brand: Annotated[str | None, typer.Option(help="Only this brand (default: every brand).")] = None,
    days: Annotated[int, typer.Option(help="Window: the last N days before the newest mention.", min=1)] = 7,
    min_size: Annotated[int, typer.Option(help="Smallest theme (mentions).", min=2)] = 3,
    live: LiveOption = False,
    config: ConfigOption = None,
) -> None:
    """Negative drivers (topics, terms by lift over the brand's baseline) and emerging themes no topic explains."""
    from flows.steps.topics import drivers_and_themes, lazy_theme_embedder
    from warehouse.queries import pipeline as queries

    try:
        cfg = load_config(config)
        brands = [cfg.brand(brand)] if brand else list(cfg.brands)
        warehouse = reading_warehouse(cfg, live=live)
        # Stored vectors first: the encoder loads only if some unexplained negative has none.
        embedder = lazy_theme_embedder(cfg)
        for item in brands:
            with warehouse.read() as con:
                newest = queries.newest_mention_time(con, item.name)
            if newest is None:
                out.print(f"{item.name}: no mentions stored yet", markup=False)
                continue
            end = min(newest, datetime.now(UTC)) + timedelta(seconds=1)
            start = end - timedelta(days=days)
            drivers, found = drivers_and_themes(warehouse, embedder, item.name, start, end, min_size=min_size)
            _print_brand(item.name, start, end, drivers, found)
    except BrandpulseError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False)
        raise typer.Exit(2 if isinstance(exc, ConfigError) else 1) from None


def _print_brand(brand: str, start: datetime, end: datetime, drivers: object, found: list) -> None:
    out.rule(Text(f"{brand}: negative talk {start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M} UTC"))
    topics = Table(title="Topics of negative mentions")
    for column in ("topic", "mentions", "share"):
        topics.add_column(column, justify="left" if column == "topic" else "right")
    for topic, n, share in drivers.topics:  # type: ignore[attr-defined]
        topics.add_row(safe_text(topic), str(n), f"{share:.0%}")
    out.print(topics)
    terms = Table(title="Terms of negative mentions, by lift over the brand's last 4 weeks")
    for column in ("term", "mentions", "share", "usual share", "lift"):
        terms.add_column(column, justify="left" if column == "term" else "right")
    for term in drivers.terms:  # type: ignore[attr-defined]
        terms.add_row(safe_text(term.term), str(term.mentions), f"{term.share:.0%}", f"{term.baseline_share:.1%}",
                      f"{term.lift:.1f}×")
    out.print(terms)
    if not found:
        out.print("emerging themes: none (every negative mention fits a topic, or no group is large enough)")
        return
    table = Table(title="Emerging themes (negative mentions no topic explains)")
    for column in ("theme", "mentions", "examples"):
        table.add_column(column, justify="right" if column == "mentions" else "left")
    for theme, examples in found:
        table.add_row(safe_text(theme.label), str(theme.size), safe_text("\n".join(e[:100] for e in examples)))
    out.print(table)
