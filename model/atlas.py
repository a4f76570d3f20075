"""Build a head atlas: what every head of a model does across a corpus
(model/analysis/head_atlas/ says what is measured and how).

    python -m model.atlas heads --model minilm --corpus corpus --limit 1000
        ->  head atlas: N sentences, M heads, X s

Models: minilm, minilm-ner, minilm-qa (the packaged MiniLM and its two adapters),
translator (our transformer's three stacks), and listed:NAME for a model of the operator's
models file (ATLAS_MODELS). Corpora: corpus, everyday, wnut, stories (model/datasets/
corpora.py), or a text file with one sentence per line. The atlas is written to
data/atlas/MODEL.CORPUS.npz unless --out says where; the app reads the files there.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch
from tqdm import tqdm

from model.analysis.head_atlas import (
    ATLAS_DIR,
    Atlas,
    ModelReader,
    build,
    hf_model_reader,
    sinks_by_length,
    translator_model_reader,
)
from model.core.errors import InputError
from model.datasets.corpora import CORPORA, sentences
from model.datasets.parses import ParserMissing, parse, parser_name

MODELS = ("minilm", "minilm-ner", "minilm-qa", "translator")
SINK_TEXTS = 200  # corpus sentences joined into the long text that sinks are measured on


def atlas_path(model: str, corpus: str, folder: Path = ATLAS_DIR) -> Path:
    corpus_name = corpus if corpus in CORPORA else Path(corpus).stem
    return folder / f"{model.replace(':', '-')}.{corpus_name}.npz"


def model_reader(name: str) -> ModelReader:
    """A model's reader, its token count of a text and the most tokens it reads.
    Raises InputError for a model that is not listed."""
    if name == "translator":
        from model.tasks.translation import OurTranslator

        return translator_model_reader(OurTranslator.load())
    if name == "minilm":
        from model.hf.loading import load_bert

        return hf_model_reader(*load_bert())
    if name == "minilm-ner":
        from model.tasks.ner import NerTagger

        tagger = NerTagger.load()
        return hf_model_reader(
            tagger.model, tagger.tokenizer, lambda text, limit: tagger.encode(text, limit=limit)
        )
    if name == "minilm-qa":
        from model.tasks.qa import QAReader

        reader = QAReader.load()
        return hf_model_reader(reader.model, reader.tokenizer)
    if name.startswith("listed:"):
        from model.hf import byo

        entries = {e.name: e for e in byo.listed_models()}
        if name[7:] not in entries:
            raise InputError(
                f"No listed model {name[7:]!r}: the models file ({byo.MODELS_ENV}) lists "
                f"{', '.join(entries) or 'none'}."
            )
        model, tokenizer, family = byo.load(entries[name[7:]])
        if family.kind == "encoder-decoder":
            raise InputError(
                f"{name}: the head atlas reads encoders and decoder-only models; for an "
                "encoder-decoder it would need a translation of each sentence."
            )
        return hf_model_reader(model, tokenizer)
    raise InputError(
        f"No model {name!r}: choose one of {', '.join(MODELS)} or listed:NAME for a model "
        "of the operator's models file."
    )


def heads(args: argparse.Namespace) -> str:
    torch.set_num_threads(args.threads or torch.get_num_threads())
    started = time.perf_counter()
    texts = sentences(args.corpus, args.limit)
    read, count, limit = model_reader(args.model)
    try:
        parses, parser = parse(texts), parser_name()
    except ParserMissing as missing:
        parses, parser = None, str(missing)
        print(missing, file=sys.stderr)
    bar = tqdm(total=len(texts), desc=f"{args.model} over {args.corpus}", disable=args.quiet)
    atlas = build(args.model, args.corpus, read, texts, parses, parser,
                  progress=lambda done, total: bar.update(1))  # fmt: skip
    bar.close()
    if not args.no_sinks:
        stacks = ("encoder", "decoder") if args.model != "translator" else ("encoder",)
        lengths, sinks = sinks_by_length(
            read, " ".join(texts[:SINK_TEXTS]), count, limit, stacks=stacks
        )
        for stack, values in sinks.items():
            atlas.stacks[stack].sink_lengths, atlas.stacks[stack].sinks = lengths, values
    atlas.seconds = time.perf_counter() - started  # parsing and sinks included
    out = Path(args.out) if args.out else atlas_path(args.model, args.corpus)
    atlas.save(out)
    print(f"wrote {out}", file=sys.stderr)
    return atlas.summary()


def report(atlas: Atlas) -> list[str]:
    """The best head per relation and the top sinks, as lines of text."""
    lines = []
    for name, stack in atlas.stacks.items():
        for relation in stack.reported():
            count = stack.relation_counts[relation]
            score, layer, head, direction = stack.best(relation)
            base, offset = stack.baseline(relation)
            lines.append(
                f"{name} {relation:10s} {count:5d}  head {layer + 1}-{head + 1} "
                f"{'d->h' if direction == 0 else 'h->d'} {100 * score:5.1f}  "
                f"offset {offset:+d} {100 * base:5.1f}"
            )
        for behaviour in ("first token", "special tokens", "punctuation"):
            if behaviour in stack.behaviours:
                top = stack.ranked(behaviour)[:3]
                heads_ = ", ".join(f"{lay + 1}-{h + 1} {v:.2f}" for lay, h, v in top)
                lines.append(f"{name} top {behaviour}: {heads_}")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m model.atlas", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    build_heads = commands.add_parser("heads", help="what every head does across a corpus")
    build_heads.add_argument("--model", required=True, help=f"{', '.join(MODELS)} or listed:NAME")
    corpora = ", ".join(CORPORA)
    build_heads.add_argument(
        "--corpus", default="corpus", help=f"{corpora} or a text file, one sentence per line"
    )
    build_heads.add_argument("--limit", type=int, default=1000)
    build_heads.add_argument("--out", help="the atlas file (default data/atlas/MODEL.CORPUS.npz)")
    build_heads.add_argument("--no-sinks", action="store_true", help="skip sinks across lengths")
    build_heads.add_argument("--threads", type=int, default=0)
    build_heads.add_argument("--quiet", action="store_true")
    build_heads.add_argument("--report", action="store_true",
                             help="print the best head per relation and the top sinks")  # fmt: skip
    args = parser.parse_args(argv)
    try:
        line = heads(args)
    except InputError as error:
        parser.exit(2, f"error: {error}\n")
    if args.report:
        out = Path(args.out) if args.out else atlas_path(args.model, args.corpus)
        print("\n".join(report(Atlas.load(out))))
    print(line)


if __name__ == "__main__":
    main()
