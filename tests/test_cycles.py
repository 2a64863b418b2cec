"""Tests for ``one_cycle``, ``cyclic`` and ``repeat`` against PyTorch's formulas.

The ``torch_*`` functions restate, in plain Python, how PyTorch 2.13's
``torch.optim.lr_scheduler`` computes the learning rate while
``last_epoch == s``. They cover ``OneCycleLR``, ``CyclicLR``,
``CosineAnnealingWarmRestarts`` (stepped one step at a time, as a training
loop does) and ``SequentialLR`` of ``LinearLR`` and ``CosineAnnealingLR``
(in their recursive, chainable form). lrdsl must agree with them to a
relative ``REL`` over whole ranges. When torch is installed, the same
comparisons also run against the real schedulers.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import lrdsl
from lrdsl._registry import REGISTRY
from lrdsl.schedules import cycles

REL = 1e-12
# Near a zero learning rate only an absolute error is meaningful.
ABS = 1e-15


def assert_close(got, want):
    np.testing.assert_allclose(got, want, rtol=REL, atol=ABS)


def values(text, n):
    """Return ``f(0), ..., f(n - 1)``, checking scalar and vector paths agree."""
    f = lrdsl.compile(text)
    vector = f(np.arange(n))
    scalar = np.array([f(s) for s in range(n)])
    np.testing.assert_allclose(scalar, vector, rtol=1e-15, atol=0)
    return vector


# PyTorch's formulas, restated.


def torch_one_cycle(
    max_lr,
    total,
    pct_start=0.3,
    div_factor=25.0,
    final_div_factor=1e4,
    anneal="cos",
    three_phase=False,
):
    """Return ``OneCycleLR``'s learning rate at ``last_epoch == s``."""
    initial = max_lr / div_factor
    minimum = initial / final_div_factor
    if three_phase:
        phases = [
            (float(pct_start * total) - 1, initial, max_lr),
            (float(2 * pct_start * total) - 2, max_lr, initial),
            (total - 1, initial, minimum),
        ]
    else:
        phases = [
            (float(pct_start * total) - 1, initial, max_lr),
            (total - 1, max_lr, minimum),
        ]

    def lr(s):
        start_step = 0.0
        for index, (end_step, start, end) in enumerate(phases):
            if s <= end_step or index == len(phases) - 1:
                pct = (s - start_step) / (end_step - start_step)
                if anneal == "cos":
                    return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
                return (end - start) * pct + start
            start_step = end_step
        raise AssertionError("unreachable: the last phase takes every step")

    return lr


def torch_cyclic(base_lr, max_lr, step_size, mode="triangular", gamma=1.0):
    """Return ``CyclicLR``'s rate, ``step_size_up == step_size_down``."""
    total_size = float(step_size + step_size)
    step_ratio = step_size / total_size

    def lr(s):
        cycle = math.floor(1 + s / total_size)
        x = 1.0 + s / total_size - cycle
        if x <= step_ratio:
            scale_factor = x / step_ratio
        else:
            scale_factor = (x - 1) / (step_ratio - 1)
        height = (max_lr - base_lr) * scale_factor
        if mode == "triangular":
            return base_lr + height * 1.0
        if mode == "triangular2":
            return base_lr + height * (1 / (2.0 ** (cycle - 1)))
        return base_lr + height * gamma**s

    return lr


def torch_warm_restarts(base_lr, t_0, t_mult=1, eta_min=0.0, n=1):
    """Return ``CosineAnnealingWarmRestarts``'s first ``n`` rates.

    Each ``step()`` adds 1 to ``T_cur``; when it reaches ``T_i`` it wraps
    around and ``T_i`` grows ``t_mult`` times.
    """
    rates = []
    t_cur, t_i = 0, t_0
    for _ in range(n):
        cosine = 1 + math.cos(math.pi * t_cur / t_i)
        rates.append(eta_min + (base_lr - eta_min) * cosine / 2)
        t_cur += 1
        if t_cur >= t_i:
            t_cur %= t_i
            t_i *= t_mult
    return np.array(rates)


def torch_warmup_then_cosine(base_lr, start_factor, milestone, t_max, eta_min, n):
    """Return the first ``n`` rates of ``SequentialLR`` of two schedulers.

    The schedulers are ``LinearLR(start_factor, end_factor=1.0,
    total_iters=milestone)`` and ``CosineAnnealingLR(t_max, eta_min)``, with
    ``milestones=[milestone]``. Before the milestone ``LinearLR`` multiplies
    the previous rate by a ratio. At the milestone ``SequentialLR`` restarts
    the cosine's clock at 0 and sets the rate from its closed form, which is
    ``base_lr`` there. After it, the cosine multiplies the distance to
    ``eta_min`` by a ratio, except one step after ``t_max`` (where that ratio
    would divide by 0) when it adds a fixed amount instead.
    """
    rates = []
    delta = 1.0 - start_factor
    rate = base_lr * start_factor
    for s in range(n):
        if 0 < s < milestone:
            rate *= 1.0 + delta / (milestone * start_factor + (s - 1) * delta)
        elif s == milestone:
            rate = eta_min + (base_lr - eta_min) * (1 + math.cos(0.0)) / 2
        elif s > milestone:
            j = s - milestone
            if (j - 1 - t_max) % (2 * t_max) == 0:
                rate += (base_lr - eta_min) * (1 - math.cos(math.pi / t_max)) / 2
            else:
                ratio = (1 + math.cos(math.pi * j / t_max)) / (
                    1 + math.cos(math.pi * (j - 1) / t_max)
                )
                rate = ratio * (rate - eta_min) + eta_min
        rates.append(rate)
    return np.array(rates)


