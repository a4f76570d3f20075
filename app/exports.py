"""Slide-ready exports: every chart downloads as SVG beside Plotly's PNG.

Plotly's toolbar has one image button, set to PNG (app/widgets.py). A small script, run once
in the page, adds an "SVG" button beside it on every chart, present and future: it asks the
same download for format "svg" (Plotly draws its charts as SVG, so the file is the chart's
own vectors, text as text).
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
    const button = document.createElement("a");
    button.className = "modebar-btn BUTTON";
    button.setAttribute("rel", "tooltip");
    button.setAttribute("data-title", "Download plot as SVG");
    button.setAttribute("data-testid", "BUTTON");
    button.textContent = "SVG";
    button.style.cssText = "font: bold 9px sans-serif; padding: 3px 2px; cursor: pointer;";
    button.addEventListener("click", () => {
      const options = chart._context.toImageButtonOptions;
      const format = options.format;
      options.format = "svg";
      try { camera.click(); } finally { options.format = format; }
    });
    camera.after(button);
  });
  new MutationObserver(add).observe(document.body, { childList: true, subtree: true });
  add();
})();
</script>""".replace("BUTTON", SVG_BUTTON)


def svg_buttons() -> None:
    """Put the SVG button on every chart of the page (once per browser page)."""
    with st.sidebar:
        st.html(SCRIPT, unsafe_allow_javascript=True)
