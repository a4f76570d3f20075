"""A model the operator listed (`python -m app.serve --models FILE`) in a real Chromium: it is
in the explorer's menu, every tab draws for it without a JavaScript error, and a listed model
with pickle weights is refused with the reason. Screenshots go to artifacts/listed/."""

from __future__ import annotations

import pytest

from tests.browser.conftest import ARTIFACTS
from tests.browser.test_pages import open_page, wait_for_app

SHOTS = ARTIFACTS / "listed"
# what each tab draws: a Plotly chart, bertviz's frame, or the statistics table
DRAWS = {
    "One head": ".js-plotly-plot .main-svg",
    "All heads": ".js-plotly-plot .scatterlayer .point",
    "Lines": ".js-plotly-plot .main-svg",
    "One token": ".js-plotly-plot .main-svg",
    "Rollout & flow": ".js-plotly-plot .main-svg",
    "Head statistics": "[data-testid='stDataFrame']",
    "bertviz": "iframe",
    "Compare": ".js-plotly-plot .main-svg",
}


def choose_model(page, label: str) -> None:
    page.locator("[data-testid='stSelectbox']").filter(has_text="Model").first.click()
    page.get_by_role("option", name=label).click()
    wait_for_app(page)


@pytest.mark.parametrize(
    "name, family",
    [
        ("tiny-gpt2", "GPT-2"),
        ("tiny-t5", "T5"),
        ("bf16-llama", "Llama"),  # released in bfloat16
        ("window-mistral", "Mistral"),  # a sliding window shorter than the text
        ("padded-gpt2", "GPT-2"),  # writes ids its tokenizer has no token for
    ],
)
def test_a_listed_model_in_every_tab(app_url, watched, name, family):
    page = watched.page
    SHOTS.mkdir(parents=True, exist_ok=True)
    open_page(page, app_url, "Attention explorer")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    choose_model(page, f"{name} (listed: {family})")
    page.get_by_text("The model wrote:").first.wait_for(timeout=120_000)
    wait_for_app(page)
    if name == "window-mistral":
        page.get_by_text("attend within a window of 4").first.wait_for(timeout=10_000)
    if name == "padded-gpt2":  # the id is named in what it wrote and on the heatmap's axes
        page.get_by_text("The model wrote: <id").first.wait_for(timeout=10_000)
    for tab, selector in DRAWS.items():
        page.get_by_role("tab", name=tab).click()
        page.wait_for_function(  # the rerun has written the open tab into the link
            f"() => new URL(location.href).searchParams.get('tab') === '{tab}'", timeout=60_000
        )
        wait_for_app(page)
        page.get_by_role("tabpanel").locator(selector).first.wait_for(
            state="attached", timeout=60_000
        )
        slug = tab.lower().replace(" ", "-").replace("&", "and")
        page.screenshot(path=str(SHOTS / f"{name}-{slug}.png"))
    assert "model=listed" in page.url  # a link reopens the listed model
    watched.assert_clean()


def test_a_listed_model_with_pickle_weights_is_refused(app_url, watched):
    page = watched.page
    open_page(page, app_url, "Attention explorer")
    page.wait_for_selector(".js-plotly-plot .main-svg")
    choose_model(page, "pickled (listed: BERT)")
    page.get_by_text("only safetensors weights are loaded").first.wait_for(timeout=60_000)
    watched.assert_clean()
