"""Model names and the channel-level credit of every model that needs only aggregated paths
(DESIGN "Attribution", model names)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from wanamaker.attribution.extensions import EXTENSIONS
from wanamaker.attribution.markov import MAX_ORDER, markov
from wanamaker.attribution.paths import Float, Paths
from wanamaker.attribution.rules import PATH_RULE_MODELS, RULE_MODELS
from wanamaker.attribution.shapley import MAX_RATE_CHANNELS, shapley, shapley_rate
from wanamaker.errors import UsageError

DATA_DRIVEN = tuple(f"markov_{k}" for k in range(1, MAX_ORDER + 1)) + ("shapley", "shapley_rate")
ALL_NAMES = RULE_MODELS + DATA_DRIVEN


@dataclass(frozen=True)
class Calibration:
    """What a calibrating model gives per channel (in channel order): the multiplier of its base model's credit,
    for conversions and for value, optional interval bounds of the calibrated channel credit, and notes. The
    multipliers keep every touch's share of its channel, so touch credits stay consistent with channel credit."""

    factor_c: Float
    factor_v: Float
    low: Float | None = None
    high: Float | None = None
    notes: tuple[str, ...] = ()




@dataclass(frozen=True)
class ChannelCredit:
    conversions: Float
    value: Float
    extra: dict[str, object] = field(default_factory=dict)


def check_model(model: str, order: int | None, *, paths_only: bool = False) -> None:
    """Refuse a ``--model`` / ``--order`` pair that cannot run, before any data is read."""
    if order is not None and model != "markov":
        raise UsageError(f"--order {order} applies to --model markov only", fix="drop --order or use --model markov")
    if order is not None and not 1 <= order <= MAX_ORDER:
        raise UsageError(f"--order {order} is out of range: Markov orders run from 1 to {MAX_ORDER}",
                         fix=f"use --order 1 to {MAX_ORDER} (1 is the default)")
    if model in EXTENSIONS and paths_only:
        raise UsageError(f"{model} reads the workspace's experiments, which a paths file does not have",
                         fix="run it on a workspace, without --paths")
    if model not in ("all", "markov") + ALL_NAMES + tuple(EXTENSIONS):
        raise UsageError(f"unknown model '{model}'",
                         fix=f"use one of: all, markov, {', '.join(ALL_NAMES + tuple(EXTENSIONS))}")
    if paths_only and model in RULE_MODELS and model not in PATH_RULE_MODELS:
        raise UsageError(f"{model} needs touch times and stages, which a paths file does not have",
                         fix=f"use one of {', '.join(PATH_RULE_MODELS + DATA_DRIVEN)} with --paths")


def expand(model: str, order: int | None, n_channels: int, *, paths_only: bool = False) -> tuple[list[str], list[str]]:
    """The model names to run for ``--model``/``--order``, and notes about skipped ones."""
    check_model(model, order, paths_only=paths_only)
    notes: list[str] = []
    if model == "all":
        names = list(PATH_RULE_MODELS if paths_only else RULE_MODELS) + ["markov_1", "markov_3", "shapley"]
        if paths_only:
            notes.append("aggregated paths carry no times or stages: only first_touch, last_touch and "
                         "linear of the rule models can run")
        if n_channels <= MAX_RATE_CHANNELS:
            names.append("shapley_rate")
        else:
            notes.append(f"shapley_rate skipped: {n_channels} channels exceed {MAX_RATE_CHANNELS}")
        if not paths_only:
            names += list(EXTENSIONS)
        return names, notes
    if model == "markov":
        return [f"markov_{1 if order is None else order}"], notes
    if model == "shapley_rate" and n_channels > MAX_RATE_CHANNELS:
        raise UsageError(f"shapley_rate enumerates 2^n channel sets and {n_channels} channels exceed {MAX_RATE_CHANNELS}",
                         fix="exclude channels (--exclude-channel) or use --model shapley")
    return [model], notes


def path_credit(name: str, paths: Paths, *, value: bool = True) -> ChannelCredit:
    """Channel credit of a data-driven model, or of a path-only rule model (``value=False``: Markov
    skips the value chain and splits value like conversions)."""
    if name.startswith("markov_"):
        r = markov(paths, int(name.split("_")[1]), value=value)
        return ChannelCredit(r.conversions, r.value, {"removal_effects": dict(zip(paths.channels, r.removal_effects.tolist(), strict=False)),
                                                      "p_conversion": r.p_conversion, "states": r.n_states})
    if name == "shapley":
        s = shapley(paths)
        return ChannelCredit(s.conversions, s.value)
    if name == "shapley_rate":
        s = shapley_rate(paths)
        return ChannelCredit(s.conversions, s.value, {"phi": dict(zip(paths.channels, s.phi.tolist(), strict=False))})
    if name in PATH_RULE_MODELS:
        return _path_rule(name, paths)
    raise ValueError(name)


def _path_rule(name: str, paths: Paths) -> ChannelCredit:
    lengths = paths.lengths
    pos = np.arange(paths.steps.shape[0]) - np.repeat(paths.offsets[:-1], lengths)
    plen = np.repeat(lengths, lengths)
    if name == "first_touch":
        w = (pos == 0).astype(np.float64)
    elif name == "last_touch":
        w = (pos == plen - 1).astype(np.float64)
    else:
        w = 1.0 / plen
    pidx = paths.path_index
    k = len(paths.channels)
    conv = np.bincount(paths.steps, weights=w * paths.conversions[pidx], minlength=k)
    val = np.bincount(paths.steps, weights=w * paths.value[pidx], minlength=k)
    return ChannelCredit(conv, val)
