"""Attention Atlas's models, in PyTorch; nothing here knows a browser exists.

    core/         the capture API and its hook points (capture, ablation, patching),
                  attribution (Captum), masks, errors, paths
    transformer/  our encoder-decoder transformer, written from scratch
    hf/           Hugging Face checkpoints: loading and encoding
    tf/           the QA model written again in TensorFlow (Keras 3), its weights converted
    datasets/     the corpus, WNUT-16, generated and hand-written QA, uploaded files
    tasks/        translation, NER and QA: each runner with its one decoder and its scores
    analysis/     rollout, flow, head statistics, the head atlas, anatomy and its
                  recomputation, explanations side by side, the logit lens, the teaching
                  pages' arithmetic
    training/     everything that trains
    evaluation/   the evaluation commands' larger parts (faithfulness against baselines)
    train.py, evaluate.py, translate.py, atlas.py   the command lines

Imports point one way: training, evaluation -> tasks, analysis -> transformer, hf, tf,
datasets -> core.
What serves (app/, pages/) imports training in two places only, the two pages that train in
the browser, each through its one module: Watch attention form (training.toy) and Fine-tune
on your data (training.upload); no command line is ever imported. tests/unit/test_layers.py
enforces exactly this.
"""
