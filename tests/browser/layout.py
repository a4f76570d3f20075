"""What a chart looks like from the back of a room, read off Chromium's own layout.

`CHART_LAYOUT` runs in the page and returns, for every Plotly chart on it, the boxes of its
text (titles, axis titles, tick labels, legend, colour bar, labels drawn on points), the box
of the chart itself, and the size of each heatmap's cells; `problems` turns that into
readable complaints: two texts that overlap, a text cut by the chart or the page, a token
map with cells under MIN_CELL px.
"""

from __future__ import annotations

from dataclasses import dataclass, field

MIN_CELL = 12  # px: a token map's cell, up to MAX_TOKENS tokens a side
MAX_TOKENS = 64

CHART_LAYOUT = """() => {
    const box = (el) => { const r = el.getBoundingClientRect();
                          return [r.left, r.top, r.right, r.bottom]; };
    const texts = (chart, sel, kind) => [...chart.querySelectorAll(sel)]
        .filter(el => el.textContent.trim() !== '' && el.getBoundingClientRect().width > 0)
        .map(el => ({kind, text: el.textContent.trim().slice(0, 40), box: box(el)}));
    const page = document.documentElement.clientWidth;
    return [...document.querySelectorAll('.js-plotly-plot')]
        .filter(chart => chart.getBoundingClientRect().width > 0)
        .map((chart, index) => {
        const svg = chart.querySelector('.main-svg');
        const parts = [
            ...texts(chart, '.g-gtitle text', 'title'),
            ...texts(chart, '.g-xtitle text, .g-x2title text', 'xtitle'),
            ...texts(chart, '.g-ytitle text, .g-y2title text', 'ytitle'),
            ...texts(chart, '.xtick text, .x2tick text', 'xtick'),
            ...texts(chart, '.ytick text, .y2tick text', 'ytick'),
            ...texts(chart, '.legendtext', 'legend'),
            ...texts(chart, '.cbtitle text', 'cbtitle'),
            ...texts(chart, '.colorbar .cbaxis text, .colorbar text.ytick', 'cbtick'),
            ...texts(chart, '.textpoint text', 'point'),
            ...texts(chart, '.annotation-text', 'note'),
        ];
        const layout = chart._fullLayout || {};
        const cells = (chart._fullData || []).filter(t => t.type === 'heatmap' && t.z)
            .map(t => {
                const xa = layout[(t.xaxis || 'x').replace('x', 'xaxis')] || {};
                const ya = layout[(t.yaxis || 'y').replace('y', 'yaxis')] || {};
                const rows = t.z.length || 0, cols = (t.z[0] || []).length || 0;
                return {rows, cols, width: (xa._length || 0) / Math.max(cols, 1),
                        height: (ya._length || 0) / Math.max(rows, 1),
                        tokens: xa.type === 'category' && ya.type === 'category'};
            });
        const title = (chart.querySelector('.g-gtitle text') || {}).textContent || '';
        return {index, title: title.slice(0, 60), chart: box(svg || chart), page, parts, cells};
    });
}"""

# Which kinds of text must never share space. Tick labels of one axis are not compared with
# each other (rotated labels' boxes overlap where their letters do not): the cell size
# check keeps them apart instead.
CLASHES = {
    ("title", k) for k in ("xtitle", "ytitle", "xtick", "ytick", "legend", "cbtitle", "cbtick",
                           "point", "note")
} | {
    ("xtitle", "xtick"), ("ytitle", "ytick"), ("xtitle", "ytick"), ("ytitle", "xtick"),
    ("legend", "xtick"), ("legend", "ytick"), ("legend", "xtitle"), ("legend", "ytitle"),
    ("cbtitle", "xtick"), ("cbtitle", "ytick"), ("cbtick", "xtick"), ("cbtick", "ytick"),
    ("cbtitle", "cbtick"), ("point", "point"), ("legend", "point"),
}  # fmt: skip


def overlaps(a: list[float], b: list[float], slack: float = 1.0) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


def inside(inner: list[float], outer: list[float], slack: float = 1.0) -> bool:
    return (
        inner[0] >= outer[0] - slack
        and inner[1] >= outer[1] - slack
        and inner[2] <= outer[2] + slack
        and inner[3] <= outer[3] + slack
    )


@dataclass
class Report:
    charts: int = 0
    views: int = 0
    overlaps: list[str] = field(default_factory=list)
    clipped: list[str] = field(default_factory=list)
    small: list[str] = field(default_factory=list)
    smallest: float = float("inf")

    def add(self, view: str, charts: list[dict]) -> None:
        self.views += 1
        for chart in charts:
            self.charts += 1
            name = f"{view}: chart {chart['index']} '{chart['title']}'"
            parts = chart["parts"]
            for i, a in enumerate(parts):
                for b in parts[i + 1 :]:
                    pair = (a["kind"], b["kind"])
                    if (pair in CLASHES or pair[::-1] in CLASHES) and overlaps(a["box"], b["box"]):
                        self.overlaps.append(f"{name}: {a['kind']} '{a['text']}' overlaps "
                                             f"{b['kind']} '{b['text']}'")  # fmt: skip
            page = [0, -1e9, chart["page"], 1e9]
            for part in parts:
                if not inside(part["box"], chart["chart"]) or not inside(part["box"], page):
                    self.clipped.append(f"{name}: {part['kind']} '{part['text']}' is cut")
            for cells in chart["cells"]:
                if cells["tokens"] and max(cells["rows"], cells["cols"]) <= MAX_TOKENS:
                    side = min(cells["width"], cells["height"])
                    self.smallest = min(self.smallest, side)
                    if side < MIN_CELL:
                        self.small.append(
                            f"{name}: {cells['rows']} x {cells['cols']} cells of "
                            f"{cells['width']:.0f} x {cells['height']:.0f} px"
                        )

    def line(self) -> str:
        smallest = f"{self.smallest:.0f}" if self.smallest < float("inf") else "-"
        return (
            f"lecture layout: {self.charts} charts on {self.views} views checked, overlaps "
            f"{len(self.overlaps)}, clipped {len(self.clipped)}, smallest cell {smallest} px"
        )
