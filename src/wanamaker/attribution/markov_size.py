"""How big a Markov chain may get, checked before the work starts (DESIGN "Attribution", Markov).

Two limits, each a :class:`~wanamaker.errors.DataError` that says what is too big and what to do:

- **state codes**: a window of ``order + 1`` channels is numbered in base ``channels + 1`` in 64-bit
  integers, so order ``k`` holds at most :func:`max_channels` channels (5,403 at order 4, 46,339 at
  order 3); more would overflow the codes.
- **removal work**: one solve of the chain per channel; each costs about one pass over its
  transitions and states per iteration, so ``channels x (transitions + states)`` above
  :data:`MAX_REMOVAL_WORK` would run for an hour or more (20,000 channels at order 3, 194,465 states:
  5.9e9, 1.5 minutes here).

A direct (LU) solve suits narrow chains; a chain whose states average more than
:data:`LU_MAX_DEGREE` successors (many channels at a low order) fills its LU factors in, and is solved
iteratively instead (order 1 over 2,000 channels: 5 s instead of 20 minutes).
"""

from __future__ import annotations

from wanamaker.errors import DataError

CODE_LIMIT = 2**62
MAX_REMOVAL_WORK = 1e10
LU_MAX_DEGREE = 32
_FIX = ("lower the order (--order), group channels into fewer (map campaigns or sources onto channels), or leave "
        "rare channels out (--exclude-channel; with --paths, drop them from the file)")


def max_channels(order: int) -> int:
    """The most channels whose ``order + 1`` windows fit the 64-bit state codes.

    >>> [max_channels(k) for k in (1, 2, 3, 4)]
    [2147483646, 1664509, 46339, 5403]
    """
    lo, hi = 1, CODE_LIMIT
    while lo < hi:  # the largest base with base ** (order + 1) < CODE_LIMIT
        mid = (lo + hi + 1) // 2
        lo, hi = (mid, hi) if mid ** (order + 1) < CODE_LIMIT else (lo, mid - 1)
    return lo - 1


def check_codes(n_channels: int, order: int) -> None:
    if n_channels > max_channels(order):
        fits = [k for k in range(order - 1, 0, -1) if n_channels <= max_channels(k)]
        hint = f" (--order {fits[0]} takes {n_channels:,} channels)" if fits else ""
        raise DataError(f"Markov order {order} over {n_channels:,} channels is too big: its states are numbered "
                        f"in 64 bits, which hold at most {max_channels(order):,} channels at order {order}{hint}",
                        fix=_FIX, code="markov_too_large")


def check_work(n_channels: int, order: int, removals: int, n_states: int, n_transitions: int) -> None:
    work = float(removals) * (n_transitions + n_states)
    if work > MAX_REMOVAL_WORK:
        raise DataError(f"Markov order {order} over {n_channels:,} channels is too big to solve: {removals:,} "
                        f"removal solves over {n_states:,} states and {n_transitions:,} transitions ({work:.1e} "
                        f"steps each iteration; the limit is {MAX_REMOVAL_WORK:.0e})", fix=_FIX,
                        code="markov_too_large")


def lu_is_narrow(n_states: int, n_transitions: int) -> bool:
    """Whether a sparse LU suits the chain (few successors a state: little fill-in)."""
    return n_transitions <= LU_MAX_DEGREE * max(n_states, 1)
