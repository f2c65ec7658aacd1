"""Election fingerprint (Klimek, Yegorov, Hanel & Thurner 2012, PNAS 109(41)).

The 2-D histogram of tables by turnout (x) and winner share (y), 1 % bins by
default. A fair election is one compact blob; ballot stuffing smears it toward
the upper right and "extreme fraud" piles tables up near (100 %, 100 %).

Besides the histogram, :func:`fingerprint` measures the smear with a simple,
deliberately crude statistic: the peak of each marginal (on a 5-bin moving
average, so integer-percentage spikes do not move it) and the spread on the
*left* of each peak, which ballot stuffing does not reach, define a symmetric
normal model; the model predicts how many tables should fall in the corner
``turnout > c and share > c`` (c = 0.9) and the result reports the observed
count beside it. :func:`render_fingerprint_svg` draws the histogram as an SVG
heat map (pure: returns text).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from html import escape

import numpy as np
from numpy.typing import ArrayLike

from actas.core.errors import InputError
from actas.core.forensics.result import ScreenResult
from actas.core.forensics.tabledata import FloatArray, IntArray, TableData

__all__ = ["Fingerprint", "fingerprint", "fingerprint_of", "render_fingerprint_svg"]

CAVEAT = (
    "The corner model is a symmetric normal fitted to the left of each peak: it shows "
    "that the upper-right mass is not the tail of the main blob, not how it got there. "
    "Heterogeneous regions (closed communities, military units, ethnic blocs) can form "
    "legitimate high-turnout, high-share clusters; results depend on aggregation level "
    "and bin width."
)

_SMOOTH = 5  # bins in the moving average used to locate the peaks
_PALETTE = ((68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37))


@dataclass(frozen=True, slots=True, eq=False)
class Fingerprint:
    """A turnout × winner-share histogram and the corner statistic.

    ``counts[i, j]`` is the number of tables with turnout in bin ``i`` and
    winner share in bin ``j`` (bin ``b`` covers ``[b/bins, (b+1)/bins)``, the
    last bin also holds 1.0).
    """

    counts: IntArray
    bins: int
    used: int
    excluded_unknown: int
    excluded_over_100: int
    turnout_peak: float
    turnout_sd_left: float
    share_peak: float
    share_sd_left: float
    corner: float
    corner_observed: int
    corner_expected: float
    corner_rows: tuple[int, ...]
    turnout_edge_peak: float | None = None  # the highest bin, when at the edge (see model)
    share_edge_peak: float | None = None

    @property
    def model(self) -> str:
        """How the corner model was fitted: ``main peak`` (each marginal's highest bin),
        ``interior peak`` (a marginal peaks at the edge of the range, the model is fitted
        to its main blob below) or ``not fitted`` (no peak apart from the edge)."""
        if math.isnan(self.corner_expected):
            return "not fitted"
        edge = self.turnout_edge_peak is not None or self.share_edge_peak is not None
        return "interior peak" if edge else "main peak"

    def edge_caveat(self) -> str:
        """What the edge of the range did to the corner model ("" when nothing)."""
        parts = [
            f"{what} peaks at the edge of the range ({peak:.1%})"
            for what, peak in (("turnout", self.turnout_edge_peak),
                               ("winner share", self.share_edge_peak))
            if peak is not None
        ]  # fmt: skip
        if not parts:
            return ""
        said = " and ".join(parts).capitalize()
        if self.model == "not fitted":
            return (
                f"{said}, with no main blob apart from it: a normal fitted there would "
                "expect the very tables it tests, so no corner model was fitted and only "
                "the observed corner count is reported."
            )
        return (
            f"{said}: the corner model was fitted to the main blob below it instead "
            f"(turnout {self.turnout_peak:.1%}, winner share {self.share_peak:.1%})."
        )

    def to_screen(self) -> ScreenResult:
        edge = self.edge_caveat()
        return ScreenResult(
            name="fingerprint",
            inputs="per table: ballots-issued turnout = ballots issued (else valid + null) "
            "/ registered, "
            "winner share = winner / valid",
            statistic_name=f"tables_above_{self.corner:g}_both_minus_expected",
            statistic=self.corner_observed - self.corner_expected,
            caveat=f"{edge} {CAVEAT}" if edge else CAVEAT,
            flagged=self.corner_rows,
            details={
                "bins": self.bins,
                "used": self.used,
                "excluded_unknown": self.excluded_unknown,
                "excluded_over_100": self.excluded_over_100,
                "turnout_peak": self.turnout_peak,
                "turnout_sd_left": self.turnout_sd_left,
                "share_peak": self.share_peak,
                "share_sd_left": self.share_sd_left,
                "corner": self.corner,
                "corner_observed": self.corner_observed,
                "corner_expected": self.corner_expected,
                "corner_model": self.model,
                "turnout_edge_peak": self.turnout_edge_peak,
                "share_edge_peak": self.share_edge_peak,
                "histogram": self.counts,
            },
        )


@dataclass(frozen=True, slots=True)
class _Peak:
    peak: float  # the mode the model is fitted to (NaN when none can be)
    sd: float  # the spread left of it
    edge: float | None  # the highest smoothed bin, when it is at the edge of the range


def _peak_and_left_sd(x: FloatArray, bins: int, corner: float) -> _Peak:
    """The mode of ``x`` that the corner model can use, and the spread left of it.

    The highest bin of the moving average is that mode unless it is *at the edge*:
    its window reaches either end of [0, 1], or it lies beyond ``corner`` (inside the
    range under test). A normal fitted there would call the very pile-up it is meant
    to test its own tail (turnout rising to 100 % peaks at 97.5 % and "expects" most
    extreme tables). Then the mode is the highest interior local maximum below
    ``corner`` from which the density falls to half or less before the edge peak
    (a main blob apart from the pile-up); without one, NaN: no model is fitted.
    """
    if x.size == 0:
        return _Peak(math.nan, math.nan, None)
    hist = np.bincount(np.minimum((x * bins).astype(np.int64), bins - 1), minlength=bins)
    smooth = np.convolve(hist, np.ones(_SMOOTH) / _SMOOTH, mode="same")
    top = int(np.argmax(smooth))
    edge: float | None = None
    at = top
    if top < _SMOOTH or top >= bins - _SMOOTH or (top + 0.5) / bins > corner:
        edge, at = (top + 0.5) / bins, -1
        for j in range(_SMOOTH, bins - _SMOOTH):
            if (j + 0.5) / bins > corner or not 0 < smooth[j] >= max(smooth[j - 1], smooth[j + 1]):
                continue
            lo, hi = sorted((j, top))
            if smooth[lo : hi + 1].min() <= smooth[j] / 2 and (at < 0 or smooth[j] > smooth[at]):
                at = j
        if at < 0:
            return _Peak(math.nan, math.nan, edge)
    peak = (at + 0.5) / bins
    left = x[x < peak]
    sd = float(np.sqrt(np.mean((left - peak) ** 2))) if left.size else math.nan
    return _Peak(peak, sd, edge)


def fingerprint(
    turnout: ArrayLike, share: ArrayLike, *, bins: int = 100, corner: float = 0.9
) -> Fingerprint:
    """Histogram tables by turnout and winner share (NaN = unknown, excluded).

    Tables with turnout above 1 are excluded and counted separately.
    """
    from scipy import stats  # lazily: importing it takes about a second

    if bins < 2:
        raise InputError("fingerprint: bins must be >= 2")
    if not 0.0 < corner < 1.0:
        raise InputError("fingerprint: corner must be in (0, 1)")
    t = np.asarray(turnout, dtype=np.float64)
    s = np.asarray(share, dtype=np.float64)
    if t.shape != s.shape or t.ndim != 1:
        raise InputError("fingerprint: turnout and share must be 1-D arrays of equal length")
    known = ~(np.isnan(t) | np.isnan(s))
    over = known & (t > 1.0)
    ok = known & ~over & (t >= 0.0) & (s >= 0.0) & (s <= 1.0)
    rows = np.flatnonzero(ok)
    tu, sh = t[rows], s[rows]
    ti = np.minimum((tu * bins).astype(np.int64), bins - 1)
    si = np.minimum((sh * bins).astype(np.int64), bins - 1)
    counts = np.bincount(ti * bins + si, minlength=bins * bins).reshape(bins, bins)
    counts = counts.astype(np.int64)
    counts.setflags(write=False)
    tp, sp = _peak_and_left_sd(tu, bins, corner), _peak_and_left_sd(sh, bins, corner)
    t_peak, t_sd, s_peak, s_sd = tp.peak, tp.sd, sp.peak, sp.sd
    in_corner = (tu > corner) & (sh > corner)
    if rows.size and t_sd > 0 and s_sd > 0:
        expected = float(
            rows.size
            * stats.norm.sf((corner - t_peak) / t_sd)
            * stats.norm.sf((corner - s_peak) / s_sd)
        )
    else:
        expected = math.nan
    return Fingerprint(
        counts=counts,
        bins=bins,
        used=int(rows.size),
        excluded_unknown=int((~known).sum()),
        excluded_over_100=int(over.sum()),
        turnout_peak=t_peak,
        turnout_sd_left=t_sd,
        share_peak=s_peak,
        share_sd_left=s_sd,
        corner=corner,
        corner_observed=int(in_corner.sum()),
        corner_expected=expected,
        corner_rows=tuple(int(i) for i in rows[in_corner]),
        turnout_edge_peak=tp.edge,
        share_edge_peak=sp.edge,
    )


def fingerprint_of(data: TableData, *, bins: int = 100, corner: float = 0.9) -> Fingerprint:
    """:func:`fingerprint` of a TableData's (ballots-issued) turnout and winner share."""
    return fingerprint(data.turnout(), data.winner_share(), bins=bins, corner=corner)


def _colour(t: float) -> str:
    """Viridis-like colour for ``t`` in [0, 1]."""
    pos = min(max(t, 0.0), 1.0) * (len(_PALETTE) - 1)
    i = min(int(pos), len(_PALETTE) - 2)
    f = pos - i
    a, b = _PALETTE[i], _PALETTE[i + 1]
    r, g, bl = (round(a[c] + (b[c] - a[c]) * f) for c in range(3))
    return f"#{r:02x}{g:02x}{bl:02x}"


def render_fingerprint_svg(
    fp: Fingerprint,
    *,
    title: str = "Election fingerprint",
    x_label: str = "Turnout (%)",
    y_label: str = "Winner share (%)",
    size: int = 480,
) -> str:
    """An SVG heat map of the fingerprint (log colour scale), with axes and a title.

    Pure: returns the SVG document as text. Labels are XML-escaped.
    """
    if size < 100:
        raise InputError("render_fingerprint_svg: size must be >= 100")
    left, top, right, bottom = 64, 44, 90, 56
    width, height = left + size + right, top + size + bottom
    cell = size / fp.bins
    peak = int(fp.counts.max()) if fp.counts.size else 0
    scale = math.log1p(peak) if peak > 0 else 1.0
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f"<desc>{fp.used} tables in {fp.bins}×{fp.bins} bins; "
        f"{fp.excluded_over_100} with turnout over 100 % and {fp.excluded_unknown} "
        f"without turnout or share are not shown.</desc>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="{left + size / 2:.1f}" y="24" text-anchor="middle" font-size="15" '
        f'font-weight="bold">{escape(title)}</text>',
        '<g shape-rendering="crispEdges">',
        f'<rect x="{left}" y="{top}" width="{size}" height="{size}" fill="#f7f7f7" '
        f'stroke="#333333"/>',
    ]
    ti, si = np.nonzero(fp.counts)
    for i, j in zip(ti.tolist(), si.tolist(), strict=True):
        c = int(fp.counts[i, j])
        x = left + i * cell
        y = top + size - (j + 1) * cell
        out.append(
            f'<rect x="{x:.2f}" y="{y:.2f}" width="{cell:.2f}" height="{cell:.2f}" '
            f'fill="{_colour(math.log1p(c) / scale)}"><title>{c}</title></rect>'
        )
    out.append("</g>")
    for pct in range(0, 101, 20):
        px = left + size * pct / 100
        py = top + size - size * pct / 100
        out.append(
            f'<line x1="{px:.1f}" y1="{top + size}" x2="{px:.1f}" y2="{top + size + 5}" '
            f'stroke="#333333"/>'
            f'<text x="{px:.1f}" y="{top + size + 18}" text-anchor="middle">{pct}</text>'
            f'<line x1="{left - 5}" y1="{py:.1f}" x2="{left}" y2="{py:.1f}" stroke="#333333"/>'
            f'<text x="{left - 8}" y="{py + 4:.1f}" text-anchor="end">{pct}</text>'
        )
    out.append(
        f'<text x="{left + size / 2:.1f}" y="{top + size + 42}" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text transform="translate({left - 44},{top + size / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>'
    )
    # colour bar (log scale)
    bar_x, steps = left + size + 24, 50
    for k in range(steps):
        y = top + size - (k + 1) * size / steps
        out.append(
            f'<rect x="{bar_x}" y="{y:.2f}" width="16" height="{size / steps + 0.5:.2f}" '
            f'fill="{_colour((k + 0.5) / steps)}"/>'
        )
    out.append(
        f'<text x="{bar_x + 20}" y="{top + 10}">{peak}</text>'
        f'<text x="{bar_x + 20}" y="{top + size}">1</text>'
        f'<text transform="translate({bar_x + 44},{top + size / 2:.1f}) rotate(-90)" '
        f'text-anchor="middle">tables per cell (log)</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