def warmup_then_cosine_closed_form(base_lr, start_factor, milestone, t_max, eta_min):
    """Return the closed form of :func:`torch_warmup_then_cosine`.

    The ratios telescope: the warmup is linear from ``base_lr * start_factor``
    and the cosine part is ``eta_min + (base_lr - eta_min) * (1 + cos(pi * j /
    t_max)) / 2`` at ``j = s - milestone``, for every ``j``. So past ``t_max``
    PyTorch's cosine rises again along the same curve.
    """

    def lr(s):
        if s < milestone:
            return base_lr * (start_factor + (1.0 - start_factor) * s / milestone)
        j = s - milestone
        return eta_min + (base_lr - eta_min) * (1 + math.cos(math.pi * j / t_max)) / 2

    return lr


# (a) Goldens against the restated formulas, over whole ranges.

ONE_CYCLE = [
    # (keyword arguments, lrdsl arguments)
    (dict(max_lr=0.1, total=100), ""),
    (dict(max_lr=0.1, total=100, anneal="linear"), ', anneal="linear"'),
    (dict(max_lr=0.1, total=100, three_phase=True), ", three_phase=true"),
    (
        dict(max_lr=0.1, total=100, anneal="linear", three_phase=True),
        ', anneal="linear", three_phase=true',
    ),
    (dict(max_lr=2.0, total=37, pct_start=0.25), ", pct_start=0.25"),
    (
        dict(max_lr=1.0, total=1000, pct_start=0.45, div_factor=10.0),
        ", pct_start=0.45, div_factor=10",
    ),
    (
        dict(max_lr=0.5, total=333, final_div_factor=100.0, three_phase=True),
        ", final_div_factor=100, three_phase=true",
    ),
    # The warm-up ends before step 0 (0.05 * 10 - 1 < 0).
    (dict(max_lr=0.1, total=10, pct_start=0.05), ", pct_start=0.05"),
    (
        dict(max_lr=0.1, total=10, pct_start=0.05, three_phase=True),
        ", pct_start=0.05, three_phase=true",
    ),
    # No anneal phase: the warm-up ends at the last step.
    (dict(max_lr=0.1, total=7, pct_start=1.0), ", pct_start=1.0"),
    (dict(max_lr=0.1, total=1), ""),
    (dict(max_lr=0.1, total=1, three_phase=True), ", three_phase=true"),
    # The second phase is longer than what is left, so the third never runs.
    (
        dict(max_lr=0.1, total=20, pct_start=0.8, three_phase=True),
        ", pct_start=0.8, three_phase=true",
    ),
]


@pytest.mark.parametrize(("kwargs", "extra"), ONE_CYCLE, ids=[c[1] for c in ONE_CYCLE])
def test_one_cycle_matches_pytorch(kwargs, extra):
    total = kwargs["total"]
    text = f"one_cycle({kwargs['max_lr']!r}, {total}{extra})"
    want = [torch_one_cycle(**kwargs)(s) for s in range(total)]
    assert_close(values(text, total), want)


@pytest.mark.parametrize(("kwargs", "extra"), ONE_CYCLE, ids=[c[1] for c in ONE_CYCLE])
def test_one_cycle_holds_last_value(kwargs, extra):
    total = kwargs["total"]
    f = lrdsl.compile(f"one_cycle({kwargs['max_lr']!r}, {total}{extra})")
    last = f(total - 1)
    for s in [total, total + 1, 10 * total, 2**62]:
        assert f(s) == last, s
    assert f(np.array([total, 2**62])).tolist() == [last, last]


CYCLIC = [
    (0.01, 0.1, 7, "triangular", 1.0),
    (0.01, 0.1, 7, "triangular2", 1.0),
    (0.01, 0.1, 7, "exp_range", 0.999),
    (0.001, 0.006, 2000, "triangular", 1.0),
    (0.001, 0.006, 500, "exp_range", 0.9999),
    (0.5, 0.1, 3, "triangular2", 1.0),
    (0.2, 0.8, 1, "triangular", 1.0),
    (0.2, 0.8, 1, "exp_range", 0.5),
]


