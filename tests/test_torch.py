"""The PyTorch scheduler adapter (skipped when torch is not installed)."""

import math

import pytest

import lrdsl

torch = pytest.importorskip("torch")
from lrdsl.integrations.torch import LrdslLR  # noqa: E402

TEXT = "warmup(4, 0.1) >> cosine(0.1, 8, end=0.01)"


def make_optimizer(groups=1):
    torch.manual_seed(0)
    layers = [torch.nn.Linear(3, 2) for _ in range(groups)]
    params = [
        {"params": layer.parameters(), "name": f"layer{index}"}
        for index, layer in enumerate(layers)
    ]
    return layers, torch.optim.SGD(params, lr=123.0, momentum=0.9)


def train(layers, optimizer, scheduler, steps):
    used = []
    for _ in range(steps):
        loss = sum(layer(torch.ones(1, 3)).sum() for layer in layers)
        optimizer.zero_grad()
        loss.backward()
        used.append([group["lr"] for group in optimizer.param_groups])
        optimizer.step()
        scheduler.step()
    return used


def test_rates_follow_schedule_from_step_zero():
    f = lrdsl.compile(TEXT)
    layers, optimizer = make_optimizer()
    scheduler = LrdslLR(optimizer, f)
    used = train(layers, optimizer, scheduler, 15)
    assert [rates[0] for rates in used] == [f(step) for step in range(15)]
    assert scheduler.get_last_lr() == [f(15)]


def test_one_schedule_per_group_and_by_name():
    backbone = lrdsl.compile("0.01")
    head = lrdsl.compile("warmup(2, 0.1)")
    layers, optimizer = make_optimizer(groups=2)
    scheduler = LrdslLR(optimizer, {"layer0": backbone, "layer1": head})
    used = train(layers, optimizer, scheduler, 3)
    assert used == [[0.01, 0.0], [0.01, 0.05], [0.01, 0.1]]
    layers, optimizer = make_optimizer(groups=2)
    scheduler = LrdslLR(optimizer, [head, backbone])
    assert [group["lr"] for group in optimizer.param_groups] == [0.0, 0.01]


def test_resume_from_state_dict_gives_same_rates():
    f = lrdsl.compile(TEXT)
    layers, optimizer = make_optimizer()
    scheduler = LrdslLR(optimizer, f)
    train(layers, optimizer, scheduler, 7)
    state = scheduler.state_dict()
    assert state["last_epoch"] == 7
    assert state["schedules"] == [TEXT]

    layers, optimizer = make_optimizer()
    resumed = LrdslLR(optimizer, lrdsl.compile(TEXT))
    resumed.load_state_dict(state)
    used = train(layers, optimizer, resumed, 5)
    assert [rates[0] for rates in used] == [f(step) for step in range(7, 12)]


def test_resume_with_other_schedule_rejected():
    layers, optimizer = make_optimizer()
    scheduler = LrdslLR(optimizer, lrdsl.compile("0.1"))
    state = scheduler.state_dict()
    other = LrdslLR(make_optimizer()[1], lrdsl.compile("0.2"))
    with pytest.raises(lrdsl.ArgumentError, match="saved with schedules"):
        other.load_state_dict(state)


def test_layerwise_rates_use_group_norms():
    f = lrdsl.compile("lars(warmup(2, 1.0) >> 1.0, coeff=0.01, weight_decay=0.001)")
    layers, optimizer = make_optimizer(groups=2)
    scheduler = LrdslLR(optimizer, f)
    for step in range(4):
        loss = sum(layer(torch.ones(1, 3)).pow(2).sum() for layer in layers)
        optimizer.zero_grad()
        loss.backward()
        expected = []
        for layer in layers:
            params = list(layer.parameters())
            param_norm = math.sqrt(sum(float(p.detach().pow(2).sum()) for p in params))
            grad_norm = math.sqrt(sum(float(p.grad.pow(2).sum()) for p in params))
            expected.append(f.local_lr(step, param_norm, grad_norm))
        optimizer.step()
        rates = [group["lr"] for group in optimizer.param_groups]
        assert rates == pytest.approx(expected, rel=1e-6)
        if step > 0:
            assert rates[0] != rates[1]
        scheduler.step()
    scheduler.close()


@pytest.mark.parametrize(
    ("schedules", "fragment"),
    [
        ({"other": lrdsl.compile("0.1")}, "has no schedule"),
        ([lrdsl.compile("0.1")] * 3, "one lrdsl.Schedule per parameter group"),
        (["0.1", "0.2"], "one lrdsl.Schedule per parameter group"),
    ],
)
def test_bad_schedule_lists(schedules, fragment):
    with pytest.raises(lrdsl.ArgumentError, match=fragment):
        LrdslLR(make_optimizer(groups=2)[1], schedules)


@pytest.mark.parametrize("schedules", [None, "warmup(5, 1)", 0.1], ids=repr)
def test_schedules_must_be_compiled(schedules):
    with pytest.raises(lrdsl.ArgumentError, match="expected an lrdsl.Schedule"):
        LrdslLR(make_optimizer()[1], schedules)


def test_resume_with_other_variables_rejected():
    text = "warmup(1ep, peak)"
    first = lrdsl.compile(text, steps_per_epoch=10, variables={"peak": 0.1})
    layers, optimizer = make_optimizer()
    scheduler = LrdslLR(optimizer, first)
    train(layers, optimizer, scheduler, 3)
    state = scheduler.state_dict()

    other = lrdsl.compile(text, steps_per_epoch=1000, variables={"peak": 5.0})
    resumed = LrdslLR(make_optimizer()[1], other)
    with pytest.raises(lrdsl.ArgumentError, match="other rates"):
        resumed.load_state_dict(state)


@pytest.mark.parametrize("state", [{}, {"last_epoch": "3"}, None], ids=repr)
def test_malformed_state_rejected(state):
    scheduler = LrdslLR(make_optimizer()[1], lrdsl.compile("0.1"))
    with pytest.raises(lrdsl.ArgumentError, match="invalid scheduler state"):
        scheduler.load_state_dict(state)


@pytest.mark.parametrize(
    ("schedules", "fragment"),
    [
        ({"layer0": "warmup(5,1)", "layer1": "warmup(5,1)"}, "not an lrdsl.Schedule"),
        ({1: lrdsl.compile("0.1"), "a": lrdsl.compile("0.1")}, "has no schedule"),
    ],
    ids=["text values", "mixed keys"],
)
def test_bad_schedule_mappings(schedules, fragment):
    with pytest.raises(lrdsl.ArgumentError, match=fragment):
        LrdslLR(make_optimizer(groups=2)[1], schedules)


def test_layerwise_norms_do_not_overflow():
    parameter = torch.nn.Parameter(torch.full((4,), 3e38))
    optimizer = torch.optim.SGD([parameter], lr=1.0)
    scheduler = LrdslLR(optimizer, lrdsl.compile("lars(0.1, coeff=0.01)"))
    parameter.grad = torch.ones(4)
    optimizer.step()
    assert math.isfinite(optimizer.param_groups[0]["lr"])
    scheduler.close()
