"""The English -> Spanish corpus: built from Debian packages, committed, then read offline.

    python -m model.datasets.corpus build   # needs Debian's wordnet-base, apertium-eng-spa
    python -m model.datasets.corpus stats   # sizes of the committed splits

English: the example sentences and the glosses of WordNet 3.0 (Debian's
wordnet-base). Spanish: Apertium's rule-based eng-spa translation of each. The
build installs nothing; it says which packages are missing. Provenance and
licences: data/README.md.
"""

from __future__ import annotations

import argparse
import hashlib
import lzma
import re
import shutil
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from model.core.paths import DATA

DATA_DIR = DATA / "translation"
WORDNET_DIR = Path("/usr/share/wordnet")
DEBIAN_PACKAGES = ("wordnet-base", "apertium", "apertium-eng-spa")
APERTIUM_MODE = "eng-spa"
MIN_WORDS, MAX_WORDS = 3, 24
SPLITS = ("train", "valid", "test")
# Apertium's marks for what it could not translate: *unknown, #ungenerated, @untransferred.
UNTRANSLATED = re.compile(r"[*#@]")


@dataclass(frozen=True)
class Pair:
    english: str
    spanish: str
    kind: str  # "example" or "gloss"


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(";").strip()


def wordnet_sentences(wordnet_dir: Path = WORDNET_DIR) -> Iterator[tuple[str, str]]:
    """(kind, text) for every example sentence and gloss in WordNet's data files."""
    for part in ("noun", "verb", "adj", "adv"):
        for line in (wordnet_dir / f"data.{part}").read_text(encoding="latin-1").splitlines():
            if line.startswith("  ") or "|" not in line:
                continue  # the licence header
            gloss_field = line.split("|", 1)[1]
            for example in re.findall(r'"([^"]+)"', gloss_field):
                yield "example", _clean(example)
            for gloss in re.sub(r'"[^"]*"', "", gloss_field).split(";"):
                yield "gloss", _clean(gloss)


def select(sentences: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """Keep sentences of MIN_WORDS..MAX_WORDS words, printable, once each (case-insensitive)."""
    seen: set[str] = set()
    kept: list[tuple[str, str]] = []
    for kind, text in sentences:
        words = len(text.split())
        key = text.lower()
        if not MIN_WORDS <= words <= MAX_WORDS or key in seen or not text.isprintable():
            continue
        if "_" in text or "\t" in text:  # WordNet lemma joins (e.g. "ad_hoc") and TSV safety
            continue
        seen.add(key)
        kept.append((kind, text))
    return kept


def apertium_translate(
    lines: list[str], chunk: int = 5000, marks: bool = True, quiet: bool = False
) -> list[str]:
    """Translate one sentence per line; Apertium keeps line breaks, which we check. With
    `marks`, what Apertium could not translate keeps its mark (* # @) so it can be dropped;
    without (`apertium -u`), its output is plain text, as a user sees it."""
    out: list[str] = []
    for start in range(0, len(lines), chunk):
        batch = lines[start : start + chunk]
        result = subprocess.run(
            ["apertium", *([] if marks else ["-u"]), APERTIUM_MODE],
            input="\n".join(batch) + "\n",
            capture_output=True,
            text=True,
            check=True,
        )
        translated = result.stdout.rstrip("\n").split("\n")
        if len(translated) != len(batch):
            raise RuntimeError(
                f"apertium returned {len(translated)} lines for {len(batch)} (from line {start})"
            )
        out.extend(_clean(t) for t in translated)
        if not quiet:
            print(f"  translated {min(start + chunk, len(lines)):,} / {len(lines):,}", flush=True)
    return out


def split_of(english: str) -> str:
    """Deterministic split by a hash of the English side: 96% train, 2% valid, 2% test."""
    bucket = int(hashlib.sha256(english.lower().encode()).hexdigest(), 16) % 100
    return "valid" if bucket < 2 else "test" if bucket < 4 else "train"


def write_split(pairs: list[Pair], path: Path) -> None:
    with lzma.open(path, "wt", encoding="utf-8", preset=9) as handle:
        for pair in pairs:
            handle.write(f"{pair.english}\t{pair.spanish}\t{pair.kind}\n")


def read_split(split: str, data_dir: Path = DATA_DIR) -> list[Pair]:
    """Read a committed split: no Debian package needed."""
    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, not {split!r}")
    path = data_dir / f"{split}.tsv.xz"
    with lzma.open(path, "rt", encoding="utf-8") as handle:
        return [Pair(*line.rstrip("\n").split("\t")) for line in handle]


def references(split: str = "test", data_dir: Path = DATA_DIR) -> dict[str, str]:
    """English sentence -> Apertium's Spanish, for a held-out split (what scores compare to)."""
    return {p.english: p.spanish for p in read_split(split, data_dir)}


def held_out_examples(n: int = 6, split: str = "test", data_dir: Path = DATA_DIR) -> list[Pair]:
    """The first `n` example sentences (not glosses) of 6 to 12 words of a held-out split, in
    file order: sentences for a demo that no model trained on."""
    pairs = read_split(split, data_dir)
    return [p for p in pairs if p.kind == "example" and 6 <= len(p.english.split()) <= 12][:n]


def missing_packages() -> list[str]:
    missing = []
    if not (WORDNET_DIR / "data.noun").exists():
        missing.append("wordnet-base")
    if shutil.which("apertium") is None:
        missing.append("apertium")
    elif not Path("/usr/share/apertium/apertium-eng-spa").exists():
        missing.append("apertium-eng-spa")
    return missing


def build(data_dir: Path = DATA_DIR) -> dict[str, int]:
    missing = missing_packages()
    if missing:
        raise SystemExit(
            "the corpus build needs Debian packages that are missing: "
            f"{' '.join(missing)}\n  apt-get install {' '.join(DEBIAN_PACKAGES)}"
        )
    chosen = select(wordnet_sentences())
    print(f"{len(chosen):,} English sentences selected from WordNet")
    spanish = apertium_translate([text for _, text in chosen])
    pairs = [
        Pair(english, es, kind)
        for (kind, english), es in zip(chosen, spanish, strict=True)
        if es and not UNTRANSLATED.search(es)
    ]
    print(f"{len(pairs):,} pairs left after dropping Apertium's untranslated marks (* # @)")
    data_dir.mkdir(parents=True, exist_ok=True)
    counts = {}
    for split in SPLITS:
        part = [p for p in pairs if split_of(p.english) == split]
        write_split(part, data_dir / f"{split}.tsv.xz")
        counts[split] = len(part)
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m model.datasets.corpus", description=__doc__)
    parser.add_argument("command", choices=("build", "stats"))
    args = parser.parse_args(argv)
    counts = build() if args.command == "build" else {s: len(read_split(s)) for s in SPLITS}
    for split, n in counts.items():
        print(f"{split}: {n:,} pairs")


if __name__ == "__main__":
    main()