@pytest.mark.parametrize(("base", "peak", "size", "mode", "gamma"), CYCLIC)
def test_cyclic_matches_pytorch(base, peak, size, mode, gamma):
    n = 20 * size + 3
    text = f'cyclic({base!r}, {peak!r}, {size}, mode="{mode}", gamma={gamma!r})'
    want = [torch_cyclic(base, peak, size, mode, gamma)(s) for s in range(n)]
    assert_close(values(text, n), want)


def test_cyclic_from_zero_matches_pytorch():
    # PyTorch computes the position in the cycle as 1 + s / T - cycle, which
    # loses about cycle * ulp, but lrdsl's integer remainder is exact. From a
    # base of 0 that difference is a relative one, so the tolerance is wider.
    n = 20_000
    want = [torch_cyclic(0.0, 0.1, 50)(s) for s in range(n)]
    np.testing.assert_allclose(values("cyclic(0.0, 0.1, 50)", n), want, rtol=1e-10)


WARM_RESTARTS = [
    # (base_lr, T_0, T_mult, eta_min, steps)
    (0.1, 10, 1, 0.0, 500),
    (0.1, 10, 1, 0.001, 500),
    (0.1, 10, 2, 0.0, 1500),
    (0.1, 10, 2, 0.001, 1500),
    (0.05, 7, 2, 0.0, 2000),
    (1.0, 1, 2, 0.0, 300),
    (0.1, 5, 3, 0.01, 1500),
    (0.1, 100, 1, 0.0, 1000),
]


@pytest.mark.parametrize(("base", "t_0", "t_mult", "eta_min", "n"), WARM_RESTARTS)
def test_repeat_matches_warm_restarts(base, t_0, t_mult, eta_min, n):
    text = f"repeat(cosine({base!r}, {t_0}, end={eta_min!r}), mult={t_mult})"
    want = torch_warm_restarts(base, t_0, t_mult, eta_min, n)
    assert_close(values(text, n), want)


SEQUENTIAL = [
    # (base_lr, LinearLR start_factor, milestone, T_max, eta_min)
    (1.0, 0.1, 10, 90, 0.0),
    (0.1, 0.01, 5, 50, 0.001),
    (0.3, 0.5, 1, 20, 0.0),
    (0.3, 1.0, 3, 7, 0.03),
]


@pytest.mark.parametrize(("base", "factor", "milestone", "t_max", "eta"), SEQUENTIAL)
def test_closed_form_of_sequential_lr(base, factor, milestone, t_max, eta):
    n = milestone + 3 * t_max
    closed = warmup_then_cosine_closed_form(base, factor, milestone, t_max, eta)
    recursive = torch_warmup_then_cosine(base, factor, milestone, t_max, eta, n)
    # The recursion carries rounding from step to step, so the bound is wider.
    np.testing.assert_allclose(
        recursive, [closed(s) for s in range(n)], rtol=1e-10, atol=1e-15
    )


@pytest.mark.parametrize(("base", "factor", "milestone", "t_max", "eta"), SEQUENTIAL)
def test_warmup_then_cosine_matches_sequential_lr(base, factor, milestone, t_max, eta):
    # LinearLR needs start_factor > 0, so PyTorch's warm-up starts at
    # base * factor, and warmup's start argument is set to that value. The
    # cosine's clock restarts at the milestone in both, so there is no
    # off-by-one, and the two agree up to the cosine's last step j = t_max.
    text = (
        f"warmup({milestone}, {base!r}, start={base * factor!r}) "
        f">> cosine({base!r}, {t_max}, end={eta!r})"
    )
    n = milestone + t_max + 1
    closed = warmup_then_cosine_closed_form(base, factor, milestone, t_max, eta)
    assert_close(values(text, n), [closed(s) for s in range(n)])
    assert_close(
        values(text, n),
        torch_warmup_then_cosine(base, factor, milestone, t_max, eta, n),
    )


def test_cosine_holds_where_cosine_annealing_lr_rises():
    f = lrdsl.compile("warmup(10, 1.0, start=0.1) >> cosine(1.0, 90)")
    closed = warmup_then_cosine_closed_form(1.0, 0.1, 10, 90, 0.0)
    assert f(100) == 0.0
    assert f(101) == 0.0
    assert closed(101) > 0.0
    assert closed(190) == pytest.approx(1.0)


def test_repeat_follows_cosine_annealing_lr_past_t_max():
    # PyTorch's CosineAnnealingLR keeps following the cosine past T_max:
    # down to eta_min, back up to the base rate, and so on. Repeating a
    # cosine down and a cosine up reproduces that.
    text = (
        "warmup(10, 1.0, start=0.1) "
        ">> repeat(cosine(1.0, 90, end=0.01) >> cosine(0.01, 90, end=1.0))"
    )
    n = 10 + 5 * 90
    want = torch_warmup_then_cosine(1.0, 0.1, 10, 90, 0.01, n)
    np.testing.assert_allclose(values(text, n), want, rtol=1e-10, atol=ABS)


# The same comparisons against the real schedulers, when torch is installed.


