"""Slide-ready exports: every chart downloads as SVG beside Plotly's PNG.

Plotly's toolbar has one image button, set to PNG (app/kit/widgets.py). A small script, run once
in the page, adds an "SVG" button beside it on every chart, present and future: it asks the
same download for format "svg" (Plotly draws its charts as SVG, so the file is the chart's
own vectors, text as text). The button is one to the keyboard too (focus, Enter, Space), and
the same script lets a formula or a table that scrolls take focus (WCAG: a scrolling region must be
reachable by keyboard) and names each chart by its text alternative (app/kit/chart_text.py).
"""

from __future__ import annotations

import streamlit as st

SVG_BUTTON = "atlas-svg"
SCRIPT = """<script>
(() => {
  if (window.atlasSvgButtons) return;
  window.atlasSvgButtons = true;
  const add = () => document.querySelectorAll(".js-plotly-plot").forEach((chart) => {
    const camera = chart.querySelector('.modebar-btn[data-title^="Download plot"]');
    if (!camera || chart.querySelector(".BUTTON")) return;
    const button = document.createElement("a");  // a button to the keyboard and screen readers
    button.className = "modebar-btn BUTTON";
    button.setAttribute("rel", "tooltip");
    button.setAttribute("role", "button");
    button.setAttribute("tabindex", "0");
    button.setAttribute("aria-label", "Download plot as SVG");
    button.setAttribute("data-title", "Download plot as SVG");
    button.setAttribute("data-testid", "BUTTON");
    button.textContent = "SVG";
    button.style.cssText = "font: bold 9px sans-serif; padding: 3px 2px; cursor: pointer;";
    const download = () => {
      const options = chart._context.toImageButtonOptions;
      const format = options.format;
      options.format = "svg";
      try { camera.click(); } finally { options.format = format; }
    };
    button.addEventListener("click", download);
    button.addEventListener("keydown", (event) => {
      if (event.key === "Enter" || event.key === " ") { event.preventDefault(); download(); }
    });
    camera.after(button);
  });
  // Each chart is named by its text alternative (app/kit/chart_text.py, in its layout's meta).
  const names = () => document.querySelectorAll(".js-plotly-plot").forEach((chart) => {
    const summary = chart.layout && chart.layout.meta && chart.layout.meta.summary;
    if (summary && chart.getAttribute("aria-label") !== summary) {
      chart.setAttribute("role", "figure");
      chart.setAttribute("aria-label", summary);
    }
  });
  // A formula or a table wider than its column scrolls: it takes focus, so a keyboard can
  // scroll it (a chart's table: "Charts as tables", app/kit/widgets.py).
  const scrolling = { ".katex-display": "formula", ".stTable > div": "table" };
  const formulas = () => Object.entries(scrolling).forEach(([selector, what]) =>
    document.querySelectorAll(selector).forEach((region) => {
      if (region.hasAttribute("tabindex")) return;
      region.setAttribute("tabindex", "0");
      region.setAttribute("role", "group");
      region.setAttribute("aria-label", `${what} (scrolls sideways when wide)`);
    }));
  new MutationObserver(() => { add(); formulas(); names(); })
    .observe(document.body, { childList: true, subtree: true });
  add();
  formulas();
  names();
})();
</script>""".replace("BUTTON", SVG_BUTTON)


def svg_buttons() -> None:
    """Put the SVG button on every chart of the page (once per browser page)."""
    with st.sidebar:
        st.html(SCRIPT, unsafe_allow_javascript=True)
