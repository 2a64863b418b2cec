"""Generate ``docs/schedules.md`` from the schedule registry.

Each schedule's docstring is its documentation, so the page cannot drift
from the code. Regenerate it with::

    python -m lrdsl._docs > docs/schedules.md

and ``tests/test_docs.py`` fails when the page is stale.
"""

from __future__ import annotations

import re

from . import schedules as _schedules  # noqa: F401  (registers the library)
from ._registry import REGISTRY, ScheduleSpec

FAMILIES = (
    (
        "paddle",
        "Paddle classic schedules",
        "PaddlePaddle's `fluid.layers` learning-rate functions, with Paddle's "
        "parameter names, defaults and positional order, and the values "
        "Paddle's static graph produces (to a relative 1e-6; Paddle computes "
        "in float32, lrdsl in float64). All have infinite duration.",
    ),
    (
        "paddle2",
        "Paddle 2.x classes",
        "The `paddle.optimizer.lr` classes, with their parameter names, "
        "defaults and positional order (without `last_epoch` and `verbose`). "
        "The value at step `s` is what `scheduler()` returns while "
        "`last_epoch == s`, to rounding (Paddle computes these in float64). "
        "They differ from the classics: `NoamDecay(...)(0)` is 0, "
        "`ExponentialDecay` decays by `gamma` every step, and `LinearWarmup` "
        "delays its inner schedule instead of overlaying it. Where Paddle "
        "computes a value from the previous one, lrdsl uses the closed form. "
        "`LinearLR` and `OneCycleLR` last `total_steps` steps, `LinearWarmup` "
        "lasts `warmup_steps` plus its inner schedule, and the others have "
        "infinite duration.",
    ),
    (
        "native",
        "Native schedules",
        "One vocabulary (`init`, `peak`, `end`, `steps`, `every`, `gamma`), "
        "step origin 0. Where a schedule has a duration `steps`, "
        "`t = min(s, steps)`, so it holds its end value afterwards.",
    ),
    (
        "combinator",
        "Combinators",
        "Schedules built from other schedules. `min(a, b, ...)` and "
        "`max(a, b, ...)` are pointwise and take two or more schedules; "
        "their duration is the shortest finite one.",
    ),
    (
        "lars",
        "Layer-wise scaling (LARS)",
        "A schedule that contains one of these is layer-wise: `f(step)` is "
        "the global rate before scaling, and `f.local_lr(step, param_norm, "
        "grad_norm)` is the per-layer rate.",
    ),
)

HEADER = """\
# Schedule library

Generated from the docstrings by `python -m lrdsl._docs`; do not edit by hand.

In every formula, `s` is the step on the schedule's own clock: 0 at the first
step of its segment in a `>>` chain (the training step when it is not in a
chain, or inside `global(...)`). Step-valued arguments (durations, boundaries,
milestones, periods) take units: `5ep` and `10%`. See
[language.md](language.md) for the syntax and the clocks.
"""


def render_schedules() -> str:
    """Return the Markdown text of ``docs/schedules.md``."""
    lines = [HEADER]
    for family, title, intro in FAMILIES:
        specs = [spec for spec in REGISTRY.values() if spec.family == family]
        if not specs:
            continue
        lines += [f"## {title}", "", intro, ""]
        lines += [f"- [`{spec.name}`](#{spec.name.lower()})" for spec in specs]
        lines.append("")
        for spec in specs:
            lines += _render_spec(spec)
    return "\n".join(lines).rstrip() + "\n"


def _render_spec(spec: ScheduleSpec) -> list[str]:
    lines = [f"### {spec.name}", "", "```", spec.signature(), "```", ""]
    lines += _markdown(spec.doc)
    lines.append("")
    return lines


def _markdown(doc: str) -> list[str]:
    """Turn a Google-style docstring into Markdown."""
    out: list[str] = []
    in_args = in_doctest = False
    for line in doc.splitlines():
        if line.startswith(">>>"):
            if not in_doctest:
                out += ["```python"]
                in_doctest = True
            out.append(line)
            continue
        if in_doctest:
            if not line.strip():
                out += ["```", ""]
                in_doctest = False
            else:
                out.append(line)
            continue
        if line.strip() == "Args:":
            in_args = True
            out += ["Arguments:", ""]
            continue
        if in_args:
            match = re.match(r"^  (\w+): (.*)$", line)
            if match:
                out.append(f"- `{match[1]}`: {match[2]}")
                continue
            if line.startswith("    ") and out and out[-1].startswith("- "):
                out[-1] += " " + line.strip()
                continue
            in_args = False
        out.append(line)
    if in_doctest:
        out.append("```")
    return out


if __name__ == "__main__":
    print(render_schedules(), end="")
