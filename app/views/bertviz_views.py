"""bertviz's head, model and neuron views, working offline and safely.

bertviz's Python pastes its data into its JavaScript and loads require.js, d3 and
jQuery from a CDN. Here the documents are put together from bertviz's own view
scripts (shipped in the bertviz package) with three changes: the libraries come
from the app (/app/static/vendor, see the README there), the data travels in a
JSON script element escaped so that no token can close it, and the neuron view
gets its queries and keys from our capture instead of bertviz's patched BERT.
"""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path
from string import Template
from typing import Any, Literal

import bertviz
import streamlit as st

from app.kit.tokens import readable_tokens
from model.core.capture import AttentionCapture, Stack

VENDOR = "/app/static/vendor"
TEMPLATE = Template((Path(__file__).resolve().parent / "templates" / "bertviz.html").read_text())
BERTVIZ_DIR = Path(bertviz.__file__).resolve().parent
# bertviz's require.config points d3 and jquery at remote URLs; each is replaced by ours.
REMOTE_PATHS = {name: re.compile(rf"{name}: 'https?://[^']+'") for name in ("d3", "jquery")}
MAX_TOKENS = 60  # bertviz draws every token pair as SVG; beyond this it crawls
View = Literal["head", "model", "neuron"]
CONTROLS = {
    "head": 'Layer: <select id="layer"></select> $filter',
    "model": "$filter",
    "neuron": 'Layer: <select id="layer"></select> Head: <select id="att_head"></select>',
}
STACK_NAMES = {"encoder": "Encoder", "decoder": "Decoder", "cross": "Cross"}


def view_script(view: View) -> str:
    """bertviz's view script with its libraries served by the app."""
    script = (BERTVIZ_DIR / f"{view}_view.js").read_text()
    for name, pattern in REMOTE_PATHS.items():
        script, count = pattern.subn(f"{name}: '{VENDOR}/{name}.min'", script)
        if count != 1:
            raise RuntimeError(f"bertviz's {view}_view.js changed: no remote path for {name}")
    # head and model views read their data from a marker replaced in the script text
    return script.replace("PYTHON_PARAMS", "window.bertviz_params")


def script_safe_json(value: Any) -> str:
    """JSON that can sit inside a <script> element: no "<", ">" or "&" appear literally."""
    text = json.dumps(value, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _attention_entries(att: AttentionCapture, stacks: tuple[Stack, ...]) -> list[dict[str, Any]]:
    entries = []
    for stack in stacks:
        left, right = att.axis_tokens(stack)
        matrices = att.matrices(stack).numpy().round(4)  # (layers, heads, q_len, k_len)
        entries.append(
            {
                "name": STACK_NAMES[stack],
                "attn": matrices.tolist(),
                "left_text": readable_tokens(left),
                "right_text": readable_tokens(right),
            }
        )
    return entries


def _filter_select(entries: list[dict[str, Any]]) -> str:
    if len(entries) < 2:
        return ""
    options = "".join(f'<option value="{i}">{e["name"]}</option>' for i, e in enumerate(entries))
    return f'Attention: <select id="filter">{options}</select>'


def document(att: AttentionCapture, view: View, layer: int = 0, head: int = 0) -> str:
    """A complete HTML document for st.iframe. Raises ValueError beyond MAX_TOKENS."""
    n_tokens = max(len(t) for t in att.tokens.values())
    if n_tokens > MAX_TOKENS:
        raise ValueError(
            f"bertviz's views draw every token pair and slow to a crawl past about {MAX_TOKENS} "
            f"tokens; this input has {n_tokens}. The heatmap, grid and lines views above work "
            "at any length."
        )
    root_id = f"bertviz-{uuid.uuid4().hex}"
    if view == "neuron":
        record = att.record("encoder", 0)
        if record.q is None or record.k is None:
            raise ValueError("the neuron view needs a capture made with qkv=True")
        tokens = readable_tokens(att.tokens["source"])
        layers = range(att.n_layers("encoder"))
        params: dict[str, Any] = {
            "attention": {
                "all": {
                    "attn": [att.layer("encoder", i).numpy().round(4).tolist() for i in layers],
                    "queries": [
                        att.record("encoder", i).q[0].numpy().round(4).tolist()  # type: ignore[index]
                        for i in layers
                    ],
                    "keys": [
                        att.record("encoder", i).k[0].numpy().round(4).tolist()  # type: ignore[index]
                        for i in layers
                    ],
                    "left_text": tokens,
                    "right_text": tokens,
                }
            },
            "default_filter": "all",
            "bidirectional": True,
            "display_mode": "light",
            "layer": layer,
            "head": head,
            "root_div_id": root_id,
        }
        controls = CONTROLS["neuron"]
    else:
        entries = _attention_entries(att, att.stacks)
        params = {
            "attention": entries,
            "default_filter": "0",
            "root_div_id": root_id,
            "display_mode": "light",
            "layer": layer,
            "heads": None,
            "include_layers": list(range(att.n_layers(att.stacks[0]))),
            "include_heads": list(range(att.n_heads(att.stacks[0]))),
            "total_heads": att.n_heads(att.stacks[0]),
        }
        controls = Template(CONTROLS[view]).substitute(filter=_filter_select(entries))
    return TEMPLATE.substitute(
        view=view,
        vendor=VENDOR,
        root_id=root_id,
        controls=controls,
        params=script_safe_json(params),
        script=view_script(view),
    )


def explorer(att: AttentionCapture, stack: Stack, layer: int, head: int) -> None:
    """The explorer's bertviz tab: the head, model or neuron view of `att`, opened at the
    layer and head chosen."""
    views: list[View] = ["head", "model", "neuron"]
    view = st.radio("bertviz view", views, horizontal=True, key="ex_bertviz") or "head"
    if view == "neuron" and (stack != "encoder" or att.record("encoder", 0).q is None):
        st.info(
            "The neuron view shows the queries and keys of encoder self-attention: pick the "
            "encoder stack of MiniLM or of a listed model. (A decoder's steps are captured "
            "one query at a time as it writes, and the translator's capture here keeps no "
            "queries and keys.)"
        )
        return
    try:
        html = document(att, view, layer, head)
    except ValueError as error:
        st.info(str(error))
        return
    st.caption(
        "bertviz's own views (Jesse Vig), served with their libraries from this app so they "
        "work offline."
    )
    st.iframe(html, height=720)
