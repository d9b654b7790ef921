"""Charts as inline SVG built in Python: stacked horizontal bars and histograms with thresholds.

No script runs in the report; hovering a bar shows its numbers through SVG ``<title>`` tooltips.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from saring.report.markup import Markup, el, join

BINS = 40
BAR_WIDTH = 1100  # horizontal bar charts span the page
HISTOGRAM_WIDTH = 540  # histograms sit two side by side


def fmt_count(value: float) -> str:
    return f"{round(value):,}"


def fmt_value(value: float) -> str:
    """A signal value: integers with separators, others with three significant digits."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:.3g}"


def fmt_bytes(value: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1000 or unit == "TB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1000
    return f"{value:,.1f} TB"


def _shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _svg(shapes: Sequence[Markup], width: int, height: float, title: str) -> Markup:
    """An inline chart: its shapes in an SVG element of the given size, labelled for screen readers."""
    return el(
        "svg",
        shapes,
        xmlns="http://www.w3.org/2000/svg",
        width=width,
        height=height,
        viewBox=f"0 0 {width} {height}",
        role="img",
        aria_label=title,
        class_="chart",
    )


def _legend(series: Sequence[tuple[str, str]], y: int) -> Markup:
    items, x = [], 0
    for name, color in series:
        items.append(el("rect", x=x, y=y, width=11, height=11, fill=color))
        items.append(el("text", name, x=x + 15, y=y + 10, class_="legend"))
        x += 24 + 7 * len(name)
    return join(items)


def bars(
    rows: Sequence[tuple[str, Sequence[float]]],
    series: Sequence[tuple[str, str]],
    *,
    title: str,
    number=fmt_count,
    label_width: int = 250,
) -> Markup:
    """Horizontal stacked bars: one row per label, one segment per series (name, color)."""
    row_height, top = 21, 24
    bar_width = BAR_WIDTH - label_width - 90
    largest = max((sum(values) for _, values in rows), default=0) or 1
    shapes = [_legend(series, 4)] if len(series) > 1 else []
    for index, (label, values) in enumerate(rows):
        y = top + index * row_height
        shapes.append(
            el(
                "text",
                el("title", label),
                _shorten(label, label_width // 7),
                x=label_width - 6,
                y=y + 14,
                text_anchor="end",
            )
        )
        x = float(label_width)
        for (name, color), value in zip(series, values, strict=True):
            width = value / largest * bar_width
            if width > 0:
                shapes.append(
                    el(
                        "rect",
                        el("title", f"{label} — {name}: {number(value)}"),
                        x=f"{x:.1f}",
                        y=y + 3,
                        width=f"{max(width, 0.5):.1f}",
                        height=row_height - 6,
                        fill=color,
                    )
                )
            x += width
        shapes.append(el("text", number(sum(values)), x=f"{x + 5:.1f}", y=y + 14, class_="value"))
    height = top + row_height * len(rows) + 4
    return _svg(shapes, BAR_WIDTH, height, title)


@dataclass
class Histogram:
    """Counts per bin and group over a (possibly log10(1+x)) axis, with thresholds in signal units."""

    edges: np.ndarray  # in axis units
    counts: dict[str, np.ndarray]
    log: bool
    thresholds: dict[str, float]
    clipped: int  # values beyond the axis, counted in the edge bins

    def to_axis(self, value: float) -> float:
        return float(np.log10(1 + value)) if self.log else value

    def from_axis(self, value: float) -> float:
        return float(10**value - 1) if self.log else value


def histogram_of(values: Mapping[str, np.ndarray], thresholds: Mapping[str, float]) -> Histogram | None:
    """Bins for the groups' values (None when there are none): whole numbers get one bin each when
    few; long-tailed non-negative values get a log axis; far outliers fall into the edge bins."""
    everything = np.concatenate([v for v in values.values() if len(v)] or [np.empty(0)])
    if not len(everything):
        return None
    low, high = float(everything.min()), float(everything.max())
    q_low, median, q_high = (float(q) for q in np.quantile(everything, [0.005, 0.5, 0.995]))
    log = low >= 0 and (high + 1) / (median + 1) > 30
    if not log and high - low > 10 * (q_high - q_low) > 0:
        low, high = q_low, q_high
    limits = [low, high, *(t for t in thresholds.values() if not log or t >= 0)]
    low, high = min(limits), max(limits)
    integral = bool(np.all(np.mod(everything, 1) == 0))
    if not log and integral and high - low <= BINS * 1.5:
        edges = np.arange(low - 0.5, high + 1.5)
    else:
        axis = (np.log10(1 + low), np.log10(1 + high)) if log else (low, high)
        if axis[1] <= axis[0]:
            axis = (axis[0] - 0.5, axis[0] + 0.5)
        edges = np.linspace(axis[0], axis[1], BINS + 1)
    clipped = 0
    counts = {}
    for group, group_values in values.items():
        on_axis = np.log10(1 + np.maximum(group_values, 0)) if log else np.asarray(group_values)
        clipped += int(np.count_nonzero((on_axis < edges[0]) | (on_axis > edges[-1])))
        counts[group] = np.histogram(np.clip(on_axis, edges[0], edges[-1]), edges)[0]
    return Histogram(edges, counts, log, dict(thresholds), clipped)


def histogram_chart(hist: Histogram, series: Mapping[str, tuple[str, str]], *, title: str) -> Markup:
    """Stacked vertical bars per bin (groups named and colored by ``series``), thresholds as lines."""
    left, right, top, bottom, height = 56, 16, 40, 34, 230
    plot_width, plot_height = HISTOGRAM_WIDTH - left - right, height - top - bottom
    start, stop = float(hist.edges[0]), float(hist.edges[-1])
    totals = sum(hist.counts.values())
    largest = int(totals.max()) or 1

    def x_of(axis_value: float) -> float:
        return left + (axis_value - start) / (stop - start) * plot_width

    shapes = [_legend([series[g] for g in hist.counts], 4)]
    for index in range(len(hist.edges) - 1):
        x0, x1 = x_of(hist.edges[index]), x_of(hist.edges[index + 1])
        low, high = hist.from_axis(hist.edges[index]), hist.from_axis(hist.edges[index + 1])
        tip = f"{fmt_value(low)} – {fmt_value(high)}: " + ", ".join(
            f"{series[g][0]} {fmt_count(c[index])}" for g, c in hist.counts.items()
        )
        y = float(top + plot_height)
        for group, counts in hist.counts.items():
            bar = counts[index] / largest * plot_height
            if bar > 0:
                y -= bar
                shapes.append(
                    el(
                        "rect",
                        el("title", tip),
                        x=f"{x0 + 0.5:.1f}",
                        y=f"{y:.1f}",
                        width=f"{max(x1 - x0 - 1, 0.5):.1f}",
                        height=f"{bar:.1f}",
                        fill=series[group][1],
                    )
                )
    axis_y = top + plot_height
    shapes.append(el("line", x1=left, y1=axis_y, x2=left + plot_width, y2=axis_y, class_="axis"))
    shapes.append(el("line", x1=left, y1=top, x2=left, y2=axis_y, class_="axis"))
    shapes.append(el("text", fmt_count(largest), x=left - 4, y=top + 4, text_anchor="end", class_="tick"))
    shapes.append(el("text", "0", x=left - 4, y=axis_y, text_anchor="end", class_="tick"))
    for tick in np.linspace(start, stop, 6):
        x = x_of(tick)
        shapes.append(el("line", x1=f"{x:.1f}", y1=axis_y, x2=f"{x:.1f}", y2=axis_y + 4, class_="axis"))
        shapes.append(
            el("text", fmt_value(hist.from_axis(tick)), x=f"{x:.1f}", y=axis_y + 16, text_anchor="middle")
        )
    if hist.log:
        shapes.append(el("text", "log scale", x=left + plot_width, y=height - 2, text_anchor="end"))
    for name, value in hist.thresholds.items():
        x = x_of(hist.to_axis(value))
        shapes.append(
            el(
                "line",
                el("title", f"{name} = {value:g}"),
                x1=f"{x:.1f}",
                y1=top - 6,
                x2=f"{x:.1f}",
                y2=axis_y,
                class_="threshold",
            )
        )
        anchor = "end" if x > left + plot_width * 0.7 else "start"
        shapes.append(
            el(
                "text",
                f"{name} = {fmt_value(value)}",
                x=f"{x + (-4 if anchor == 'end' else 4):.1f}",
                y=top - 8,
                text_anchor=anchor,
                class_="threshold-label",
            )
        )
    return _svg(shapes, HISTOGRAM_WIDTH, height, title)
