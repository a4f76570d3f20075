"""The handout: Inside the Transformer's lecture path for the page's sentence as one HTML file,
prepared on the page and offered for download; every step with its formula (MathML) and its
charts, whose numbers are the anatomy's; nothing loaded from outside the file."""

from __future__ import annotations

import html
import json
import re

import numpy as np

from app.serving import caches
from app.views.architecture import handout
from app.views.architecture.blocks import BLOCKS, TRANSLATOR_PATH
from tests.app.helpers import decode, open_page

TEXT = "The cat drinks milk from a bowl."


def charts_of(page: str) -> dict[str, dict]:
    found = re.findall(r'<script type="application/json" id="(chart-\d+)-data">(.*?)</script>',
                       page, flags=re.S)  # fmt: skip
    return {chart: json.loads(spec) for chart, spec in found}


def test_the_page_prepares_the_handout_for_download():
    at = open_page("architecture.py")
    assert not at.get("download_button")  # made only when asked for
    at.button("arch_handout").click().run()
    assert not at.exception, [e.message for e in at.exception]
    (button,) = at.get("download_button")
    assert button.proto.label == "Download the handout (HTML)"
    assert button.proto.url.endswith(".html")  # the file is served from the app's media


def test_every_step_with_its_formula_and_the_anatomy_s_numbers():
    anatomy = caches.anatomy("translator", TEXT)
    page = handout.handout(anatomy, "translator", "Our translator", TEXT, TRANSLATOR_PATH)
    sections = page.split("<section>")[1:]
    assert len(sections) == len(TRANSLATOR_PATH) == 15
    for section, block in zip(sections, TRANSLATOR_PATH, strict=True):
        assert html.escape(BLOCKS[block].title) in section and "<math" in section
    charts = charts_of(page)
    assert len(charts) >= 25 and page.count('<div class="chart"') == len(charts)
    # scaled dot-product attention: its weights chart is head 0's softmax, layer 0
    sdpa = sections[TRANSLATOR_PATH.index("sdpa")]
    weights = charts[re.findall(r'id="(chart-\d+)"', sdpa)[1]]
    expected = anatomy.capture.record("encoder", 0).probs[0, 0].numpy()
    np.testing.assert_allclose(decode(weights["data"][0]["z"]), expected, atol=1e-6)
    # offline: no script, style or link from anywhere but the file itself
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", page)
    assert TEXT in page and "<script>alert" not in page


def test_typed_markup_stays_text_in_the_handout():
    typed = "<script>alert('x')</script> & <b>bold</b>"
    anatomy = caches.anatomy("minilm", typed)
    page = handout.handout(anatomy, "minilm", "MiniLM", typed, ("input", "sdpa"))
    assert "<script>alert('x')</script>" not in page and "&lt;script&gt;" in page
