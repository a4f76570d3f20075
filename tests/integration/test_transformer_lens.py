"""Our head patching against TransformerLens's `patching` module on the same weights: a tiny
GPT-2 saved as a user's checkpoint, booted in TransformerLens's bridge (raw Hugging Face
weights, eager attention) and instrumented here, each head's output patched at every position
from clean into corrupted. The effects agree within 1e-4."""

import copy

import numpy as np
import pytest
import torch


def test_head_patching_agrees_with_transformer_lens(tmp_path):
    # imported here, not at collection: nothing of it reaches the other tests' process state
    tlp = pytest.importorskip("transformer_lens.patching", reason="TransformerLens: dev extra")
    from transformer_lens.model_bridge import TransformerBridge
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from model.core.instrument import instrument
    from model.core.patching import Experiment, head_map, prepare
    from model.hf.families import BY_TYPE, write_tiny

    folder = write_tiny(BY_TYPE["gpt2"], tmp_path / "gpt2")
    hf = AutoModelForCausalLM.from_pretrained(folder, attn_implementation="eager").eval()
    ours = instrument(copy.deepcopy(hf))
    bridge = TransformerBridge.boot_transformers(
        str(folder), hf_model=hf, tokenizer=AutoTokenizer.from_pretrained(folder)
    )
    clean = torch.tensor([[5, 17, 33, 8, 41, 60, 2]])
    corrupt = torch.tensor([[5, 17, 70, 8, 41, 60, 2]])
    with torch.no_grad():
        right = int(ours(input_ids=clean).logits[0, -1].argmax())
        order = ours(input_ids=corrupt).logits[0, -1].argsort(descending=True)
    wrong = int(order[1] if int(order[0]) == right else order[0])

    def difference(logits: torch.Tensor) -> torch.Tensor:
        return logits[0, -1, right] - logits[0, -1, wrong]

    runs = prepare(Experiment(
        ours, lambda inputs: ours(**inputs), {"input_ids": clean}, {"input_ids": corrupt},
        lambda output: float(difference(output.logits)), ("t",) * 7, "next token", "decoder",
    ))  # fmt: skip
    mine = head_map(runs, "decoder")
    with torch.no_grad():
        _, cache = bridge.run_with_cache(clean)
        theirs = tlp.get_act_patch_attn_head_out_all_pos(
            bridge, corrupt, cache,
            lambda logits: (difference(logits) - runs.corrupted_value)
            / (runs.clean_value - runs.corrupted_value),
        )  # fmt: skip
    assert mine.shape == tuple(theirs.shape) == (2, 4)
    np.testing.assert_allclose(mine, theirs.numpy(), atol=1e-4)
