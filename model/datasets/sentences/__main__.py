"""python -m model.datasets.sentences --count 20 [--seed N]: pairs as TSV."""

from model.datasets.sentences.pairs import main

main()
