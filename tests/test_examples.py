"""Check every config in examples/ against its source framework's own formula.

Each reference below restates one framework's scheduler in plain Python,
written from that framework's source and independent of lrdsl: the docstring
names the scheduler and how its step counter lines up with lrdsl's step 0
(the first optimizer update). The steps checked are each recipe's
boundaries: the first step, both sides of every warmup end and milestone,
and the last step of the run.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

import lrdsl

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

# Both sides compute in float64 and differ only in the order of operations.
REL = 1e-9
ABS = 1e-15


# References, one per source framework.


def torch_step_lr(step: int) -> float:
    """Return PyTorch StepLR(step_size=30, gamma=0.1) on lr 0.1 at ``step``.

    examples/imagenet steps the scheduler once per epoch, so every step of
    epoch e uses 0.1 * 0.1 ** (e // 30). An epoch is 5005 steps.
    """
    epoch = step // 5005
    return 0.1 * 0.1 ** (epoch // 30)


def paddle_noam(step: int) -> float:
    """Return Paddle fluid.layers.noam_decay(512, 4000) at lrdsl's ``step``.

    Paddle's noam counter starts at 1, so lrdsl's step s is its n = s + 1.
    """
    n = step + 1
    return 512**-0.5 * min(n**-0.5, n * 4000**-1.5)


def hf_linear_with_warmup(step: int) -> float:
    """Return transformers get_linear_schedule_with_warmup on lr 1e-4.

    num_warmup_steps is 10000 and num_training_steps 1000000. LambdaLR
    evaluates the factor at 0 for the first update, as lrdsl does.
    """
    warmup, total = 10_000, 1_000_000
    if step < warmup:
        factor = step / max(1, warmup)
    else:
        factor = max(0.0, (total - step) / max(1, total - warmup))
    return 1e-4 * factor


def detectron2_warmup_multistep(iteration: int) -> float:
    """Return Detectron2 WarmupMultiStepLR with the Base-RCNN-FPN 1x solver.

    BASE_LR 0.02, STEPS (60000, 80000), GAMMA 0.1, linear warmup with
    WARMUP_FACTOR 1/1000 over WARMUP_ITERS 1000. Iteration 0 is the first
    update.
    """
    base_lr, gamma, milestones = 0.02, 0.1, (60_000, 80_000)
    warmup_factor, warmup_iters = 1.0 / 1000, 1000
    if iteration >= warmup_iters:
        factor = 1.0
    else:
        alpha = iteration / warmup_iters
        factor = warmup_factor * (1 - alpha) + alpha
    return base_lr * factor * gamma ** bisect.bisect_right(milestones, iteration)


def mmcv_poly(iteration: int, base_lr: float = 0.01) -> float:
    """Return mmcv PolyLrUpdaterHook(power=0.9, min_lr=1e-4) over 80000 steps.

    ``base_lr`` is the parameter group's initial rate, while ``min_lr`` is
    shared by all groups. ``runner.iter`` is 0 before the first iteration.
    """
    coeff = (1 - iteration / 80_000) ** 0.9
    return (base_lr - 1e-4) * coeff + 1e-4


def mae_adjust_learning_rate(step: int) -> float:
    """Return MAE util/lr_sched.adjust_learning_rate with lr 2.4e-3.

    Warmup is 40 of 800 epochs. MAE calls it before every iteration with the
    fractional epoch ``step / len(data_loader)``, and len(data_loader) is 312.
    """
    lr, min_lr, warmup_epochs, epochs = 2.4e-3, 0.0, 40, 800
    epoch = step / 312
    if epoch < warmup_epochs:
        return lr * epoch / warmup_epochs
    progress = (epoch - warmup_epochs) / (epochs - warmup_epochs)
    return min_lr + (lr - min_lr) * 0.5 * (1.0 + math.cos(math.pi * progress))


def fairseq_inverse_sqrt(num_updates: int) -> float:
    """Return fairseq InverseSquareRootSchedule.step_update with lr 5e-4.

    warmup_updates is 4000 and warmup_init_lr 1e-7. The update that follows
    ``num_updates`` updates runs at ``step_update(num_updates)``.
    """
    lr, warmup_init_lr, warmup_updates = 5e-4, 1e-7, 4000
    if num_updates < warmup_updates:
        lr_step = (lr - warmup_init_lr) / warmup_updates
        return warmup_init_lr + num_updates * lr_step
    decay_factor = lr * warmup_updates**0.5
    return decay_factor * num_updates**-0.5


MLPERF_STEPS_PER_EPOCH = 1_281_167 // 4096
MLPERF_WARMUP = 2 * MLPERF_STEPS_PER_EPOCH
MLPERF_TRAIN_STEPS = 41 * MLPERF_STEPS_PER_EPOCH


def mlperf_poly_with_warmup(step: int) -> float:
    """Return MLPerf lars_util.PolynomialDecayWithWarmup at batch 4096.

    Base lr 14.0, warmup 2 epochs, 41 train epochs, end lr 1e-4. The
    polynomial part is Keras PolynomialDecay(power=2, decay_steps=train_steps
    - warmup + 1) read at ``step - warmup``. ``step`` is the optimizer's
    iteration count, 0 at the first update.
    """
    peak, end = 14.0, 1e-4
    if step <= MLPERF_WARMUP:
        return peak * step / MLPERF_WARMUP
    decay_steps = MLPERF_TRAIN_STEPS - MLPERF_WARMUP + 1
    poly_step = min(step - MLPERF_WARMUP, decay_steps)
    return (peak - end) * (1 - poly_step / decay_steps) ** 2 + end


def tf_lars_trust_ratio(param_norm: float, grad_norm: float) -> float:
    """Return the trust ratio of MLPerf LARSOptimizer.compute_lr.

    eeta is 0.001 and weight decay 0.0002. epsilon is the flag's 0.0, which
    the optimizer replaces with the Keras epsilon 1e-7. The ratio is 1 unless
    both norms are positive.
    """
    eeta, weight_decay, epsilon = 0.001, 0.0002, 1e-7
    if param_norm > 0 and grad_norm > 0:
        return eeta * param_norm / (grad_norm + weight_decay * param_norm + epsilon)
    return 1.0


def paddle_warmup_piecewise(step: int) -> float:
    """Return Paddle linear_lr_warmup(piecewise, 500, 0.01 / 3, 0.01).

    The inner schedule is piecewise_decay([60000, 80000], [0.01, 0.001,
    0.0001]). Both read the learning-rate step counter, which is 0 on the
    first executor run.
    """
    base_lr = 0.01
    start_lr, end_lr, warmup_steps = base_lr / 3, base_lr, 500
    if step < warmup_steps:
        return start_lr + (end_lr - start_lr) * (step / warmup_steps)
    boundaries = [60_000, 80_000]
    values = [base_lr * 0.1**i for i in range(len(boundaries) + 1)]
    for boundary, value in zip(boundaries, values, strict=False):
        if step < boundary:
            return value
    return values[-1]


# The examples, the reference each must match and the steps to check.


@dataclass(frozen=True)
class Example:
    file: str
    reference: Callable[[int], float]
    steps: tuple[int, ...]
    # For a `schedules:` config, which named schedule to check.
    name: str | None = None

    @property
    def id(self) -> str:
        stem = self.file.removesuffix(".yaml")
        return f"{stem}:{self.name}" if self.name else stem


EXAMPLE_TABLE = [
    Example(
        "resnet50_imagenet_step.yaml",
        torch_step_lr,
        # Epochs 30, 60 and 90 start at steps 150150, 300300 and 450450.
        (0, 5004, 5005, 150149, 150150, 300299, 300300, 450449, 450450),
    ),
    Example(
        "transformer_base_noam.yaml",
        paddle_noam,
        (0, 1, 3998, 3999, 4000, 50_000, 99_999),
    ),
    Example(
        "bert_base_linear_warmup.yaml",
        hf_linear_with_warmup,
        (0, 1, 9999, 10_000, 10_001, 500_000, 999_999),
    ),
    Example(
        "detectron2_rcnn_fpn_1x.yaml",
        detectron2_warmup_multistep,
        (0, 1, 500, 999, 1000, 59_999, 60_000, 79_999, 80_000, 89_999),
    ),
    Example(
        "mmseg_poly_80k.yaml",
        mmcv_poly,
        (0, 1, 40_000, 79_998, 79_999),
    ),
    Example(
        "mae_pretrain_cosine.yaml",
        mae_adjust_learning_rate,
        # 40 epochs are 12480 steps, and 800 epochs are 249600.
        (0, 1, 311, 312, 12_479, 12_480, 12_481, 130_560, 249_599),
    ),
    Example(
        "fairseq_inverse_sqrt.yaml",
        fairseq_inverse_sqrt,
        (0, 1, 3999, 4000, 4001, 16_000, 300_000),
    ),
    Example(
        "mlperf_resnet50_lars.yaml",
        mlperf_poly_with_warmup,
        (
            0,
            1,
            MLPERF_WARMUP - 1,
            MLPERF_WARMUP,
            MLPERF_WARMUP + 1,
            6000,
            MLPERF_TRAIN_STEPS - 1,
        ),
    ),
    Example(
        "paddledet_faster_rcnn_1x.yaml",
        paddle_warmup_piecewise,
        (0, 1, 499, 500, 59_999, 60_000, 79_999, 80_000, 89_999),
    ),
    Example(
        "setr_backbone_head_poly.yaml",
        mmcv_poly,
        (0, 1, 40_000, 79_999),
        name="backbone",
    ),
    Example(
        "setr_backbone_head_poly.yaml",
        lambda iteration: mmcv_poly(iteration, base_lr=0.1),
        (0, 1, 40_000, 79_999),
        name="head",
    ),
]

# steps_per_epoch and total_steps each config declares.
CONFIG_SIZES = {
    "resnet50_imagenet_step.yaml": (5005, 450_450),
    "transformer_base_noam.yaml": (None, 100_000),
    "bert_base_linear_warmup.yaml": (None, 1_000_000),
    "detectron2_rcnn_fpn_1x.yaml": (None, 90_000),
    "mmseg_poly_80k.yaml": (None, 80_000),
    "mae_pretrain_cosine.yaml": (312, 249_600),
    "fairseq_inverse_sqrt.yaml": (None, None),
    "mlperf_resnet50_lars.yaml": (MLPERF_STEPS_PER_EPOCH, MLPERF_TRAIN_STEPS),
    "paddledet_faster_rcnn_1x.yaml": (None, 90_000),
    "setr_backbone_head_poly.yaml": (None, 80_000),
}


def load_schedule(example: Example) -> lrdsl.Schedule:
    config = lrdsl.load(EXAMPLES / example.file)
    if example.name is None:
        return config.schedule
    return config.schedules[example.name]


VALUE_CASES = [
    pytest.param(example, step, id=f"{example.id}@{step}")
    for example in EXAMPLE_TABLE
    for step in example.steps
]


@pytest.mark.parametrize(("example", "step"), VALUE_CASES)
def test_value_matches_source_formula(example, step):
    schedule = load_schedule(example)

    got = schedule(step)

    assert got == pytest.approx(example.reference(step), rel=REL, abs=ABS)


@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=lambda e: e.id)
def test_vector_path_matches_source_formula(example):
    schedule = load_schedule(example)
    steps = np.array(example.steps, dtype=np.int64)
    expected = np.array([example.reference(int(step)) for step in steps])

    got = schedule(steps)

    assert got.shape == steps.shape
    np.testing.assert_allclose(got, expected, rtol=REL, atol=ABS)


@pytest.mark.parametrize("example", EXAMPLE_TABLE, ids=lambda e: e.id)
def test_reference_steps_are_inside_run(example):
    """Guard the table itself: its steps lie inside (or one past) the run."""
    total = CONFIG_SIZES[example.file][1]
    if total is None:
        pytest.skip("the config declares no total_steps")

    assert max(example.steps) <= total


@pytest.mark.parametrize(("file", "sizes"), sorted(CONFIG_SIZES.items()))
def test_config_declares_run_size(file, sizes):
    config = lrdsl.load(EXAMPLES / file)
    steps_per_epoch, total_steps = sizes

    assert config.steps_per_epoch == steps_per_epoch
    assert config.total_steps == total_steps


# Step origin: the one recipe whose counter does not start at lrdsl's 0.


def test_noam_peak_is_at_step_3999():
    """Paddle's noam counter is lrdsl's step + 1, so n = 4000 is step 3999."""
    schedule = lrdsl.load(EXAMPLES / "transformer_base_noam.yaml").schedule
    steps = np.arange(3990, 4010)

    values = schedule(steps)

    assert steps[np.argmax(values)] == 3999
    assert schedule(3999) == pytest.approx(4000**-0.5 / 512**0.5, rel=REL)
    assert schedule(0) == pytest.approx(4000**-1.5 / 512**0.5, rel=REL)


def test_detectron2_first_step_is_warmup_factor():
    """Iteration 0 runs at BASE_LR * WARMUP_FACTOR, not at 0."""
    schedule = lrdsl.load(EXAMPLES / "detectron2_rcnn_fpn_1x.yaml").schedule

    assert schedule(0) == pytest.approx(0.02 / 1000, rel=REL)
    assert schedule(1000) == pytest.approx(0.02, rel=REL)


# LARS: the global rate and the per-layer rate.

LARS_FILE = EXAMPLES / "mlperf_resnet50_lars.yaml"

# (param_norm, grad_norm): typical layers, a tiny gradient that makes the
# weight-decay term dominate, and the zero-norm fallbacks.
LARS_NORMS = [
    (1.0, 1.0),
    (35.2, 0.8),
    (0.05, 3.0),
    (12.0, 1e-9),
    (0.0, 2.0),
    (3.0, 0.0),
    (0.0, 0.0),
]

LARS_STEPS = (
    0,
    1,
    MLPERF_WARMUP - 1,
    MLPERF_WARMUP,
    MLPERF_WARMUP + 1,
    MLPERF_TRAIN_STEPS - 1,
)


def test_lars_config_is_layerwise():
    schedule = lrdsl.load(LARS_FILE).schedule

    assert schedule.is_layerwise


@pytest.mark.parametrize("step", LARS_STEPS)
@pytest.mark.parametrize(("param_norm", "grad_norm"), LARS_NORMS)
def test_lars_local_lr_matches_tf_lars(step, param_norm, grad_norm):
    schedule = lrdsl.load(LARS_FILE).schedule
    expected = mlperf_poly_with_warmup(step) * tf_lars_trust_ratio(
        param_norm, grad_norm
    )

    got = schedule.local_lr(step, param_norm, grad_norm)

    assert isinstance(got, float)
    assert got == pytest.approx(expected, rel=REL, abs=ABS)


def test_lars_local_lr_broadcasts_steps_by_layers():
    schedule = lrdsl.load(LARS_FILE).schedule
    steps = np.array(LARS_STEPS)
    param_norms = np.array([norms[0] for norms in LARS_NORMS])
    grad_norms = np.array([norms[1] for norms in LARS_NORMS])
    expected = np.array(
        [
            [
                mlperf_poly_with_warmup(int(step)) * tf_lars_trust_ratio(w, g)
                for w, g in LARS_NORMS
            ]
            for step in steps
        ]
    )

    got = schedule.local_lr(steps, param_norms, grad_norms)

    assert got.shape == (len(steps), len(LARS_NORMS))
    np.testing.assert_allclose(got, expected, rtol=REL, atol=ABS)


# The examples folder itself.


def example_files() -> list[Path]:
    return sorted(EXAMPLES.glob("*.yaml"))


def test_at_least_eight_examples():
    assert len(example_files()) >= 8


def test_every_example_is_checked():
    checked = {example.file for example in EXAMPLE_TABLE}

    assert {path.name for path in example_files()} == checked
    assert set(CONFIG_SIZES) == checked


@pytest.mark.parametrize("path", example_files(), ids=lambda path: path.name)
def test_example_opens_with_recipe_comment(path):
    first_line = path.read_text(encoding="utf-8").splitlines()[0]

    assert first_line.startswith("# ")
    assert ":" in first_line


@pytest.mark.parametrize("path", example_files(), ids=lambda path: path.name)
def test_readme_lists_example(path):
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")

    assert f"`{path.name}`" in readme
