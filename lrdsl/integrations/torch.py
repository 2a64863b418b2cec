"""A PyTorch learning-rate scheduler driven by lrdsl schedules.

>>> import torch  # doctest: +SKIP
>>> from lrdsl.integrations.torch import LrdslLR  # doctest: +SKIP
>>> scheduler = LrdslLR(optimizer, lrdsl.compile("warmup(500, 0.1) >> 0.1"))
... # doctest: +SKIP

Call ``optimizer.step()`` then ``scheduler.step()`` each training step, as
with any PyTorch scheduler. The first optimizer update uses ``f(0)``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch.optim.lr_scheduler import LRScheduler

from .._schedule import Schedule
from ..errors import ArgumentError, show

__all__ = ["LrdslLR"]

# Steps at which state_dict records each schedule's rate, to tell schedules
# with the same text but other settings apart when loading.
PROBE_STEPS = (0, 1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10**7, 10**8)


class LrdslLR(LRScheduler):
    """Set each parameter group's learning rate to an lrdsl schedule's value.

    Rates are absolute: the optimizer's own ``lr`` is ignored. At scheduler
    step ``k`` (``last_epoch == k``), group ``i`` gets ``f_i(k)``.

    A layer-wise schedule (one containing ``lars`` or ``append_LARS``) treats
    each parameter group as one layer. Before every ``optimizer.step()``, a
    hook computes the L2 norms of the group's parameters and gradients and
    sets the group's rate to ``f.local_lr(k, param_norm, grad_norm)``. Put
    each layer in its own parameter group to get per-layer rates.

    Args:
      optimizer: the wrapped optimizer.
      schedules: one :class:`~lrdsl.Schedule` for every group, a sequence with
        one per group, or a mapping from group name (the ``"name"`` key of a
        parameter group) to schedule, such as ``lrdsl.load(path).schedules``.
      last_epoch: the index of the last step taken, ``-1`` for a new run.
    """

    def __init__(
        self,
        optimizer: torch.optim.Optimizer,
        schedules: Schedule | Sequence[Schedule] | Mapping[str, Schedule],
        last_epoch: int = -1,
    ):
        self.schedules = _per_group(optimizer, schedules)
        self._hook = None
        if any(schedule.is_layerwise for schedule in self.schedules):
            self._hook = optimizer.register_step_pre_hook(self._set_layerwise_rates)
        super().__init__(optimizer, last_epoch)

    def get_lr(self) -> list[float]:
        return [schedule(max(self.last_epoch, 0)) for schedule in self.schedules]

    def _get_closed_form_lr(self) -> list[float]:
        return self.get_lr()

    def _set_layerwise_rates(self, optimizer, args, kwargs) -> None:
        step = max(self.last_epoch, 0)
        for group, schedule in zip(optimizer.param_groups, self.schedules, strict=True):
            if schedule.is_layerwise:
                param_norm, grad_norm = _group_norms(group)
                group["lr"] = schedule.local_lr(step, param_norm, grad_norm)

    def state_dict(self) -> dict[str, Any]:
        """Return the step count, the schedule texts and their rates at probe
        steps (no code, no optimizer)."""
        return {
            "last_epoch": self.last_epoch,
            "_step_count": self._step_count,
            "_last_lr": list(self._last_lr),
            "schedules": [schedule.text for schedule in self.schedules],
            "probes": self._probe_rates(),
        }

    def _probe_rates(self) -> list[list[str]]:
        # The same text compiled with other variables or steps_per_epoch
        # gives other rates; reprs compare NaN equal to NaN.
        return [
            [repr(schedule(step)) for step in PROBE_STEPS]
            for schedule in self.schedules
        ]

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Resume at the saved step and restore the rates it implies.

        Raises:
          ArgumentError: the state is malformed, or was saved with other
            schedule texts or with the same texts but other rates.
        """
        if not isinstance(state_dict, Mapping) or not isinstance(
            state_dict.get("last_epoch"), int
        ):
            raise ArgumentError(
                f"invalid scheduler state {show(state_dict)}: expected the "
                "mapping state_dict() returns, with an integer last_epoch"
            )
        saved = state_dict.get("schedules")
        current = [schedule.text for schedule in self.schedules]
        if saved is not None and saved != current:
            raise ArgumentError(
                f"the scheduler state was saved with schedules {show(saved)}, "
                f"but this scheduler has {show(current)}"
            )
        probes = state_dict.get("probes")
        if probes is not None and probes != self._probe_rates():
            raise ArgumentError(
                "the scheduler state was saved with the same schedule texts but "
                "other rates, so their variables or steps_per_epoch differ",
                hint="compile the schedules with the settings of the saved run",
            )
        self.last_epoch = state_dict["last_epoch"]
        self._step_count = state_dict.get("_step_count", self._step_count)
        rates = self.get_lr()
        for group, rate in zip(self.optimizer.param_groups, rates, strict=True):
            group["lr"] = rate
        self._last_lr = rates

    def close(self) -> None:
        """Remove the layer-wise hook from the optimizer, if there is one."""
        if self._hook is not None:
            self._hook.remove()
            self._hook = None


def _per_group(optimizer, schedules) -> list[Schedule]:
    groups = optimizer.param_groups
    if isinstance(schedules, Schedule):
        return [schedules] * len(groups)
    if isinstance(schedules, Mapping):
        chosen = []
        for index, group in enumerate(groups):
            name = group.get("name")
            try:
                found = name in schedules
            except TypeError:
                found = False
            if not found:
                names = ", ".join(sorted(show(key) for key in schedules))
                raise ArgumentError(
                    f"parameter group {index} (name {show(name)}) has no "
                    f"schedule; schedules are named {names}",
                    hint="give each parameter group a 'name' key that matches",
                )
            chosen.append(_schedule(schedules[name], f"schedule {show(name)}"))
        return chosen
    if isinstance(schedules, str) or not isinstance(schedules, Sequence):
        raise ArgumentError(
            f"expected an lrdsl.Schedule, a list or a mapping of them, got "
            f"{type(schedules).__name__}",
            hint="compile schedule text first: lrdsl.compile(text)",
        )
    chosen = list(schedules)
    if len(chosen) != len(groups) or not all(
        isinstance(schedule, Schedule) for schedule in chosen
    ):
        raise ArgumentError(
            f"expected one lrdsl.Schedule per parameter group ({len(groups)}), "
            f"got {len(chosen)} items"
        )
    return chosen


def _schedule(value, what: str) -> Schedule:
    if not isinstance(value, Schedule):
        raise ArgumentError(
            f"{what} is {type(value).__name__}, not an lrdsl.Schedule",
            hint="compile schedule text first: lrdsl.compile(text)",
        )
    return value


@torch.no_grad()
def _group_norms(group) -> tuple[float, float]:
    """Return the L2 norms of a group's parameters and gradients, in float64.

    Each tensor's norm is taken first and the results combined, so large
    values do not overflow a sum of squares.
    """
    param_norms, grad_norms = [], []
    for param in group["params"]:
        if param.is_complex():
            raise ArgumentError("LARS needs real parameters, got a complex tensor")
        param_norms.append(float(torch.linalg.vector_norm(param.detach().double())))
        if param.grad is not None:
            grad = param.grad.detach().double()
            grad_norms.append(float(torch.linalg.vector_norm(grad)))
    return _combine(param_norms), _combine(grad_norms)


def _combine(norms: list[float]) -> float:
    if not norms:
        return 0.0
    return float(torch.linalg.vector_norm(torch.tensor(norms, dtype=torch.float64)))