def _torch_rates(make_scheduler, n):
    """Return ``get_last_lr()[0]`` at ``last_epoch = 0, ..., n - 1``."""
    torch = pytest.importorskip("torch")
    param = torch.nn.Parameter(torch.zeros(1))
    optimizer = torch.optim.SGD([param], lr=1.0, momentum=0.9)
    with warnings.catch_warnings():
        # Some schedulers warn about the order of optimizer and scheduler
        # steps or about their recursive form; neither changes the rates.
        warnings.simplefilter("ignore")
        scheduler = make_scheduler(torch.optim.lr_scheduler, optimizer)
        rates = []
        for s in range(n):
            rates.append(scheduler.get_last_lr()[0])
            if s < n - 1:
                optimizer.step()
                scheduler.step()
    return np.array(rates)


@pytest.mark.parametrize(("kwargs", "extra"), ONE_CYCLE, ids=[c[1] for c in ONE_CYCLE])
def test_one_cycle_matches_torch(kwargs, extra):
    total = kwargs["total"]
    options = dict(
        max_lr=kwargs["max_lr"],
        total_steps=total,
        pct_start=kwargs.get("pct_start", 0.3),
        anneal_strategy=kwargs.get("anneal", "cos"),
        div_factor=kwargs.get("div_factor", 25.0),
        final_div_factor=kwargs.get("final_div_factor", 1e4),
        three_phase=kwargs.get("three_phase", False),
    )
    want = _torch_rates(lambda lr, opt: lr.OneCycleLR(opt, **options), total)
    text = f"one_cycle({kwargs['max_lr']!r}, {total}{extra})"
    assert_close(values(text, total), want)


@pytest.mark.parametrize(("base", "peak", "size", "mode", "gamma"), CYCLIC)
def test_cyclic_matches_torch(base, peak, size, mode, gamma):
    n = 20 * size + 3
    want = _torch_rates(
        lambda lr, opt: lr.CyclicLR(
            opt,
            base_lr=base,
            max_lr=peak,
            step_size_up=size,
            mode=mode,
            gamma=gamma,
            cycle_momentum=False,
        ),
        n,
    )
    text = f'cyclic({base!r}, {peak!r}, {size}, mode="{mode}", gamma={gamma!r})'
    assert_close(values(text, n), want)


@pytest.mark.parametrize(("base", "t_0", "t_mult", "eta_min", "n"), WARM_RESTARTS)
def test_repeat_matches_torch_warm_restarts(base, t_0, t_mult, eta_min, n):
    def make(lr, opt):
        for group in opt.param_groups:
            group["lr"] = base
        return lr.CosineAnnealingWarmRestarts(
            opt, T_0=t_0, T_mult=t_mult, eta_min=eta_min
        )

    want = _torch_rates(make, n)
    text = f"repeat(cosine({base!r}, {t_0}, end={eta_min!r}), mult={t_mult})"
    assert_close(values(text, n), want)


@pytest.mark.parametrize(("base", "factor", "milestone", "t_max", "eta"), SEQUENTIAL)
def test_warmup_then_cosine_matches_torch_sequential_lr(
    base, factor, milestone, t_max, eta
):
    def make(lr, opt):
        for group in opt.param_groups:
            group["lr"] = base
        warm = lr.LinearLR(opt, start_factor=factor, total_iters=milestone)
        decay = lr.CosineAnnealingLR(opt, T_max=t_max, eta_min=eta)
        return lr.SequentialLR(opt, [warm, decay], milestones=[milestone])

    n = milestone + t_max + 1
    want = _torch_rates(make, n)
    text = (
        f"warmup({milestone}, {base!r}, start={base * factor!r}) "
        f">> cosine({base!r}, {t_max}, end={eta!r})"
    )
    assert_close(values(text, n), want)


# (b) Properties.


@pytest.mark.parametrize("anneal", ["cos", "linear"])
@pytest.mark.parametrize(("total", "pct_start"), [(100, 0.3), (40, 0.25), (9, 1 / 3)])
def test_one_cycle_peaks_at_phase_end(total, pct_start, anneal):
    f = lrdsl.compile(
        f'one_cycle(0.1, {total}, pct_start={pct_start!r}, anneal="{anneal}")'
    )
    peak = round(pct_start * total) - 1
    rates = f(np.arange(total))
    assert int(np.argmax(rates)) == peak
    if anneal == "cos":
        assert f(peak) == 0.1
    else:
        # (max - initial) * 1 + initial may be 1 ulp off, in PyTorch too.
        assert f(peak) == pytest.approx(0.1, rel=1e-15)
    assert np.all(np.diff(rates[: peak + 1]) > 0)
    assert np.all(np.diff(rates[peak:]) < 0)


def test_one_cycle_three_phases_return_to_initial():
    f = lrdsl.compile("one_cycle(1.0, 100, pct_start=0.25, three_phase=true)")
    assert f(24) == 1.0
    assert f(48) == 1.0 / 25
    assert f(99) == 1.0 / 25 / 1e4
    rates = f(np.arange(100))
    assert np.all(np.diff(rates[24:49]) < 0)
    assert np.all(np.diff(rates[48:]) < 0)


