"""The transformers-free BERT of the bundled encoder, against transformers' own classes on tiny local models."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer, BertConfig, BertModel

from models.errors import ModelUnavailable
from models.sentiment.bert import BertEncoder, FolderTokenizer, load_bert
from models.sentiment.packed_bert import pack_layers
from tests.helpers.tiny_model import build_tiny_bundled

REPO = Path(__file__).resolve().parents[3]
TEXTS = ["acme is the best app", "globex broken refund worst", "애크미 최고 좋아요", "", "the " * 40]


def save_tiny_bert(folder: Path, hidden_act: str = "gelu", seed: int = 0) -> BertModel:
    """A random 2-layer BERT saved with save_pretrained (as the e5 conversion does), returned in eval mode."""
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=40, hidden_size=48, num_hidden_layers=2, num_attention_heads=4, intermediate_size=96,
        max_position_embeddings=32, hidden_act=hidden_act,
    )  # fmt: skip
    model = BertModel(config, add_pooling_layer=False).eval()
    model.save_pretrained(folder)
    return model


@pytest.mark.parametrize("hidden_act", ["gelu", "relu", "gelu_new"])
def test_load_bert_computes_what_transformers_bert_computes(tmp_path: Path, hidden_act: str) -> None:
    reference = save_tiny_bert(tmp_path, hidden_act)
    model = load_bert(tmp_path)
    assert isinstance(model, BertEncoder) and not model.training
    ids = torch.tensor([[2, 7, 9, 11, 3], [2, 5, 3, 0, 0]])
    mask = torch.tensor([[1, 1, 1, 1, 1], [1, 1, 1, 0, 0]])
    with torch.inference_mode():
        ours = model(input_ids=ids, attention_mask=mask).last_hidden_state
        theirs = reference(input_ids=ids, attention_mask=mask).last_hidden_state
    real = mask.bool()
    assert torch.allclose(ours[real], theirs[real], atol=1e-5)
    assert model.config.max_position_embeddings == 32 and model.config.model_type == "bert"


def test_its_layers_pack_like_transformers_layers(tmp_path: Path) -> None:
    save_tiny_bert(tmp_path)
    model = load_bert(tmp_path)
    plain = load_bert(tmp_path)
    assert pack_layers(model.encoder.layer, onednn=False) == 2  # can_pack reads the layer's config
    ids, mask = torch.tensor([[2, 7, 9, 3]]), torch.ones(1, 4, dtype=torch.long)
    with torch.inference_mode():
        packed = model(input_ids=ids, attention_mask=mask).last_hidden_state
        exact = plain(input_ids=ids, attention_mask=mask).last_hidden_state
    assert 0 < (packed - exact).abs().max().item() < 0.1  # bf16 rounding, not another model


def test_folder_tokenizer_gives_the_ids_transformers_gives(tmp_path: Path) -> None:
    folder, _ = build_tiny_bundled(tmp_path / "tiny")
    ours, theirs = FolderTokenizer(folder), AutoTokenizer.from_pretrained(folder)
    for limit in (256, 6):
        expected = theirs(TEXTS, truncation=True, max_length=limit, padding=False)["input_ids"]
        got = ours(TEXTS, truncation=True, max_length=limit, padding=False, return_attention_mask=False)
        assert got == {"input_ids": expected}
    assert ours(TEXTS)["input_ids"] == theirs(TEXTS)["input_ids"]  # no truncation asked: none made
    assert ours.pad_token_id == theirs.pad_token_id == 0
    with pytest.raises(ValueError, match="pads each batch"):
        ours(TEXTS, padding=True)


def test_folder_tokenizer_keeps_each_callers_truncation_across_threads(tmp_path: Path) -> None:
    folder, _ = build_tiny_bundled(tmp_path / "tiny")
    tokenizer = FolderTokenizer(folder)
    long_text = ["the " * 40]
    wrong: list[int] = []

    def call(limit: int) -> None:
        for _ in range(200):
            length = len(tokenizer(long_text, truncation=True, max_length=limit)["input_ids"][0])
            if length != limit:
                wrong.append(length)

    threads = [threading.Thread(target=call, args=(limit,)) for limit in (5, 9, 13)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert wrong == []


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda f: (f / "config.json").write_text("{not json"), "cannot load the encoder"),
        (lambda f: (f / "model.safetensors").unlink(), "cannot load the encoder"),
        (lambda f: (f / "model.safetensors").write_bytes(b"\x08\x00\x00\x00\x00\x00\x00\x00{}"), "cannot load"),
        (lambda f: edit_config(f, hidden_size=64, intermediate_size=96), "does not fit its config.json"),
        (lambda f: edit_config(f, num_hidden_layers=3), "does not fit its config.json: missing"),
        (lambda f: edit_config(f, hidden_act="swish"), "hidden_act 'swish'"),
        (lambda f: edit_config(f, model_type="roberta"), "model_type 'roberta'"),
    ],
)
def test_a_damaged_or_foreign_folder_is_named_in_a_model_error(tmp_path: Path, damage, message: str) -> None:
    save_tiny_bert(tmp_path)
    damage(tmp_path)
    with pytest.raises(ModelUnavailable, match=message) as caught:
        load_bert(tmp_path)
    assert str(tmp_path) in str(caught.value)


def test_a_damaged_tokenizer_file_is_named_in_a_model_error(tmp_path: Path) -> None:
    folder, _ = build_tiny_bundled(tmp_path / "tiny")
    (folder / "tokenizer.json").write_text('{"version": "1.0", "truncated', encoding="utf-8")
    with pytest.raises(ModelUnavailable, match=r"cannot load the tokenizer .*tokenizer\.json"):
        FolderTokenizer(folder)


def edit_config(folder: Path, **changes: object) -> None:
    """Rewrite fields of the folder's config.json."""
    path = folder / "config.json"
    path.write_text(json.dumps({**json.loads(path.read_text()), **changes}), encoding="utf-8")


def test_the_bundled_encoder_loads_and_scores_without_importing_transformers(tmp_path: Path) -> None:
    folder, tuned = build_tiny_bundled(tmp_path / "tiny")
    script = (
        "import sys\nfrom pathlib import Path\n"
        "from models.sentiment.loader import BundledEncoder, bundled_model\n"
        f"encoder = BundledEncoder(Path({str(folder)!r}), Path({str(tuned)!r}), memo_size=10)\n"
        "model = bundled_model(encoder, version='tiny')\n"
        "assert len(model.predict(['acme is the best app', ''])) == 2\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'transformers'))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], cwd=REPO, capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stdout.strip() == "[]", out.stderr
