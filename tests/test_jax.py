"""The JAX adapter (skipped when jax is not installed)."""

import numpy as np
import pytest

import lrdsl

jax = pytest.importorskip("jax")
jax.config.update("jax_enable_x64", True)
import jax.numpy as jnp  # noqa: E402

from lrdsl.integrations.jax import to_jax  # noqa: E402

TEXTS = [
    "warmup(500, 0.1) >> cosine(0.1, 9500, end=1e-4)",
    "linear(0.1, 0.0, 100) >> polynomial(0.1, 0.01, 50, power=2)",
    "exponential(0.1, 0.99, every=3, staircase=true)",
    "step(0.1, 30) + multistep(0.1, [10, 20]) * 0.5",
    "piecewise([10, 20], [0.1, 0.01, 0.001])",
    "inverse_sqrt(0.1, 50, init=0.01)",
    "min(warmup(10, 1.0), 0.5) - max(0.1, 0.2) / 2",
    "clip(-warmup(10, 1.0) + 0.8, 0.0, 0.5)",
    "1 for 10 >> global(warmup(40, 1.0)) >> 0.1",
    "noam_decay(512, 40) + exponential_decay(0.1, 5, 0.5, true)",
    "natural_exp_decay(0.1, 5, 0.5) + inverse_time_decay(0.1, 5, 0.5)",
    "polynomial_decay(0.1, 10, cycle=true) + piecewise_decay([10, 30], [1, 2, 3])",
    "cosine_decay(0.1, 3, 4) + linear_lr_warmup(piecewise_decay([9], [1, 2]), 5, 0, 1)",
    "lars(warmup(5, 0.1) >> 0.1, coeff=0.01)",
    "append_LARS(0.1, 0.001)",
    'one_cycle(0.1, 150, three_phase=true) + cyclic(0.01, 0.1, 7, mode="triangular2")',
    "repeat(cosine(0.1, 10, end=0.01), mult=2)",
    "repeat(warmup(3, 0.1) >> cosine(0.1, 7), times=5)",
    "NoamDecay(64, 10) + CosineAnnealingWarmRestarts(0.1, 5, T_mult=2)",
    "LinearWarmup(PiecewiseDecay([30, 60], [0.1, 0.01, 0.001]), 10, 0.0, 0.1)",
]


@pytest.mark.parametrize("text", TEXTS)
def test_matches_numpy_under_jit(text):
    f = lrdsl.compile(text)
    jitted = jax.jit(to_jax(f))
    steps = np.arange(200)
    np.testing.assert_allclose(
        np.asarray(jitted(jnp.asarray(steps))), f(steps), rtol=1e-12, atol=1e-15
    )


def test_scalar_and_shape():
    f = lrdsl.compile("warmup(4, 1.0)")
    g = to_jax(f)
    assert float(g(2)) == 0.5
    assert g(jnp.zeros((2, 3), dtype=jnp.int64)).shape == (2, 3)


def test_rejects_text():
    with pytest.raises(lrdsl.ArgumentError, match="expected an lrdsl.Schedule"):
        to_jax("warmup(4, 1.0)")
