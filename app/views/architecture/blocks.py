"""The blocks of "Attention Is All You Need" that Inside the Transformer walks through, and
its lecture path. Each block says what it is (title, formula, plain sentences), where it sits
(its stack and sublayer, whether it has a decoding step) and which view draws it
(`block_views`). Pure data: tests read the path, the diagram (`diagram`) lights the block's
box."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from model.analysis.anatomy import ModelSpec
from model.core.hooks import Stack, Sublayer

View = Literal[
    "input", "position", "projections", "scores", "heads", "add-norm", "ffn",
    "encoder-output", "linear", "softmax", "word", "beam",
]  # fmt: skip


@dataclass(frozen=True)
class Block:
    id: str  # in the URL: ?block=...
    title: str
    box: str  # the diagram box that lights up for it
    formula: str  # LaTeX
    says: str  # one or two plain sentences
    view: View  # how app.views.architecture.block_views draws it
    stack: Stack | None = None  # the stack it belongs to ("cross": the decoder's cross-attention)
    sublayer: Sublayer | None = None  # the sublayer it shows, in every layer (a layer slider)
    stepped: bool = False  # it changes at each decoding step (a step slider, in a decoder)
    wide: bool = False  # in lecture mode its view takes the page's width, under the diagram

    @property
    def layered(self) -> bool:
        return self.sublayer is not None


BLOCKS: dict[str, Block] = {
    b.id: b
    for b in (
        Block("input", "Input embedding", "enc.embed",
              r"x_i = E[\mathrm{token}_i]\,\sqrt{d_{model}}",
              "Each token is looked up in a table of learned vectors, one row per piece of the "
              "vocabulary. This row is all the model knows about the token before any attention.",
              view="input", stack="encoder"),
        Block("position", "Positional encoding", "enc.position",
              r"PE_{(pos,2i)} = \sin\!\big(pos/10000^{2i/d}\big),\ "
              r"PE_{(pos,2i+1)} = \cos\!\big(pos/10000^{2i/d}\big)",
              "Attention by itself ignores word order, so a vector that depends only on the "
              "position is added to each token's embedding. The sum is what enters layer 1.",
              view="position", stack="encoder"),
        Block("qkv", "Queries, keys and values", "enc.attention",
              r"Q = X W^Q_h,\quad K = X W^K_h,\quad V = X W^V_h",
              "Every head projects each token three ways: a query (what it looks for), a key "
              "(what it offers) and a value (what it passes on).",
              view="projections", stack="encoder", sublayer="attention"),
        Block("sdpa", "Scaled dot-product attention", "enc.attention",
              r"\mathrm{Attention}(Q,K,V) = \mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt{d_k}}"
              r" + M\Big)V",
              "Each query is compared with every key; the scores are scaled, masked and turned "
              "into weights that sum to 1, and the output is the weighted mix of the values.",
              view="scores", stack="encoder", sublayer="attention"),
        Block("mha", "Multi-head attention", "enc.attention",
              r"\mathrm{MultiHead}(X) = \mathrm{Concat}(\mathrm{head}_1,\dots,\mathrm{head}_h)"
              r"\,W^O",
              "The heads attend in parallel, each in its own small space. Their outputs are "
              "joined and projected back to d_model numbers per token.",
              view="heads", stack="encoder", sublayer="attention"),
        Block("addnorm-attention", "Add & Norm (after attention)", "enc.norm1",
              r"\begin{aligned} s &= x + \mathrm{Sublayer}(x) \\ \mathrm{LayerNorm}(s) &= "
              r"\gamma\,\frac{s-\mu}{\sqrt{\sigma^2+\epsilon}} + \beta \end{aligned}",
              "The sublayer's output is added to its input (the residual connection), then each "
              "token's vector is normalised to mean 0 and variance 1 and rescaled.",
              view="add-norm", stack="encoder", sublayer="attention"),
        Block("ffn", "Feed-forward", "enc.ffn",
              r"\mathrm{FFN}(x) = \mathrm{act}(x W_1 + b_1)\,W_2 + b_2",
              "The same two-layer network runs on every token on its own: it widens the vector "
              "to d_ff units, switches many of them off, and narrows it back.",
              view="ffn", stack="encoder", sublayer="ffn"),
        Block("addnorm-ffn", "Add & Norm (after feed-forward)", "enc.norm2",
              r"\mathrm{LayerNorm}(x + \mathrm{FFN}(x))",
              "A second residual connection and normalisation close the layer; its output is "
              "the next layer's input.",
              view="add-norm", stack="encoder", sublayer="ffn"),
        Block("encoder-output", "Encoder output", "enc.output",
              r"\mathrm{memory} = \mathrm{Encoder}_N(\dots\mathrm{Encoder}_1(x))",
              "After the last layer every source token is one vector that has mixed in the "
              "whole sentence. The decoder reads these vectors as keys and values.",
              view="encoder-output", stack="encoder"),
        Block("output-input", "Output embedding (shifted right)", "dec.embed",
              r"y_t = E[\mathrm{token}_{t-1}]\,\sqrt{d_{model}}",
              "The decoder's input at each step is the word it chose at the step before, "
              "starting from a start token.",
              view="position", stack="decoder"),
        Block("output-position", "Positional encoding (decoder)", "dec.position",
              r"y_t + PE_t",
              "The decoder adds the same sinusoids, so it knows how far into the translation "
              "it is.",
              view="position", stack="decoder"),
        Block("masked", "Masked self-attention", "dec.masked",
              r"\mathrm{softmax}\!\Big(\frac{QK^\top}{\sqrt{d_k}} + M\Big)V,\ "
              r"M_{ij} = -\infty \text{ for } j > i",
              "The decoder attends over the words produced so far, never ahead: the mask "
              "removes the future, so training and generation see the same thing.",
              view="heads", stack="decoder", sublayer="attention", stepped=True),
        Block("addnorm-masked", "Add & Norm (after masked attention)", "dec.norm1",
              r"\mathrm{LayerNorm}(y + \mathrm{MaskedMHA}(y))",
              "The same residual add and normalisation as in the encoder.",
              view="add-norm", stack="decoder", sublayer="attention"),
        Block("cross", "Cross-attention", "dec.cross",
              r"\mathrm{softmax}\!\Big(\frac{Q_{dec}K_{enc}^\top}{\sqrt{d_k}}\Big)V_{enc}",
              "Queries come from the decoder, keys and values from the encoder output: at each "
              "step the decoder looks back at the source sentence.",
              view="heads", stack="cross", sublayer="attention", stepped=True),
        Block("addnorm-cross", "Add & Norm (after cross-attention)", "dec.norm2",
              r"\mathrm{LayerNorm}(y + \mathrm{CrossMHA}(y, \mathrm{memory}))",
              "Residual add and normalisation once more.",
              view="add-norm", stack="cross", sublayer="attention"),
        Block("decoder-ffn", "Feed-forward (decoder)", "dec.ffn",
              r"\mathrm{FFN}(y) = \mathrm{act}(y W_1 + b_1)\,W_2 + b_2",
              "The decoder's own feed-forward network, again token by token.",
              view="ffn", stack="decoder", sublayer="ffn"),
        Block("addnorm-decoder-ffn", "Add & Norm (decoder, last)", "dec.norm3",
              r"\mathrm{LayerNorm}(y + \mathrm{FFN}(y))",
              "Its output, at the top of the last layer, is what the output layer reads.",
              view="add-norm", stack="decoder", sublayer="ffn"),
        Block("linear", "Linear", "dec.linear",
              r"z = h\,W_{vocab} + b \in \mathbb{R}^{|V|}",
              "A linear map turns the decoder's last vector into one score (a logit) for every "
              "piece of the vocabulary.",
              view="linear", stepped=True),
        Block("softmax", "Softmax", "dec.softmax",
              r"p_i = \frac{e^{z_i}}{\sum_j e^{z_j}}",
              "The softmax turns the logits into probabilities over the vocabulary.",
              view="softmax", stepped=True),
        Block("word", "The chosen word", "dec.word",
              r"w_t = \arg\max_i p_i",
              "Greedy decoding takes the likeliest piece, feeds it back as the next input and "
              "repeats until the end token.",
              view="word"),
        Block("beam", "Beam search", "dec.word",
              r"\mathrm{score}(y_{1..t}) = \sum_{s \le t} \log p(y_s \mid y_{<s}, x)",
              "Beam search keeps the few best partial translations at each step instead of one, "
              "and prunes the rest; a word that looked second best can win in the end.",
              view="beam", wide=True),
    )
}  # fmt: skip

# A BERT encoder's input differs: learned positions and a segment embedding, no scaling,
# and a layer norm before layer 1.
BERT_INPUT: dict[str, tuple[str, str]] = {
    "input": (
        r"x_i = E_{tok}[\mathrm{token}_i] + E_{seg}[\mathrm{segment}_i]",
        "Each token is looked up in a table of learned vectors; a second table adds which "
        "segment (first or second text) it belongs to.",
    ),
    "position": (
        r"h^{(0)}_i = \mathrm{LayerNorm}\big(E_{tok}[\mathrm{token}_i] + E_{pos}[i] + "
        r"E_{seg}[\mathrm{segment}_i]\big)",
        "BERT learns one vector per position instead of using sinusoids. The three are added "
        "and normalised: that is what enters layer 1.",
    ),
}


def text_for(block: Block, spec: ModelSpec) -> tuple[str, str]:
    """The block's formula and sentences, for this model."""
    if spec.kind == "bert" and block.id in BERT_INPUT:
        return BERT_INPUT[block.id]
    return block.formula, block.says


# The order the lecture decks teach the blocks in ("Next block" walks it).
TRANSLATOR_PATH: tuple[str, ...] = (
    "input", "position", "qkv", "sdpa", "mha", "addnorm-attention", "ffn", "addnorm-ffn",
    "encoder-output", "masked", "cross", "linear", "softmax", "word", "beam",
)  # fmt: skip
ENCODER_PATH: tuple[str, ...] = (
    "input", "position", "qkv", "sdpa", "mha", "addnorm-attention", "ffn", "addnorm-ffn",
    "encoder-output", "linear",
)  # fmt: skip
DECODER_ONLY = frozenset(BLOCKS) - set(ENCODER_PATH)


def path_for(spec: ModelSpec) -> tuple[str, ...]:
    return TRANSLATOR_PATH if spec.decoder else ENCODER_PATH


def blocks_for(spec: ModelSpec) -> tuple[str, ...]:
    """Every block a model has, the lecture path first, then the others in diagram order."""
    path = path_for(spec)
    extra = [b for b in BLOCKS if b not in path and (spec.decoder or b not in DECODER_ONLY)]
    return (*path, *extra)


def clicked_block(point: dict) -> str | None:
    block = point.get("customdata")
    return block if block in BLOCKS else None
