"""The explorer at the sizes researchers bring, measured where they use it: through the real
server and its pages, over Streamlit's websocket protocol (bench/classroom.py's client; no
browser renders, so the server alone is measured).

Three checkpoints with random weights and released configurations (speed and memory do not
depend on the weights; the packaged MiniLM tokenizer stands in for theirs), saved as a user
saves them (safetensors) and listed in a models file:

  gpt2-small    GPT-2 small: 12 layers x 12 heads, d_model 768, 124M parameters, float32
  llama-1b      Llama-3.2-1B's configuration: 16 layers x 32 heads (8 key/value heads),
                d_model 2048, vocabulary 128,256, 1.24B parameters, bfloat16
  mistral-w64   a Mistral configuration: 8 layers x 16 heads (8 key/value heads), d_model
                2048, a sliding window of 64 keys, bfloat16

Before the server starts, each model's own work is timed in this process, side by side:
its generation (the 8 tokens the explorer writes) plus one plain forward pass over the text
(Transformers' default attention). Then the app is served as `make run` serves it, with the
models file, and one visitor, for each model and each length (128 and 512 tokens):

  types three new texts (first view: to the end of the page's run, the One head view
  drawn; the median), then opens every explorer tab in turn (tab switch: each run's
  seconds; Compare, which captures a second text of its own, is reported apart), and at
  512 tokens switches the logit lens on (and presses Start if it is a job, its progress
  polled as the browser's fragment polls) until its grid is drawn.

Then explanations of GPT-2 small's next token at 128 tokens run to the end, and one on
Llama is started and cancelled: the seconds from Cancel until the server's CPU is idle.

Memory: the server's RSS every 50 ms. "rss over weights" is the peak while a model's views
are open, less the server's own footprint (its RSS after the explorer's first run on the
packaged MiniLM) and the weights of the listed models loaded by then.

Last line:

    real size: 3 models, tab switch p95 X s, first view Y x model, rss over weights Z MB,
    lens W x forward, cancel V s

    python bench/real_size.py [--lengths 128 512] [--models gpt2-small llama-1b mistral-w64]
                              [--device cpu|cuda|auto] [--keep]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

from classroom import Server, free_port  # noqa: E402
from memory import Sampler, text_of  # noqa: E402
from memory import Visitor as MemoryVisitor  # noqa: E402

from app.kit.explore import TABS  # noqa: E402

CACHE = BENCH / ".real-size"  # the built checkpoints, kept between runs (--keep)
STEPS = 8  # tokens the explorer's decoders write (model.hf.byo.GENERATE_STEPS)
SAYS_LENS = "Each layer's output is read out as if it were the last"
SAYS_EXPLAINED = "Each strip is scaled by its largest value"


def configs() -> dict[str, tuple[object, str]]:
    """Each model's released configuration (as its config.json gives it) and dtype."""
    from transformers import GPT2Config, LlamaConfig, MistralConfig

    llama = LlamaConfig(
        vocab_size=128256, hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
        num_attention_heads=32, num_key_value_heads=8, head_dim=64, hidden_act="silu",
        max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
        tie_word_embeddings=True, bos_token_id=128000, eos_token_id=128001,
        rope_scaling={"rope_type": "llama3", "factor": 32.0, "low_freq_factor": 1.0,
                      "high_freq_factor": 4.0, "original_max_position_embeddings": 8192},
    )  # fmt: skip
    mistral = MistralConfig(
        vocab_size=32000, hidden_size=2048, intermediate_size=5632, num_hidden_layers=8,
        num_attention_heads=16, num_key_value_heads=8, sliding_window=64,
        max_position_embeddings=32768, bos_token_id=1, eos_token_id=2,
    )  # fmt: skip
    return {
        "gpt2-small": (GPT2Config(), "float32"),
        "llama-1b": (llama, "bfloat16"),
        "mistral-w64": (mistral, "bfloat16"),
    }


