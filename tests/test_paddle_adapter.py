"""The PaddlePaddle scheduler adapter (skipped when paddle is not installed)."""

import pytest

import lrdsl

paddle = pytest.importorskip("paddle")
from lrdsl.integrations.paddle import LrdslLR  # noqa: E402


def test_values_follow_schedule():
    f = lrdsl.compile("warmup(3, 0.1) >> cosine(0.1, 5)")
    scheduler = LrdslLR(f)
    seen = []
    for _ in range(10):
        seen.append(scheduler())
        scheduler.step()
    assert seen == [f(step) for step in range(10)]


def test_resume_from_state_dict():
    f = lrdsl.compile("warmup(3, 0.1) >> cosine(0.1, 5)")
    scheduler = LrdslLR(f)
    for _ in range(4):
        scheduler.step()
    state = scheduler.state_dict()
    resumed = LrdslLR(f)
    resumed.set_state_dict(state)
    assert resumed() == f(4)


def test_drives_a_paddle_optimizer():
    f = lrdsl.compile("warmup(2, 0.5) >> 0.5")
    scheduler = LrdslLR(f)
    layer = paddle.nn.Linear(2, 1)
    optimizer = paddle.optimizer.SGD(
        learning_rate=scheduler, parameters=layer.parameters()
    )
    rates = []
    for _ in range(3):
        rates.append(optimizer.get_lr())
        scheduler.step()
    assert rates == [0.0, 0.25, 0.5]


def test_rejects_text():
    with pytest.raises(lrdsl.ArgumentError, match="expected an lrdsl.Schedule"):
        LrdslLR("warmup(2, 0.5)")
