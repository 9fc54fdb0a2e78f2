"""``wanamaker attribute`` (issue 4; DESIGN "Attribution")."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from wanamaker.cli.output import Format, current_workspace, emit
from wanamaker.errors import UsageError


class By(StrEnum):
    channel = "channel"
    campaign = "campaign"
    content = "content"
    touch_type = "touch_type"
    segment = "segment"
    period = "period"


def _check_evaluate(model: str, order: int | None, by: By, ci: bool, explain: bool, paths: Path | None) -> None:
    """``--evaluate`` runs every model by channel on the workspace: options it would ignore are refused."""
    given = {"--model": model != "all", "--order": order is not None, "--by": by is not By.channel, "--ci": ci,
             "--explain": explain, "--paths": paths is not None}
    clash = [name for name, on in given.items() if on]
    if clash:
        raise UsageError(f"{', '.join(clash)} cannot be used with --evaluate: it runs every model by channel on the "
                         "workspace", fix=f"drop {', '.join(clash)}, or run without --evaluate")


def register(app: typer.Typer) -> None:
    @app.command("attribute")
    def attribute_cmd(
        model: Annotated[str, typer.Option("--model", "-m", help="all | markov | first_touch | last_touch | "
                                           "last_non_direct | linear | time_decay | u_shaped | w_shaped | "
                                           "full_path | custom | markov_1..4 | shapley | shapley_rate")] = "all",
        order: Annotated[int | None, typer.Option("--order", help="Markov order 1-4 (with --model markov).")] = None,
        by: Annotated[By, typer.Option("--by", help="Aggregate credits by this key.")] = By.channel,
        level: Annotated[str | None, typer.Option("--level", help="person | account (default: wanamaker.yml).")] = None,
        milestone: Annotated[str | None, typer.Option("--milestone", help="The funnel stage to attribute.")] = None,
        value: Annotated[str | None, typer.Option("--value", help="count | pipeline | revenue.")] = None,
        lookback: Annotated[str | None, typer.Option("--lookback", help="Window before the milestone, a positive duration such as 90d.")] = None,
        date_from: Annotated[str | None, typer.Option("--from", help="First milestone day (YYYY-MM-DD, workspace time zone).")] = None,
        date_to: Annotated[str | None, typer.Option("--to", help="Last day of the data (YYYY-MM-DD, to the end of that day).")] = None,
        ci: Annotated[bool, typer.Option("--ci", help="90 % bootstrap intervals on the credited measure.")] = False,
        replicates: Annotated[int, typer.Option("--replicates", help="Bootstrap replicates for --ci (1 to 10000).")] = 200,
        seed: Annotated[int, typer.Option("--seed", help="Seed of the bootstrap for --ci, 0 or more (same seed, same intervals).")] = 0,
        paths: Annotated[Path | None, typer.Option("--paths", help="Aggregated paths file (ChannelAttribution format).")] = None,
        path_col: Annotated[str, typer.Option("--path-col")] = "path",
        conv_col: Annotated[str, typer.Option("--conv-col")] = "total_conversions",
        value_col: Annotated[str, typer.Option("--value-col")] = "total_conversion_value",
        null_col: Annotated[str, typer.Option("--null-col")] = "total_null",
        sep: Annotated[str, typer.Option("--sep", help="Separator of channels in a path.")] = ">",
        exclude_channel: Annotated[list[str] | None, typer.Option("--exclude-channel")] = None,
        exclude_touch_type: Annotated[list[str] | None, typer.Option("--exclude-touch-type")] = None,
        evaluate: Annotated[bool, typer.Option("--evaluate", help="Rank models against ground_truth.")] = False,
        explain: Annotated[bool, typer.Option("--explain", help="Print the journey SQL.")] = False,
        fmt: Annotated[Format, typer.Option("--format", "-f", envvar="WANAMAKER_FORMAT")] = Format.table,
        workspace: Annotated[Path | None, typer.Option("--workspace", "-w", envvar="WANAMAKER_WORKSPACE")] = None,
    ) -> None:
        """Attribute a milestone and its value to touches, channels, campaigns and more."""
        import wanamaker.triangulate  # noqa: F401 - registers the calibrated model before --model is checked
        from wanamaker.attribution.api import attribute, check_run
        from wanamaker.attribution.models import check_model
        from wanamaker.config.options import text_option
        from wanamaker.triangulate.evaluate import beside, disagreements
        from wanamaker.triangulate.evaluate import evaluate as run_evaluate

        check_run(by=by.value, value=value, ci=ci, replicates=replicates, seed=seed)
        if evaluate:
            _check_evaluate(model, order, by, ci, explain, paths)
        else:
            check_model(model, order, paths_only=paths is not None)
        opts: dict[str, Any] = dict(level=level, milestone=milestone, value=value, lookback=lookback, date_from=date_from,
                    date_to=date_to, exclude_channels=exclude_channel or None,
                    exclude_touch_types=exclude_touch_type or None)
        if paths is not None:
            path_options = dict(path_col=text_option("--path-col", path_col), conv_col=text_option("--conv-col", conv_col),
                                value_col=text_option("--value-col", value_col),
                                null_col=text_option("--null-col", null_col), sep=sep)
            result = attribute(None, model=model, order=order, by=by.value, ci=ci, paths=paths, replicates=replicates,
                               seed=seed, explain=explain, path_options=path_options, **opts)
        else:
            with current_workspace(workspace) as ws:
                if evaluate:
                    ev = run_evaluate(ws, **opts)
                    payload = ev.to_dict()
                    rows = payload["models"] + [{"model": f"lift test {e['experiment_id']}", **e}
                                                for e in payload["experiments"]]
                    emit(rows, fmt, title=f"Model error vs ground truth ({ev.milestone}), share points",
                         payload=payload)
                    return
                result = attribute(ws, model=model, order=order, by=by.value, ci=ci, replicates=replicates,
                                   seed=seed, explain=explain, **opts)
                if by.value == "channel" and result.runs and ws.has_table("experiments"):
                    run = result.runs[0]
                    for line in disagreements(beside(ws, result, run.milestone, run.value != "count")):
                        typer.echo(f"note: {line}", err=True)
        for note in result.notes:  # plain text: a note may quote data, which is not markup
            typer.echo(f"note: {note}", err=True)
        if explain and result.sql:
            typer.echo(result.sql, err=True)
        models = list(dict.fromkeys(r.model for r in result.rows))
        if fmt is Format.table and len(models) > 1 and not ci:
            from wanamaker.cli.output import console

            shown = models
            if console.width < 30 + 9 * len(models):  # a narrow terminal: the models people compare most
                shown = [m for m in MAIN_MODELS if m in models] or models[:6]
            more = len(models) - len(shown)
            hint = f"; {more} more models with a wider terminal or --format json" if more else ""
            emit(_by_model(result.to_dicts(), shown), fmt,
                 title=f"Share of the outcome (%) by {by.value} and model{hint}")
            return
        emit(result.to_dicts(), fmt, title=f"Attribution by {by.value}")


MAIN_MODELS = ("first_touch", "last_touch", "linear", "markov_3", "shapley", "calibrated")


def _by_model(rows: list[dict[str, Any]], models: list[str]) -> list[dict[str, Any]]:
    """A key x model table of shares, keys by their largest share (reserved keys last)."""
    shares: dict[str, dict[str, float]] = {}
    for r in rows:
        shares.setdefault(r["key"], {})[r["model"]] = r["share"]
    order = sorted(shares, key=lambda k: (k.startswith("("), -max(shares[k].values())))
    return [{"key": k, **{m: round(100 * shares[k].get(m, 0.0), 1) for m in models}} for k in order]
