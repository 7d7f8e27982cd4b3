"""The XLM-R tokenizer of an E5S1 file: its normaliser table compiled to a sentencepiece charsmap, Unigram pieces."""

from __future__ import annotations

import struct
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from models.errors import ModelUnavailable
from models.sentiment.e5_file import E5S1

if TYPE_CHECKING:
    from tokenizers import Tokenizer


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


def tokenizer_config(f: E5S1) -> dict[str, object]:
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


def special_tokens(f: E5S1) -> dict[str, str]:
    """special_tokens_map.json: the named special tokens of tokenizer_config."""
    config = tokenizer_config(f)
    return {k: str(v) for k, v in config.items() if k.endswith("_token")}


def iter_table_rules(table: Mapping[int, Sequence[int]]) -> Iterator[str]:
    """The table as sentencepiece rule-TSV lines (hex codepoints), for cross-checking with its builder."""
    for cp in sorted(table):
        yield f"{cp:04X}\t{' '.join(f'{c:04X}' for c in table[cp])}"
