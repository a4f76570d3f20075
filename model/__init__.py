"""Attention Atlas's models, in PyTorch; nothing here knows a browser exists.

    core/         the capture API and its hook points, masks, errors, paths
    transformer/  our encoder-decoder transformer, written from scratch
    hf/           Hugging Face checkpoints: loading and encoding
    datasets/     the corpus, WNUT-16, generated and hand-written QA, uploaded files
    tasks/        translation, NER and QA: each runner with its one decoder and its scores
    analysis/     rollout, flow, head statistics, the teaching pages' arithmetic
    training/     everything that trains (never imported by what serves)
    train.py, evaluate.py   the two command lines

Imports point one way: training -> tasks, analysis -> transformer, hf, datasets -> core.
"""
