"""The encoder-decoder transformer of "Attention Is All You Need", written from scratch.

config (hyper-parameters) -> positional, attention -> layers -> model (make_model) ->
decoding (greedy, beam search); tokenizer (BPE) and checkpoint (files on disk) beside them.
"""