def test_one_cycle_zero_length_warmup_starts_at_peak():
    # pct_start * total == 1 puts the end of the warm-up at step 0, where
    # PyTorch computes 0 / 0. The warm-up has arrived there: f(0) = max_lr.
    f = lrdsl.compile("one_cycle(0.1, 10, pct_start=0.1)")
    assert f(0) == 0.1
    assert_close(
        values("one_cycle(0.1, 10, pct_start=0.1)", 10)[1:],
        [torch_one_cycle(0.1, 10, pct_start=0.1)(s) for s in range(1, 10)],
    )


CYCLE_TOPS = [
    # (mode and gamma, the rate at the top of cycle c = 0, 1, 2, ...)
    ('mode="triangular"', lambda c: 1.0),
    ('mode="triangular2"', lambda c: 0.1 + 0.9 * 0.5**c),
    ('mode="exp_range", gamma=0.99', lambda c: 0.1 + 0.9 * 0.99 ** (10 * c + 5)),
]


@pytest.mark.parametrize(("options", "top"), CYCLE_TOPS)
def test_cyclic_cycle_lasts_two_step_sizes(options, top):
    f = lrdsl.compile(f"cyclic(0.1, 1.0, 5, {options})")
    cycle = np.arange(20)
    assert np.all(f(10 * cycle) == 0.1)
    assert_close(f(10 * cycle + 5), [top(c) for c in cycle.tolist()])


def test_cyclic_triangular_is_periodic():
    f = lrdsl.compile("cyclic(0.1, 1.0, 5)")
    steps = np.arange(0, 100)
    np.testing.assert_array_equal(f(steps + 10), f(steps))
    np.testing.assert_array_equal(f(steps + 10 * 2**40), f(steps))


def test_cyclic_triangular2_halves_height_each_cycle():
    f = lrdsl.compile('cyclic(0.0, 1.0, 4, mode="triangular2")')
    tops = f(np.arange(4, 80, 8))
    np.testing.assert_array_equal(tops, 0.5 ** np.arange(10))


def test_cyclic_exact_at_large_steps():
    f = lrdsl.compile("cyclic(0.0, 1.0, 2)")
    # 2**62 is a multiple of the cycle length 4, so a cycle starts there.
    assert f(2**62) == 0.0
    assert f(2**62 - 2) == 1.0
    assert f(np.array([2**62 - 1, 2**62]))[0] == 0.5
    # A cycle of 2**63 steps does not fit in int64, but steps up to 2**62 do.
    g = lrdsl.compile("cyclic(0.0, 1.0, 4611686018427387904)")
    for step, rate in [(0, 0.0), (2**61, 0.5), (2**62, 1.0)]:
        assert g(step) == rate
        assert g(np.array([step]))[0] == rate


