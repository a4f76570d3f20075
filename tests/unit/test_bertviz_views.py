"""bertviz's views served offline, with data that cannot break out of its script element."""

import json
import re

import pytest
import torch

from app.views import bertviz_views
from app.views.bertviz_views import VENDOR, document, script_safe_json, view_script
from model.core.capture import AttentionCapture, AttentionRecord
from tests.conftest import ROOT


def capture_of(tokens, qkv=False):
    n = len(tokens)
    probs = torch.softmax(torch.randn(1, 2, n, n), -1)
    vectors = torch.randn(1, 2, n, 4) if qkv else None
    records = tuple(
        AttentionRecord("encoder", layer, 0, probs, 0.5, q=vectors, k=vectors, v=vectors)
        for layer in range(2)
    )
    return AttentionCapture(records).with_tokens({"source": tokens})


@pytest.mark.parametrize("view", ["head", "model", "neuron"])
def test_views_load_their_libraries_from_the_app(view):
    script = view_script(view)
    config = re.search(r"require\.config\(\{.*?\}\);", script, re.S).group(0)
    assert "cdnjs" not in script and "http" not in config  # URLs remain only in comments
    assert f"{VENDOR}/d3.min" in script and f"{VENDOR}/jquery.min" in script
    html = document(capture_of(["[CLS]", "hi", "[SEP]"], qkv=True), view)
    assert f'src="{VENDOR}/require.js"' in html
    assert not re.search(r"https?://", html.split("<script>", 1)[0])


def test_vendored_libraries_and_their_licences_are_there():
    vendor = ROOT / "app" / "static" / "vendor"
    for name in ("require.js", "d3.min.js", "jquery.min.js", "LICENSE-d3", "LICENSE-jquery",
                 "LICENSE-requirejs", "README.md"):  # fmt: skip
        assert (vendor / name).stat().st_size > 0, name


def test_tokens_cannot_close_the_script_element():
    hostile = "</script><img src=x onerror=alert(1)>"
    html = document(capture_of(["[CLS]", hostile, "[SEP]"]), "head")
    assert hostile not in html and "</script><img" not in html
    payload = re.search(r'id="bertviz-params">(.*?)</script>', html, re.S).group(1)
    params = json.loads(payload)
    assert params["attention"][0]["left_text"][1] == hostile  # intact once parsed
    assert "<" not in script_safe_json({"a": "<&>"})


def test_the_data_is_the_captured_attention():
    att = capture_of(["a", "b", "c"])
    html = document(att, "model")
    payload = re.search(r'id="bertviz-params">(.*?)</script>', html, re.S).group(1)
    attn = torch.tensor(json.loads(payload)["attention"][0]["attn"])  # (layers, heads, q, k)
    torch.testing.assert_close(attn, att.stacked().float(), atol=1e-4, rtol=0)


def test_long_inputs_and_missing_vectors_are_refused_clearly():
    with pytest.raises(ValueError, match="this input has 61"):
        document(capture_of([f"t{i}" for i in range(61)]), "head")
    with pytest.raises(ValueError, match="qkv=True"):
        document(capture_of(["a", "b"]), "neuron")
    assert bertviz_views.MAX_TOKENS == 60