def build(name: str, folder: Path) -> Path:
    """A random-weight checkpoint of `name` in `folder` (skipped when already there)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    from model.hf.loading import minilm_path

    if (folder / "model.safetensors").exists() or (
        folder / "model.safetensors.index.json"
    ).exists():
        return folder
    config, dtype = configs()[name]
    tokenizer = AutoTokenizer.from_pretrained(str(minilm_path()))
    config.pad_token_id = tokenizer.pad_token_id  # type: ignore[attr-defined]
    began = time.monotonic()
    torch.manual_seed(0)
    model = AutoModelForCausalLM.from_config(config, dtype=getattr(torch, dtype))
    model.generation_config.update(pad_token_id=tokenizer.pad_token_id)
    model.save_pretrained(folder, safe_serialization=True)
    tokenizer.save_pretrained(folder)
    print(f"built {name}: {sum(p.numel() for p in model.parameters()) / 1e6:,.0f}M parameters "
          f"in {dtype}, {time.monotonic() - began:.0f} s")  # fmt: skip
    del model
    gc.collect()
    return folder


def weights_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.glob("*.safetensors")) / (1 << 20)


def text_for(tokens: int, seed: int) -> str:
    """A text of about `tokens` MiniLM tokens (longer ones are cut to the model's limit)."""
    return text_of(max(8, tokens - 12), seed)


def baseline(folder: Path, text: str, device: str) -> tuple[float, float]:
    """The model's own work on `text`, as a user's script does it: (seconds of generating
    STEPS tokens greedily, seconds of one forward pass over the text and what it wrote)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    model = AutoModelForCausalLM.from_pretrained(folder).to(device).eval()
    tokenizer = AutoTokenizer.from_pretrained(folder)
    inputs = tokenizer(text, return_tensors="pt", truncation=True, max_length=512 - STEPS)
    inputs = {k: v.to(device) for k, v in inputs.items() if k != "token_type_ids"}
    with torch.inference_mode():
        model(**inputs)  # warm
        began = time.perf_counter()
        written = model.generate(**inputs, max_new_tokens=STEPS, min_new_tokens=STEPS,
                                 do_sample=False, pad_token_id=tokenizer.pad_token_id)  # fmt: skip
        generate_s = time.perf_counter() - began
        began = time.perf_counter()
        model(input_ids=written[:, :-1])
        forward_s = time.perf_counter() - began
    del model
    gc.collect()
    return generate_s, forward_s


class Visitor(MemoryVisitor):
    """A browser session that also presses a job's Start and Cancel and polls its progress
    fragment."""

    def __init__(self, url: str) -> None:
        super().__init__(0, url)

    def is_button(self, key: str) -> bool:
        return key.endswith(("_start", "_cancel"))

    async def timed(self, ws, states: dict[str, object], fragment: str = "") -> float:  # type: ignore[no-untyped-def]
        began = time.monotonic()
        await self.run(ws, "explorer", states, measured=False, fragment=fragment)
        return time.monotonic() - began

    def says(self, text: str) -> bool:
        return any(text in t for t in self.texts)

    async def until(self, ws, states: dict[str, object], done: str, every: float = 0.25,  # type: ignore[no-untyped-def]
                    limit: float = 900) -> float:  # fmt: skip
        """Send `states` (a Start pressed), then poll the job's progress fragment as the
        browser does (every `every` s) until the page says `done` (the fragment reruns the
        page when the job is done); the seconds from the press."""
        began = time.monotonic()
        self.polls.clear()
        await self.run(ws, "explorer", states, measured=False)
        while not self.says(done):
            if time.monotonic() - began > limit:
                raise TimeoutError(f"no {done!r} after {limit:.0f} s")
            await asyncio.sleep(every)
            if self.polls:  # the job's fragment: its own rerun, as the browser times it
                await self.run(ws, "explorer", {}, measured=False, fragment=list(self.polls)[-1])
            else:  # no job (it ran in the page), or not drawn yet: the page again
                await self.run(ws, "explorer", {}, measured=False)
        return time.monotonic() - began


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cores_used(pid: int, seconds: float) -> float:
    """The process's CPU use over the next `seconds`, in cores."""
    start, used = time.monotonic(), cpu_seconds(pid)
    time.sleep(seconds)
    return (cpu_seconds(pid) - used) / (time.monotonic() - start)


def idle_after(pid: int, began: float, window: float = 0.2, limit: float = 60) -> float:
    """Seconds from `began` to the end of the first `window` in which the process used
    under 10% of a core (so at least one window, however soon it stopped)."""
    while time.monotonic() - began < limit:
        if cores_used(pid, window) < 0.1:
            return time.monotonic() - began
    return limit


async def visit(url: str, plan, rss: Sampler, report: dict) -> None:  # type: ignore[no-untyped-def]
    import websockets

    visitor = Visitor(url)
    async with websockets.connect(visitor.url, subprotocols=["streamlit"], max_size=None,
                                  open_timeout=60) as ws:  # fmt: skip
        await visitor.run(ws, "", {}, measured=False)
        await visitor.run(ws, "explorer", {}, measured=False)
        await visitor.run(ws, "explorer", {"ex_text": "The cat sat on the mat."}, measured=False)
        report["own"] = rss.now()
        await plan(visitor, ws)
    if visitor.outcome.errors:
        raise SystemExit("page errors: " + "; ".join(visitor.outcome.errors[:5]))


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=list(configs()))
    parser.add_argument("--lengths", nargs="+", type=int, default=[128, 512])
    parser.add_argument("--device", default="cpu", choices=("cpu", "cuda", "auto"))
    parser.add_argument("--keep", action="store_true", help=f"keep the checkpoints in {CACHE}")
    parser.add_argument("--tabs-only", action="store_true",
                        help="first views and tabs only (no lens, explanation or Cancel): what "
                        "an older version, without jobs, can be measured on")  # fmt: skip
    args = parser.parse_args(argv)
    root = CACHE if args.keep else Path(tempfile.mkdtemp(prefix="real-size-"))
    folders = {name: build(name, root / name) for name in args.models}
    device = "cuda" if args.device == "auto" and _cuda() else args.device
    if device == "auto":
        device = "cpu"

    own_work: dict[tuple[str, int], tuple[float, float]] = {}
    for name, folder in folders.items():
        for length in args.lengths:
            own_work[(name, length)] = baseline(folder, text_for(length, 1), device)
            g, f = own_work[(name, length)]
            print(f"{name} at {length}: generation {g:.2f} s, forward {f:.2f} s (own work)")

    listing = root / "models.toml"
    listing.write_text("".join(
        f'[[model]]\nname = "{name}"\nsource = "{folder}"\ndevice = "{args.device}"\n'
        for name, folder in folders.items()
    ))  # fmt: skip
    os.environ["ATLAS_MODELS"] = str(listing)
    server = Server(free_port())
    rss = Sampler(server.process.pid)
    report: dict = {}
    rows: list[str] = []
    switches: list[float] = []
    ratios: list[float] = []
    over: list[float] = []
    lens_ratio: list[float] = []
    loaded_mb = 0.0

    async def plan(visitor: Visitor, ws) -> None:  # type: ignore[no-untyped-def]
        nonlocal loaded_mb
        for name in folders:
            model = f"listed:{name}"
            loaded_mb += weights_mb(folders[name])
            # it loads (and reads a short text of its own: the next one is new to it)
            await visitor.timed(ws, {"ex_model": model, "ex_tab": "One head",
                                     "ex_text": f"{name} loads and reads this."})  # fmt: skip
            for length in args.lengths:
                rss.since()
                firsts = [  # new texts: each captured, One head drawn; the median
                    await visitor.timed(ws, {"ex_text": text_for(length, seed)})
                    for seed in (11, 12, 1)
                ]  # fmt: skip
                first = statistics.median(firsts)
                g, f = own_work[(name, length)]
                ratios.append(first / (g + f))
                times = {tab: await visitor.timed(ws, {"ex_tab": tab}) for tab in TABS}
                # (Compare captures a second text of its own: a first view, not a switch)
                switches.extend(s for tab, s in times.items() if tab != "Compare")
                times["One head again"] = await visitor.timed(ws, {"ex_tab": "One head"})
                switches.append(times["One head again"])
                peak = rss.since()
                over.append(peak - report["own"] - loaded_mb)
                rows.append(
                    f"{name:12s} {length:4d}  first view {first:6.2f} s ({first / (g + f):.2f}x"
                    f" own work {g + f:.2f} s)  rss peak {peak:,.0f} MB\n    "
                    + ", ".join(f"{tab} {s:.2f}" for tab, s in times.items())
                )
                if length != max(args.lengths) or args.tabs_only:
                    continue
                await visitor.run(ws, "explorer", {"ex_tab": "Logit lens"}, measured=False)
                took = await visitor.timed(ws, {"ex_lens": True})  # switched on
                if not visitor.says(SAYS_LENS):  # a job: Start, then its progress, polled
                    took += await visitor.until(ws, {"ex_lens_job_start": True}, SAYS_LENS)
                await visitor.run(ws, "explorer", {"ex_lens": False}, measured=False)
                lens_ratio.append(took / f)
                rows.append(
                    f"{name:12s} {length:4d}  logit lens {took:.2f} s = {took / f:.2f}x its "
                    f"forward pass; rss peak {rss.since():,.0f} MB"
                )
        if args.tabs_only:
            return
        # explanations of GPT-2 small's next token at 128 tokens, to the end
        if "gpt2-small" in folders:
            states = {"ex_model": "listed:gpt2-small", "ex_text": text_for(128, 2),
                      "ex_tab": "Explanations"}  # fmt: skip
            await visitor.run(ws, "explorer", states, measured=False)
            await visitor.run(ws, "explorer", {"ex_explain": True}, measured=False)
            start = {"ex_job_start": True} if not visitor.says(SAYS_EXPLAINED) else {}
            took = await visitor.until(ws, start, SAYS_EXPLAINED)
            peak = rss.since()
            over.append(peak - report["own"] - loaded_mb)
            rows.append(f"gpt2-small    128  explanations (gradient x input, IG 32, occlusion) "
                        f"{took:.1f} s; rss peak {peak:,.0f} MB")  # fmt: skip
        # one explanation started on the largest model, then cancelled
        name = "llama-1b" if "llama-1b" in folders else next(iter(folders))
        await visitor.run(ws, "explorer", {"ex_model": f"listed:{name}",
                                           "ex_text": text_for(128, 3),
                                           "ex_tab": "Explanations"}, measured=False)  # fmt: skip
        await visitor.run(ws, "explorer", {"ex_explain": True}, measured=False)
        visitor.polls.clear()
        await visitor.run(ws, "explorer", {"ex_job_start": True}, measured=False)
        await asyncio.sleep(4)  # well into the job
        fragment = list(visitor.polls)[-1]
        await visitor.run(ws, "explorer", {}, measured=False, fragment=fragment)
        busy = cores_used(server.process.pid, 1.0)
        began = time.monotonic()
        await visitor.run(ws, "explorer", {"ex_job_cancel": True}, measured=False,
                          fragment=fragment)  # fmt: skip
        report["cancel_s"] = idle_after(server.process.pid, began)
        rows.append(f"{name:12s}  128  explanation cancelled while using {busy:.1f} cores: "
                    f"server idle {report['cancel_s']:.2f} s after Cancel")  # fmt: skip

    try:
        asyncio.run(visit(server.url, plan, rss, report))
        time.sleep(20)
        after = rss.now()
    finally:
        rss.stop()
        server.stop()
    print(f"server's own footprint (explorer on MiniLM): {report['own']:,.0f} MB; listed "
          f"weights {loaded_mb:,.0f} MB; rss 20 s after the session closed {after:,.0f} MB "
          f"(peak {rss.peak:,.0f} MB)")  # fmt: skip
    for row in rows:
        print(row)
    p95 = statistics.quantiles(switches, n=20)[18] if len(switches) > 1 else switches[0]
    if args.tabs_only:
        line = (
            f"real size (tabs only): {len(folders)} models, tab switch p95 {p95:.2f} s, first "
            f"view {max(ratios):.2f} x model, rss over weights {max(over):,.0f} MB"
        )
        print(line)
        return line
    line = (
        f"real size: {len(folders)} models, tab switch p95 {p95:.2f} s, first view "
        f"{max(ratios):.2f} x model, rss over weights {max(over):,.0f} MB, lens "
        f"{max(lens_ratio):.2f} x forward, cancel {report['cancel_s']:.2f} s"
    )
    print(line)
    return line


def _cuda() -> bool:
    import torch

    return torch.cuda.is_available()


if __name__ == "__main__":
    main()
