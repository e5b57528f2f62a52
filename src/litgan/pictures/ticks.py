"""Labels of log-scale axes as plain text: "10⁻⁴", "2×10⁻¹".

Matplotlib writes them in its math notation, whose parser costs about 50 ms a label, and a run
draws a dozen new ones (0.6 s of a short run's 3 s); Unicode superscripts read the same.
"""

from __future__ import annotations

import re

from matplotlib.axis import Axis
from matplotlib.ticker import LogFormatterSciNotation

SUPERSCRIPT = str.maketrans("0123456789-−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻")


def plain(label: str) -> str:
    """A label of LogFormatterSciNotation without its math notation."""
    body = re.fullmatch(r"\$\\mathdefault\{(.*)\}\$", label)
    if body is None:
        return label
    text = body.group(1).replace(r"\times", "×")
    return re.sub(r"\^\{([^}]*)\}", lambda power: power.group(1).translate(SUPERSCRIPT), text)


class PlainLogFormatter(LogFormatterSciNotation):
    """LogFormatterSciNotation's labels, as plain text."""

    def __call__(self, x: float, pos: int | None = None) -> str:
        return plain(super().__call__(x, pos))


def plain_log_ticks(axis: Axis) -> None:
    """Label the log-scale `axis` (major and minor ticks, as matplotlib would) in plain text."""
    axis.set_major_formatter(PlainLogFormatter())
    axis.set_minor_formatter(PlainLogFormatter(labelOnlyBase=False))