def test_repeat_restarts_at_period_starts():
    x = "linear(1.0, 0.0, 10) >> cosine(0.5, 6)"
    inner = lrdsl.compile(x)
    f = lrdsl.compile(f"repeat({x}, mult=2)")
    start, length = 0, 16
    for k in range(8):
        # Every mult**k-th step of period k reads x at a whole step, exactly.
        local = np.arange(0, length, 2**k)
        np.testing.assert_array_equal(f(start + local), inner(local // 2**k))
        assert f(start) == inner(0)
        assert f(start + length - 1) < inner(0)
        start, length = start + length, 2 * length


def _cosine_at(init, steps, end, time):
    weight = (1 + math.cos(math.pi * min(time, steps) / steps)) / 2
    return end + (init - end) * weight


# (schedule name, x with duration 6, the closed form of x at a real time)
FRACTIONAL = [
    ("constant", "constant(0.3) for 6", lambda t: 0.3),
    ("warmup", "warmup(4, 1.0, start=0.2) for 6", lambda t: 0.2 + 0.8 * min(t, 4) / 4),
    ("linear", "linear(1.0, 0.5, 6)", lambda t: 1.0 - 0.5 * t / 6),
    ("cosine", "cosine(1.0, 6, end=0.1)", lambda t: _cosine_at(1.0, 6, 0.1, t)),
    ("polynomial", "polynomial(1.0, 0.0, 6, 2.0)", lambda t: (1 - t / 6) ** 2),
    ("exponential", "exponential(1.0, 0.5, 3) for 6", lambda t: 0.5 ** (t / 3)),
    (
        "inverse_sqrt",
        "inverse_sqrt(1.0, 2) for 6",
        lambda t: t / 2 if t < 2 else math.sqrt(2 / t),
    ),
    (
        "one_cycle",
        "one_cycle(1.0, 6, pct_start=0.5)",
        lambda t: torch_one_cycle(1.0, 6, pct_start=0.5)(min(t, 5)),
    ),
    (
        "cyclic",
        'cyclic(0.1, 1.0, 2, mode="exp_range", gamma=0.9) for 6',
        torch_cyclic(0.1, 1.0, 2, "exp_range", 0.9),
    ),
    (
        "clip",
        "clip(cosine(1.0, 6), 0.2, 0.8)",
        lambda t: min(max(_cosine_at(1.0, 6, 0.0, t), 0.2), 0.8),
    ),
]


@pytest.mark.parametrize(("name", "x", "closed_form"), FRACTIONAL)
def test_stretched_period_reads_fractional_times(name, x, closed_form):
    # Inside ">>", a schedule may be computed by its kernel, not its formula.
    for text in [f"repeat({x}, mult=3)", f"repeat(0.0 for 0 >> {x}, mult=3)"]:
        f = lrdsl.compile(text)
        # Period 1 lasts 18 steps from step 6, period 2 lasts 54 from step 24.
        for start, stretch in [(6, 3), (24, 9)]:
            local = np.arange(6 * stretch)
            want = [closed_form(step / stretch) for step in local.tolist()]
            assert_close(f(start + local), want)
            assert_close([f(start + step) for step in local.tolist()], want)


def test_every_real_time_schedule_is_tested():
    assert {name for name, _, _ in FRACTIONAL} == cycles.REAL_TIME_SCHEDULES
    assert cycles.REAL_TIME_SCHEDULES <= set(REGISTRY)


def test_repeat_with_mult_one_replays_any_schedule():
    x = "piecewise([3], [1.0, 0.5]) for 5"
    f = lrdsl.compile(f"repeat({x}, times=3)")
    assert f.duration == 15
    rates = values(f"repeat({x}, times=3)", 17)
    np.testing.assert_array_equal(rates, [1.0, 1.0, 1.0, 0.5, 0.5] * 3 + [0.5, 0.5])


def test_repeat_reads_end_of_x_after_last_period():
    f = lrdsl.compile("repeat(cosine(1.0, 10, end=0.1), times=2, mult=3)")
    assert f.duration == 40
    assert f(39) > 0.1
    assert f(40) == 0.1
    assert f(2**62) == 0.1
    np.testing.assert_array_equal(f(np.array([40, 41, 2**62])), [0.1, 0.1, 0.1])


def test_repeat_zero_times_is_skipped():
    f = lrdsl.compile("repeat(linear(1.0, 0.5, 4), times=0)")
    assert f.duration == 0
    assert f(0) == 0.5
    g = lrdsl.compile("repeat(cosine(1.0, 4), times=0, mult=2) >> 0.25")
    assert g(0) == 0.25
    np.testing.assert_array_equal(g(np.arange(3)), [0.25, 0.25, 0.25])


def test_repeat_in_sequence_own_clock():
    f = lrdsl.compile("warmup(3, 1.0) >> repeat(linear(1.0, 0.0, 2), times=2) >> 7.0")
    assert f.duration == math.inf
    rates = values("warmup(3, 1.0) >> repeat(linear(1.0, 0.0, 2), times=2) >> 7.0", 9)
    assert_close(rates, [0.0, 1 / 3, 2 / 3, 1.0, 0.5, 1.0, 0.5, 7.0, 7.0])


def test_repeat_stretches_a_warmup_with_the_period():
    f = lrdsl.compile("repeat(warmup(2, 1.0) >> cosine(1.0, 8), mult=2)")
    # Period 1 lasts 20 steps from step 10: 4 steps of warm-up, then cosine.
    assert_close(f(np.arange(10, 15)), [0.0, 0.25, 0.5, 0.75, 1.0])
    assert f(30) == 0.0


def test_repeat_inside_repeat():
    text = "repeat(repeat(linear(1.0, 0.0, 2), times=2), mult=2)"
    f = lrdsl.compile(text)
    # Period 1 of the outer repeat lasts 8 steps: the inner one at half speed.
    assert_close(values(text, 12)[4:], [1.0, 0.75, 0.5, 0.25, 1.0, 0.75, 0.5, 0.25])
    assert f.duration == math.inf


def test_global_inside_stretched_repeat_reads_training_step():
    text = "repeat(cosine(1.0, 10) * global(step(1.0, 15, 0.5)), mult=2)"
    f = lrdsl.compile(text)
    # Step 15 is halfway through period 1's first quarter: cosine time 2.5.
    assert f(10) == 1.0
    assert f(15) == pytest.approx(0.5 * (1 + math.cos(math.pi / 4)) / 2, rel=REL)
    assert f(30) == 0.25


def test_repeat_with_huge_mult():
    # A mult past the float range is rejected like any other such number.
    with pytest.raises(lrdsl.ArgumentError, match="too large for a 64-bit float"):
        lrdsl.compile("repeat(linear(1.0, 0.0, 10), mult=1e300 * 1e300)")
    f = lrdsl.compile("repeat(linear(1.0, 0.0, 10), mult=1e300)")
    assert f(9) == pytest.approx(0.1, rel=REL)
    for step in [10, 11, 2**62]:
        assert f(step) == 1.0
        assert f(np.array([step]))[0] == 1.0


def test_repeat_scales_per_layer():
    f = lrdsl.compile(
        "repeat(lars(cosine(1.0, 4), coeff=0.1, weight_decay=0.5), mult=2)"
    )
    assert f.is_layerwise
    steps = np.arange(20)
    local = f.local_lr(steps, [1.0, 2.0], [1.0, 0.0])
    assert local.shape == (20, 2)
    ratio = 0.1 * 1.0 / (1.0 + 0.5 * 1.0)
    np.testing.assert_allclose(local[:, 0], f(steps) * ratio, rtol=1e-15)
    np.testing.assert_array_equal(local[:, 1], f(steps))
    g = lrdsl.compile(
        "lars(repeat(cosine(1.0, 4), mult=2), coeff=0.1, weight_decay=0.5)"
    )
    np.testing.assert_allclose(g.local_lr(steps, [1.0, 2.0], [1.0, 0.0]), local)


EVERY_CYCLE = [
    "one_cycle(0.1, 1000)",
    'one_cycle(0.1, 1000, anneal="linear", three_phase=true)',
    "one_cycle(0.1, 4611686018427387904, pct_start=0.5)",
    "cyclic(0.001, 0.006, 2000)",
    'cyclic(0.001, 0.006, 2000, mode="triangular2")',
    'cyclic(0.001, 0.006, 2000, mode="exp_range", gamma=0.99999)',
    'cyclic(0.1, 1.0, 4611686018427387904, mode="triangular2")',
    "repeat(cosine(0.1, 1000, end=0.001))",
    "repeat(cosine(0.1, 1000), mult=2)",
    "repeat(cosine(0.1, 1000), times=5, mult=3)",
    "repeat(warmup(100, 0.1) >> cosine(0.1, 900), mult=2)",
    "repeat(piecewise([300], [0.1, 0.01]) for 1000, times=7)",
    "repeat(repeat(linear(1.0, 0.0, 30), times=3), mult=2) + 0.001",
    "warmup(500, 0.1) >> repeat(one_cycle(0.1, 700) >> cyclic(0.01, 0.1, 50) for 300)",
]

probe_steps = st.lists(
    st.one_of(st.integers(0, 10**5), st.integers(0, 2**62)), min_size=1, max_size=25
)


@pytest.mark.parametrize("text", EVERY_CYCLE)
@settings(deadline=None, max_examples=60)
@given(steps=probe_steps)
def test_scalar_equals_vector(text, steps):
    f = lrdsl.compile(text)
    vector = f(np.array(steps, dtype=np.int64))
    scalar = np.array([f(s) for s in steps])
    np.testing.assert_allclose(scalar, vector, rtol=1e-12, atol=ABS)


@pytest.mark.parametrize("text", EVERY_CYCLE)
def test_unsorted_steps_and_shapes(text):
    f = lrdsl.compile(text)
    steps = np.arange(0, 12_000, 7)
    shuffled = np.random.default_rng(0).permutation(steps)
    order = np.argsort(shuffled)
    np.testing.assert_array_equal(f(shuffled)[order], f(steps))
    grid = np.arange(0, 24_000, 1000).reshape(2, 3, 4)
    np.testing.assert_array_equal(f(grid), f(grid.reshape(-1)).reshape(2, 3, 4))
    assert f(np.zeros((0,), dtype=np.int64)).shape == (0,)


SIGNATURES = {
    "one_cycle": (
        "one_cycle(max_lr, total, pct_start=0.3, div_factor=25.0, "
        'final_div_factor=10000.0, anneal="cos", three_phase=false)'
    ),
    "cyclic": 'cyclic(base_lr, max_lr, step_size, mode="triangular", gamma=1.0)',
    "repeat": "repeat(x, times=inf, mult=1)",
}


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_signature(name):
    assert REGISTRY[name].signature() == SIGNATURES[name]
    assert REGISTRY[name].family == "native"


DURATIONS = [
    ("one_cycle(0.1, 100)", 100),
    ("one_cycle(0.1, 10ep)", 50),
    ("cyclic(0.1, 1.0, 10)", math.inf),
    ("cyclic(0.1, 1.0, 10) for 40", 40),
    ("repeat(cosine(1, 10))", math.inf),
    ("repeat(cosine(1, 10), times=3)", 30),
    ("repeat(cosine(1, 10), times=3, mult=2)", 70),
    ("repeat(cosine(1, 10), times=1, mult=5)", 10),
    ("repeat(cosine(1, 1), times=62, mult=2)", 2**62 - 1),
    ("repeat(cosine(1, 1), times=4611686018427387904)", 2**62),
    ("repeat(cyclic(0.1, 1.0, 5) for 10, times=2)", 20),
]


@pytest.mark.parametrize(("text", "duration"), DURATIONS)
def test_duration(text, duration):
    assert lrdsl.compile(text, steps_per_epoch=5).duration == duration


def test_gamma_without_exp_range_warns():
    with pytest.warns(lrdsl.LrdslWarning, match='unless mode="exp_range"'):
        f = lrdsl.compile("cyclic(0.1, 1.0, 10, gamma=0.9)")
    assert f(10) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        lrdsl.compile('cyclic(0.1, 1.0, 10, mode="exp_range", gamma=0.9)')


# (c) Errors: bad text -> a fragment of the message.

ERRORS = [
    ("one_cycle(0.1, 0)", "total=0 is invalid; expected 0 < total"),
    ("one_cycle(0.1, 10.5)", "total must be a whole number of steps"),
    ("one_cycle(0.1, 100, pct_start=1.5)", "expected 0 <= pct_start <= 1"),
    ("one_cycle(0.1, 100, pct_start=-0.1)", "expected 0 <= pct_start <= 1"),
    ("one_cycle(0.1, 100, div_factor=0)", "expected 0 < div_factor"),
    ("one_cycle(0.1, 100, final_div_factor=-1)", "expected 0 < final_div_factor"),
    ('one_cycle(0.1, 100, anneal="cosine")', "anneal='cosine' is invalid"),
    ('one_cycle(0.1, 100, anneal="lin")', "did you mean 'linear'?"),
    ("one_cycle(0.1, 100, three_phase=1)", "three_phase must be true or false"),
    ("one_cycle(0.1)", "one_cycle() is missing 'total'"),
    ("one_cycle(0.1, 100, anneal_strategy=1)", "has no parameter 'anneal_strategy'"),
    ("cyclic(0.1, 1.0, 0)", "step_size=0 is invalid; expected 0 < step_size"),
    ('cyclic(0.1, 1.0, 5, mode="exprange")', "did you mean 'exp_range'?"),
    ("cyclic(0.1, 1.0, 5, gamma=-0.5)", "gamma=-0.5 is invalid; expected 0 <= gamma"),
    ("cyclic(0.1, 1.0, 5) >> 0.1", "cyclic(...) has no end"),
    ("repeat(exponential(0.1, 0.9))", "repeat: x has no end"),
    ("repeat(0.1)", "repeat: x has no end"),
    ("repeat(warmup(0, 0.1))", "repeat: x lasts 0 steps; expected a duration d > 0"),
    ("repeat(cosine(1, 10), mult=0)", "mult=0 is invalid; expected 1 <= mult"),
    ("repeat(cosine(1, 10), mult=1.5)", "mult must be a whole number, got 1.5"),
    ("repeat(cosine(1, 10), times=-1)", "times=-1 is invalid; expected 0 <= times"),
    ("repeat(cosine(1, 10), times=2.5)", "times must be a whole number, got 2.5"),
    ("repeat(cosine(1, 10), times=60, mult=2)", "times=60 is invalid; expected d *"),
    ("repeat(cosine(1, 2), times=4611686018427387904)", "<= 2**62"),
    ("repeat(cosine(1, 10)) >> 0.1", "repeat(...) has no end"),
    (
        "repeat(piecewise([5], [1, 0.5]) for 10, mult=2)",
        "repeat: mult=2 reads x at fractional steps, but piecewise(...) is "
        "defined only at whole steps",
    ),
    ("repeat(step(1, 3) for 9, mult=3)", "but step(...) is defined"),
    (
        "repeat(exponential(1, 0.5, 2, staircase=true) for 10, mult=2)",
        "but exponential(..., staircase=true) is defined",
    ),
    ("repeat(cosine(1, 9) * noam_decay(8, 4) for 9, mult=2)", "but noam_decay(...)"),
    ("repeat(cosine(1, 9) >> piecewise([2], [1, 2]) for 3, mult=2)", "piecewise(...)"),
]


@pytest.mark.parametrize(("text", "fragment"), ERRORS)
def test_error_message(text, fragment):
    with pytest.raises(lrdsl.LrdslError) as caught:
        lrdsl.compile(text)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("text", "culprit"),
    [
        ("one_cycle(0.1, 100, pct_start=1.5)", "1.5"),
        ("cyclic(0.1, 1.0, 0)", "0"),
        ("repeat(exponential(0.1, 0.9), times=2)", "exponential(0.1, 0.9)"),
        ("repeat(warmup(0, 0.1), mult=2)", "warmup(0, 0.1)"),
        ("repeat(cosine(1, 10), mult=0)", "0"),
        ("repeat(cosine(1, 10), times=60, mult=2)", "60"),
        (
            "repeat(cosine(1, 9) + piecewise([5], [1, 2]), mult=2)",
            "piecewise([5], [1, 2])",
        ),
    ],
)
def test_error_points_at_argument(text, culprit):
    with pytest.raises(lrdsl.ArgumentError) as caught:
        lrdsl.compile(text)
    error = caught.value
    assert isinstance(error, ValueError)
    start = error.column - 1
    assert text[start : error.end_column - 1] == culprit
    assert text.rindex(culprit) == start
