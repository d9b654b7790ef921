"""Heuristic quality filtering (Gopher quality and repetition, FineWeb, C4) with per-language presets.

One stage, ``quality``: every document is split into words once, every filter's signal is recorded
(``quality.<signal>``) and ``decide`` names the first failing check (``gopher_repetition:dup_line_frac``).
Presets live in ``resources/languages/<code>/quality.yaml``.
"""

from saring.stages.quality.stage import Quality, QualityParams

__all__ = ["Quality", "QualityParams"]
