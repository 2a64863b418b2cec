"""A PaddlePaddle learning-rate scheduler driven by an lrdsl schedule.

Pass it as the ``learning_rate`` of a ``paddle.optimizer`` optimizer and call
``scheduler.step()`` after each ``optimizer.step()``. The first update uses
``f(0)``, as with Paddle's own ``paddle.optimizer.lr`` classes.

Paddle optimizers take one rate for all parameters. For LARS, pass the
global rate (``f(step)`` of a layer-wise schedule is the rate before scaling)
to Paddle's own LARS momentum optimizer, which applies the trust ratio.
"""

from __future__ import annotations

from paddle.optimizer.lr import LRScheduler

from .._schedule import Schedule
from ..errors import ArgumentError

__all__ = ["LrdslLR"]


class LrdslLR(LRScheduler):
    """A ``paddle.optimizer.lr.LRScheduler`` whose value at ``last_epoch == k``
    is ``schedule(k)``.

    Args:
      schedule: the compiled :class:`~lrdsl.Schedule`.
      last_epoch: the index of the last step taken, ``-1`` for a new run.
      verbose: print the rate at each step, as Paddle's schedulers do.
    """

    def __init__(self, schedule: Schedule, last_epoch: int = -1, verbose: bool = False):
        if not isinstance(schedule, Schedule):
            raise ArgumentError(
                f"expected an lrdsl.Schedule, got {type(schedule).__name__}",
                hint="compile the text first: lrdsl.compile(text)",
            )
        self.schedule = schedule
        super().__init__(
            learning_rate=schedule(0), last_epoch=last_epoch, verbose=verbose
        )

    def get_lr(self) -> float:
        return self.schedule(max(self.last_epoch, 0))
