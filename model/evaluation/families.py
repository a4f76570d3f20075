"""`python -m model.evaluate families`: capture on a tiny model of every supported Hugging Face
family, checked against an independent recomputation."""

import argparse


def evaluate(args: argparse.Namespace) -> str:
    """Every supported Hugging Face family, on tiny random models built here, as checkpoints
    are released: float32, float16 and bfloat16, with a sliding window shorter than the text
    where the family has one, and a padded vocabulary. Each: a forward pass and a 5-step
    generation captured, checked against output_attentions and recomputed from the captured
    Q, K and mask (model.hf.family_check)."""
    import torch

    from model.hf.families import FAMILIES
    from model.hf.family_check import GENERATION_TOLERANCE, TOLERANCE, report

    families = FAMILIES[: args.limit or None]
    passed, full, half = 0, 0.0, 0.0
    for family in families:
        try:
            found = report(family)
        except Exception as error:  # a family that cannot even run is a failure to report
            print(f"FAIL {family.name:11s} {type(error).__name__}: {str(error)[:120]}")
            continue
        passed += found.ok
        full = max(full, found.worst(torch.float32, torch.float16))
        half = max(half, found.worst(torch.bfloat16))
        errors = "  ".join(
            f"{str(dtype).removeprefix('torch.')} {found.worst(dtype):.1e}" for dtype in TOLERANCE
        )
        window = f"window {'yes' if family.window else '-':3s}"
        padded = {None: "-", True: "named", False: "FAILED"}[found.padded]
        print(
            f"{'ok  ' if found.ok else 'FAIL'} {family.name:11s} {family.kind:8s} "
            f"{found.records:4d} calls  {errors}  {window}  padded ids {padded}"
        )
    print(
        "errors: the worst of parity with output_attentions, the recomputation and the "
        "generation steps; tolerance "
        + ", ".join(f"{str(d).removeprefix('torch.')} {t:g}" for d, t in TOLERANCE.items())
        + f" (a float16 generation's steps: {GENERATION_TOLERANCE[torch.float16]:g}, its last "
        "place)"
    )
    line = (
        f"families captured: {passed} of {len(families)}, max abs error: {full:.2e} "
        f"(float32, float16), {half:.2e} (bfloat16)"
    )
    if passed < len(families):
        raise SystemExit(line)
    return line
