"""A handout of Inside the Transformer's lecture path for one sentence: one self-contained
HTML file with every step's title, formula, plain sentences and charts, as the page draws
them (every tab of each step). It opens offline: Plotly's library is inside the file and
the formulas are MathML, which browsers draw without a script or a font download."""

from __future__ import annotations

import datetime
import functools
import html
from collections.abc import Sequence

import plotly.graph_objects as go
import plotly.io as pio
from latex2mathml.converter import convert as mathml
from plotly.offline import get_plotlyjs

from app.kit import widgets
from app.kit.theme import readable_text, style_figure
from app.serving.budget_cache import BudgetCache, budget_from_env
from app.views.architecture import block_views
from app.views.architecture.blocks import BLOCKS
from model.analysis.anatomy import Anatomy

STYLE = """
body { font-family: "Helvetica Neue", Helvetica, Arial, sans-serif; max-width: 1000px;
       margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.8em; } h2 { margin-top: 2.2em; border-top: 1px solid #ddd; padding-top: 1em; }
.formula { font-size: 1.5em; margin: 0.8em 0; }
/* a formula's scripts keep their ratio, but read from a slide's back row: 16 px at least */
.formula :is(msub, msup, msubsup, munder, mover, munderover) > :not(:first-child),
.formula :is(mroot) > :last-child { font-size: max(16px, 0.71em); }
.says { color: #444; }
.chart { margin: 1em 0; }
@media print { h2 { break-before: page; } }
"""


def _json(figure: object) -> str:
    """A figure's JSON, safe inside a <script> element."""
    text = pio.to_json(figure, validate=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def printable(figure: go.Figure) -> go.Figure:
    """A chart as slides and paper need it: lecture mode's type (16 px and up, black on
    white, the colour bar's title beside it), and margins that grow to hold every label
    (in the app, Streamlit's chart theme gives them; the handout has no Streamlit)."""
    figure = readable_text(style_figure(figure, lecture=True), "#000000")
    figure.update_xaxes(automargin=True)
    figure.update_yaxes(automargin=True)
    return figure


def handout(anatomy: Anatomy, model: str, label: str, text: str, path: Sequence[str]) -> str:
    """The handout's HTML for `text` read by `model` (its key in app/serving/sources.py; `label`
    names it), the blocks of `path` in order, each at layer 0 and step 0."""
    sections: list[str] = []
    charts: list[tuple[str, str]] = []
    for number, block_id in enumerate(path, start=1):
        block = BLOCKS[block_id]
        shown = block_views.Shown(anatomy, block, model=model, text=text)
        figures = widgets.collected(functools.partial(block_views.draw, shown))
        divs = []
        for figure in figures:
            chart_id = f"chart-{len(charts)}"
            charts.append((chart_id, _json(printable(figure))))
            divs.append(f'<div class="chart" id="{chart_id}"></div>')
        sections.append(
            f"<section><h2>{number}. {html.escape(block.title)}</h2>"
            f'<div class="formula">{mathml(block.formula, display="block")}</div>'
            f'<p class="says">{html.escape(block.says)}</p>{"".join(divs)}</section>'
        )
    data = "".join(
        f'<script type="application/json" id="{chart_id}-data">{spec}</script>'
        for chart_id, spec in charts
    )
    today = datetime.date.today().isoformat()
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Inside the Transformer: {html.escape(text)}</title>
<style>{STYLE}</style>
<script>{get_plotlyjs()}</script>
</head><body>
<h1>Inside the Transformer</h1>
<p>{html.escape(label)} reading <strong>{html.escape(text)}</strong>: every step of the
lecture path, layer 0 and decoding step 0, with the numbers the model computed. Made by
Attention Atlas on {today}; it needs no network.</p>
{"".join(sections)}
{data}
<script>
document.querySelectorAll("div.chart").forEach((div) => {{
  const spec = JSON.parse(document.getElementById(div.id + "-data").textContent);
  Plotly.newPlot(div, spec.data, spec.layout, {{displaylogo: false, responsive: true}});
}});
</script>
</body></html>
"""


HANDOUTS: BudgetCache[str] = BudgetCache(
    "handouts", budget_from_env("ATLAS_HANDOUT_CACHE_MB", 24), size_of=len
)


def cached(anatomy: Anatomy, model: str, label: str, text: str, path: Sequence[str]) -> str:
    """The handout for a model and text, made once and kept (within its byte budget)."""
    return HANDOUTS.get(
        (model, text, tuple(path)), lambda: handout(anatomy, model, label, text, path)
    )
