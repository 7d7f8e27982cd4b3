"""Sentiment models: the bundled fine-tuned e5 and any Hugging Face classifier, with shared batched inference."""

from __future__ import annotations

import functools
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from models.errors import ConfigError, ModelUnavailable
from models.scores import LABELS, Sentiment, sentiment_from_probs
from models.sentiment.batching import BATCH_SIZE, BATCH_TOKENS, batch_bounds
from models.sentiment.cpu_share import thread_sizer
from models.sentiment.int8 import int8_version, is_int8, quantise_linears
from models.sentiment.labels import LabelMap, label_map
from models.text.safe_text import is_blank, model_text

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedTokenizerBase

    from models.sentiment.bert import FolderTokenizer
    from models.sentiment.tuned_e5 import TunedTop

BUNDLED = "bundled"
BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"
TUNED_FILE = "tuned.safetensors"
E5_PREFIX = "query: "
SETTING = "[model] sentiment"
PRECISION_SETTING = "[model] precision"
PRECISIONS = ("auto", "bf16", "fp32", "int8")
# Embeddings the bundled encoder remembers (~1.5 KB each): enough for a run's worth of new mentions.
EMBEDDING_MEMO = 20_000

Batch = Mapping[str, "torch.Tensor"]
BatchFn = Callable[[Batch], "torch.Tensor"]
Combine = Callable[[Sequence[str], np.ndarray], np.ndarray]


def set_torch_threads(num_threads: int | None = None) -> int:
    """Use `num_threads`, else this process's share of the physical cores it may use (torch counts the machine).

    The share is the cores in the process's affinity (`taskset`, a cpuset) divided by the brandpulse model passes
    running at that moment (models/sentiment/cpu_share.py), re-checked while a pass runs; docs/model.md.
    """
    sizer = thread_sizer()
    sizer.fixed = max(1, num_threads) if num_threads else None
    return sizer.apply(force=True)


def pad_rows(rows: Sequence[Sequence[int]], pad_value: int, *, left: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Token rows padded to the longest as a (n, width) long tensor, and the 0/1 mask of the real positions."""
    import torch

    lengths = np.fromiter((len(row) for row in rows), dtype=np.int64, count=len(rows))
    width = int(lengths.max()) if len(rows) else 0
    columns = np.arange(width)[None, :]
    real = columns >= (width - lengths)[:, None] if left else columns < lengths[:, None]
    padded = np.full((len(rows), width), pad_value, dtype=np.int64)
    # Row-major order of the real positions is the order of the concatenated rows, left or right padded.
    padded[real] = np.fromiter((token for row in rows for token in row), dtype=np.int64, count=int(lengths.sum()))
    return torch.from_numpy(padded), torch.from_numpy(real.astype(np.int64))


def run_batched(
    texts: Sequence[str],
    tokenizer: PreTrainedTokenizerBase | FolderTokenizer,
    fn: BatchFn,
    *,
    batch_size: int = BATCH_SIZE,
    max_length: int = 256,
    prefix: str = "",
    device: str = "cpu",
    autocast: torch.dtype | None = None,
    max_tokens: int = BATCH_TOKENS,
) -> np.ndarray:
    """Apply `fn` to padded batches and return one row per input text, in input order.

    Exact duplicates are computed once, texts are sorted by token count so each batch pads only to its own
    longest member (3–4× faster than arrival order on CPU) and holds at most `batch_size` rows and `max_tokens`
    padded positions (`models/sentiment/batching.py`), and everything runs under inference_mode (and under
    autocast to `autocast`, bf16 on CPUs with native bf16: about 2.5× faster again).
    """
    import contextlib

    import torch

    for i, text in enumerate(texts):
        if not isinstance(text, str):
            raise TypeError(f"text {i} is {type(text).__name__}, expected str")
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    unique = list(dict.fromkeys(texts))
    if not unique:
        return np.zeros((0, 0), dtype=np.float32)
    encoded = tokenizer(
        [prefix + text for text in unique],
        truncation=True,
        max_length=max_length,
        padding=False,
        return_attention_mask=False,  # built per batch below, together with the padding
    )
    ids: list[list[int]] = encoded["input_ids"]
    type_ids: list[list[int]] | None = encoded.get("token_type_ids")
    order = sorted(range(len(unique)), key=lambda i: len(ids[i]))
    bounds = batch_bounds([len(ids[i]) for i in order], batch_size, max_tokens)
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0
    left = getattr(tokenizer, "padding_side", "right") == "left"
    rows: np.ndarray | None = None
    device_type = device.split(":", 1)[0]
    mixed = torch.autocast(device_type, dtype=autocast) if autocast is not None else contextlib.nullcontext()
    sizer = thread_sizer()
    with torch.inference_mode(), mixed, sizer.share.running():
        for start, end in bounds:
            sizer.apply(force=start == 0)  # another run's pass may have started or ended meanwhile
            chunk = order[start:end]
            input_ids, attention = pad_rows([ids[i] for i in chunk], pad_id, left=left)
            token_types = pad_rows([type_ids[i] for i in chunk], 0, left=left)[0] if type_ids is not None else None
            batch = {"input_ids": input_ids, "attention_mask": attention}
            if token_types is not None:
                batch["token_type_ids"] = token_types
            out = fn({key: value.to(device) for key, value in batch.items()}).detach().float().cpu().numpy()
            if rows is None:
                rows = np.empty((len(unique), out.shape[1]), dtype=np.float32)
            rows[chunk] = out
    assert rows is not None  # unique is not empty, so at least one batch ran
    position = {text: i for i, text in enumerate(unique)}
    return rows[[position[text] for text in texts]]


class SentimentModel:
    """A loaded sentiment model: `predict(texts)` gives one `Sentiment` per text, in order."""

    def __init__(
        self,
        *,
        name: str,
        version: str,
        tokenizer: PreTrainedTokenizerBase | FolderTokenizer,
        score_batch: BatchFn,
        labels: LabelMap,
        batch_size: int = BATCH_SIZE,
        max_length: int = 256,
        prefix: str = "",
        device: str = "cpu",
        autocast: torch.dtype | None = None,
        encoder: E5Encoder | None = None,
        combine: Combine | None = None,
    ) -> None:
        self.name = name
        self.version = version
        self.tokenizer = tokenizer
        # Public so callers can wrap it (timing, counting); maps a padded batch to probabilities over `labels`.
        self.score_batch = score_batch
        self.labels = labels
        self.batch_size = batch_size
        self.max_length = max_length
        self.prefix = prefix
        self.device = device
        # None: full fp32; torch.bfloat16: the fast path (see resolve_precision).
        self.autocast = autocast
        # The bundled model's encoder: topic scoring embeds with it, so the two share the loaded weights.
        self.encoder = encoder
        # (texts, probabilities) → probabilities: the bundled model's n-gram expert joins in here.
        self.combine = combine

    def __repr__(self) -> str:
        return f"SentimentModel(name={self.name!r}, version={self.version!r}, scheme={self.labels.scheme!r})"

    def predict_probs(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities of shape (n, 3) over (negative, neutral, positive), rows in input order."""
        return self._folded(texts, self.score_batch)[0]

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        """Score texts: label, score = p(positive) - p(negative), probabilities, model id and version."""
        return self.sentiments_from_probs(self.predict_probs(texts))

    def shares_pass_with(self, embedder: object) -> bool:
        """Whether `predict_with_embeddings` gives `embedder`'s embeddings from this model's own encoder pass."""
        return isinstance(self.encoder, BundledEncoder) and embedder is self.encoder and self.prefix == E5_PREFIX

    def predict_with_embeddings(self, texts: Sequence[str]) -> tuple[list[Sentiment], np.ndarray]:
        """Sentiments and the encoder's e5 embeddings of texts from one batched pass (the bundled model only)."""
        if not isinstance(self.encoder, BundledEncoder):
            raise TypeError(f"{self.name} has no shared encoder: score with predict() and embed separately")
        # Clauses and one-off texts only fill free room in the memo: they must not push out the whole mentions the
        # scoring pass left there for the topic step's later chunks.
        folded, extra = self._folded(texts, functools.partial(self.encoder.joint_batch, evict=False))
        return self.sentiments_from_probs(folded), extra

    def _folded(self, texts: Sequence[str], fn: BatchFn) -> tuple[np.ndarray, np.ndarray]:
        """(n, 3) folded probabilities from the first columns `fn` returns, and the columns after the model's labels."""
        if not texts:
            return np.zeros((0, len(LABELS))), np.zeros((0, 0), dtype=np.float32)
        # A non-string goes through as it is, so run_batched names it ("text 3 is NoneType").
        clean = [model_text(text) if isinstance(text, str) else text for text in texts]
        rows = run_batched(
            clean,
            self.tokenizer,
            fn,
            batch_size=self.batch_size,
            max_length=self.max_length,
            prefix=self.prefix,
            device=self.device,
            autocast=self.autocast,
        )
        width = len(self.labels.labels)
        probs, extra = rows[:, :width], rows[:, width:]
        if self.combine is not None:
            probs = self.combine(clean, probs)
        folded = self.labels(probs)
        blank = np.fromiter((is_blank(text) for text in clean), dtype=bool, count=len(clean))
        # Nothing to read is nothing said: neutral (score 0 for a model without neutral), not what it makes of padding.
        folded[blank] = (0.0, 1.0, 0.0) if self.labels.matrix[:, 1].any() else (0.5, 0.0, 0.5)
        return folded, extra

    def sentiments_from_probs(self, folded: np.ndarray) -> list[Sentiment]:
        """Sentiment records from (n, 3) probabilities over (negative, neutral, positive)."""
        return [
            sentiment_from_probs(dict(zip(LABELS, map(float, row), strict=True)), self.name, self.version)
            for row in folded
        ]


class E5Encoder:
    """multilingual-e5-small: mean pooling over real tokens, then L2 normalisation, as e5 was trained."""

    # Autocast dtype for `embed` (None: fp32); the bundled model sets it to its own precision.
    autocast: torch.dtype | None = None

    def __init__(self, folder: Path, device: str = "cpu", *, memo_size: int = 0) -> None:
        from models.sentiment.bert import FolderTokenizer, load_bert

        self.folder = folder
        self.device = device
        # Not transformers' classes: importing them cost 3–4 s of every model load (models/sentiment/bert.py).
        self.tokenizer = FolderTokenizer(folder)
        self.model = load_bert(folder).to(device)
        # Embeddings of recently seen token sequences, so the topic step reuses the sentiment pass's work.
        self.memo_size = memo_size
        self._memo: OrderedDict[bytes, torch.Tensor] = OrderedDict()
        self._memo_lock = threading.Lock()

    def _forward(self, batch: Batch) -> torch.Tensor:
        """Normalised mean-pooled embeddings of a padded batch, computed by the model."""
        import torch

        hidden = self.model(input_ids=batch["input_ids"], attention_mask=batch["attention_mask"]).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1.0)
        return torch.nn.functional.normalize(pooled, dim=-1)

    @staticmethod
    def memo_keys(batch: Batch) -> list[bytes]:
        """One key per row: its real token ids, so padding and batch company do not matter."""
        ids, mask = batch["input_ids"], batch["attention_mask"]
        return [ids[row][mask[row].bool()].cpu().numpy().tobytes() for row in range(ids.shape[0])]

    def remember(self, keys: Sequence[bytes], rows: torch.Tensor, *, evict: bool = True) -> None:
        """Store embeddings under their keys, dropping the oldest beyond `memo_size` (or, with evict=False, stopping).

        The sentiment pass evicts, so the memo holds the newest scored texts; topic and theme look-ups that miss
        only fill free room, so a backlog larger than the memo never pushes out the rows a later step will need.
        """
        with self._memo_lock:
            for key, row in zip(keys, rows, strict=True):
                if not evict and len(self._memo) >= self.memo_size:
                    break
                self._memo[key] = row.detach().float()
            while len(self._memo) > self.memo_size:
                self._memo.popitem(last=False)

    def embed_batch(self, batch: Batch) -> torch.Tensor:
        """Normalised mean-pooled embeddings of one padded batch, shape (n, hidden); memoised rows are reused."""
        import torch

        if not self.memo_size:
            return self._forward(batch)
        keys = self.memo_keys(batch)
        with self._memo_lock:
            found = {i: self._memo[key] for i, key in enumerate(keys) if key in self._memo}
        missing = [i for i in range(len(keys)) if i not in found]
        if missing:
            # Mean pooling ignores padding, so the missing rows can run with the batch's own padding.
            fresh = self._forward({key: value[missing] for key, value in batch.items()}).float()
            self.remember([keys[i] for i in missing], fresh, evict=False)
            found.update(zip(missing, fresh, strict=True))
        return torch.stack([found[i] for i in range(len(keys))])

    def embed(self, texts: Sequence[str], *, batch_size: int = BATCH_SIZE, max_length: int = 256) -> np.ndarray:
        """Embeddings of texts with the `query: ` prefix e5 expects for classification-style inputs."""
        return run_batched(
            [model_text(text) for text in texts],
            self.tokenizer,
            self.embed_batch,
            batch_size=batch_size,
            max_length=min(max_length, position_limit(self.model.config, max_length)),
            prefix=E5_PREFIX,
            device=self.device,
            autocast=self.autocast,
        )


class BundledEncoder(E5Encoder):
    """e5 plus the fine-tuned sentiment top: the lower layers run once and feed both sentiment and e5 embeddings."""

    def __init__(self, folder: Path, tuned: Path, device: str = "cpu", *, memo_size: int = 0) -> None:
        from models.sentiment.tuned_e5 import load_tuned

        super().__init__(folder, device, memo_size=memo_size)
        # The top is shaped after the encoder already loaded, so the e5 weights are read from disk once.
        self.top: TunedTop = load_tuned(tuned, self.model)[0].to(device).eval()
        # Set when topics use this encoder (models.text.embedders): each sentiment pass then also runs e5's own upper
        # layers on the shared lower output and memoises the embeddings, so the topic step finds them ready.
        self.share_embeddings = False

    def sentiment_batch(self, batch: Batch) -> torch.Tensor:
        """Probabilities over LABELS for one padded batch (and, when sharing, memoised e5 embeddings)."""
        if self.share_embeddings and self.memo_size:
            return self.joint_batch(batch)[:, : len(LABELS)]
        from models.sentiment.tuned_e5 import lower_hidden

        ids, mask = batch["input_ids"], batch["attention_mask"]
        return self._probs(lower_hidden(self.model, ids, mask, self.top.first_tuned), mask)

    def joint_batch(self, batch: Batch, *, evict: bool = True) -> torch.Tensor:
        """(n, 3 + hidden): probabilities over LABELS, then the normalised e5 embedding, from one lower pass.

        The embeddings are memoised too, so a later `embed` of the same text (topics, themes) costs nothing;
        `evict=False` stores them only where the memo has room (see `remember`).
        """
        import torch

        from models.sentiment.tuned_e5 import lower_hidden, mean_pool, run_layers

        ids, mask = batch["input_ids"], batch["attention_mask"]
        lower = lower_hidden(self.model, ids, mask, self.top.first_tuned)
        probs = self._probs(lower, mask)
        upper = run_layers(self.model.encoder.layer[self.top.first_tuned :], lower, mask)
        embeddings = torch.nn.functional.normalize(mean_pool(upper, mask).float(), dim=-1)
        if self.memo_size:
            self.remember(self.memo_keys(batch), embeddings, evict=evict)
        return torch.cat([probs, embeddings], dim=1)

    def quantise(self) -> None:
        """Swap the linear layers of every pass (lower, e5 upper, tuned top and head) for dynamic int8 ones."""
        quantise_linears(self.model)
        quantise_linears(self.top)

    def pack(self, *, onednn: bool | None = None) -> int:
        """Swap the layers of every pass for packed bf16 ones (`models/sentiment/packed_bert.py`); returns how many.

        Only for the bf16 path: the packed layers compute in bf16 whatever the autocast says.
        """
        from models.sentiment.packed_bert import pack_layers

        return pack_layers(self.model.encoder.layer, onednn=onednn) + pack_layers(self.top.layers, onednn=onednn)

    def _probs(self, lower: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Sentiment probabilities from the shared lower layers' output."""
        import torch

        return torch.softmax(self.top(lower, mask).float(), dim=-1)


def resolve_precision(precision: str, device: str = "cpu") -> torch.dtype | None:
    """The autocast dtype for a `[model] precision` value: "fp32" and "int8" → None, "bf16", or "auto".

    "auto" is bf16 where the hardware runs it natively and never "int8", which fails the accuracy guard
    (docs/model.md); "int8" quantises the weights at load instead (`models/sentiment/int8.py`), on the CPU only.
    """
    import torch

    choice = precision.strip().lower()
    if choice not in PRECISIONS:
        allowed = ", ".join(f'"{value}"' for value in PRECISIONS)
        raise ConfigError(f"{PRECISION_SETTING} must be one of {allowed}, got {precision!r}", key="model.precision")
    if choice == "int8" and device != "cpu":
        raise ConfigError(
            f'{PRECISION_SETTING} = "int8" runs on the CPU only, but [runner] device is {device!r}: '
            'use "auto" there, or device = "cpu"',
            key="model.precision",
        )
    if choice in ("fp32", "int8"):
        return None
    if choice == "bf16":
        return torch.bfloat16
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_available() and torch.cuda.is_bf16_supported() else None
    # Without native bf16 (AVX512-BF16 / AMX) autocast is emulated and slower than fp32.
    return torch.bfloat16 if device == "cpu" and torch.ops.mkldnn._is_mkldnn_bf16_supported() else None


def position_limit(config: object, default: int) -> int:
    """The longest input the model's position table holds (RoBERTa-style models lose two slots to padding)."""
    positions = getattr(config, "max_position_embeddings", None)
    if not isinstance(positions, int) or positions <= 0:
        return default
    kind = str(getattr(config, "model_type", ""))
    offset = 2 if "roberta" in kind or kind == "camembert" else 0
    return max(1, positions - offset)


def file_digest(*paths: Path) -> str:
    """sha256 over the given files' bytes, in order."""
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as fh:
            for chunk in iter(lambda fh=fh: fh.read(1 << 22), b""):
                digest.update(chunk)
    return digest.hexdigest()


def load_bundled(
    *,
    batch_size: int = BATCH_SIZE,
    max_length: int = 256,
    cache_dir: str | Path | None = None,
    device: str = "cpu",
    precision: str = "auto",
    ngram: bool = True,
) -> SentimentModel:
    """The bundled offline model: multilingual-e5-small with fine-tuned top layers, fused with a char n-gram expert.

    For text with Hangul a Korean polarity expert then settles negative vs positive (`models/sentiment/polarity.py`).
    `ngram=False` gives the transformer alone (what `models/training/train_ngram.py` fuses with).
    """
    from models.sentiment.e5 import WEIGHTS_SHA256, ensure_e5
    from models.sentiment.ngram import NGRAM_FILE, load_ngram
    from models.sentiment.polarity import POLARITY_FILE, load_polarity
    from models.sentiment.tuned_e5 import TUNED_FORMAT, read_tuned_metadata

    path = BUNDLED_DIR / TUNED_FILE
    meta = read_tuned_metadata(path)
    if meta.get("encoder_weights_sha256") != WEIGHTS_SHA256:
        raise ModelUnavailable(f"{path} was trained on other encoder weights; retrain it (models/training/train.py)")
    autocast = resolve_precision(precision, device)  # a bad value fails before the encoder is read
    combine: Combine | None = None
    files = [path]
    if ngram:
        expert, polarity = load_ngram(BUNDLED_DIR / NGRAM_FILE), load_polarity(BUNDLED_DIR / POLARITY_FILE)
        files += [BUNDLED_DIR / NGRAM_FILE, BUNDLED_DIR / POLARITY_FILE]

        def fused(texts: Sequence[str], probs: np.ndarray) -> np.ndarray:
            return polarity.shift(texts, expert.fuse(texts, probs))

        # The experts' first call imports scikit-learn's hashing and loads Kiwi's model (about 4 s): part of loading
        # the model, not of the first batch it scores.
        fused(WARM_UP_TEXTS, np.full((len(WARM_UP_TEXTS), len(LABELS)), 1 / len(LABELS)))
        combine = fused
    encoder = BundledEncoder(ensure_e5(cache_dir), path, device=device, memo_size=EMBEDDING_MEMO)
    encoder.autocast = autocast
    if is_int8(precision):
        encoder.quantise()
    elif autocast is not None and device == "cpu":
        # The same maths as bf16 autocast with the casts, weight re-layouts and GELU pass done once (docs/model.md).
        encoder.pack()
    version = f"{TUNED_FORMAT}+{file_digest(*files)[:12]}" + ("" if ngram else "-transformer-only")
    version = int8_version(version, precision)
    return bundled_model(
        encoder,
        version=version,
        prefix=meta.get("prefix", E5_PREFIX),
        combine=combine,
        batch_size=batch_size,
        max_length=max_length,
    )


# One Korean and one English text, to warm the experts up at load.
WARM_UP_TEXTS = ("배송 언제 오나요?", "great phone")


def bundled_model(
    encoder: BundledEncoder,
    *,
    version: str,
    prefix: str = E5_PREFIX,
    combine: Combine | None = None,
    batch_size: int = BATCH_SIZE,
    max_length: int = 256,
) -> SentimentModel:
    """The sentiment model over a loaded e5 + tuned-top encoder (the bundled model, or a test's tiny one)."""
    return SentimentModel(
        name=BUNDLED,
        version=version,
        tokenizer=encoder.tokenizer,
        score_batch=encoder.sentiment_batch,
        labels=label_map(dict(enumerate(LABELS)), BUNDLED),
        batch_size=batch_size,
        max_length=min(max_length, position_limit(encoder.model.config, max_length)),
        prefix=prefix,
        device=encoder.device,
        autocast=encoder.autocast,
        encoder=encoder,
        combine=combine,
    )


def _offline_message(name: str, reason: str) -> str:
    """What to do when a hub id is not available offline; names the setting to change."""
    return (
        f"sentiment model {name!r} is neither a local folder nor in the local Hugging Face cache, and brandpulse "
        f"loads models offline ({reason}). Download the model to a local folder on a machine with internet "
        f"(e.g. `hf download {name} --local-dir models-local/{name.rsplit('/', 1)[-1]}`), copy it here and point "
        f'`{SETTING}` in brandpulse.toml at that folder, or set it to "bundled".'
    )


def _looks_like_path(name: str) -> bool:
    """Hub ids are `name` or `owner/name`; anything with more slashes or a path start is a folder path."""
    return name.startswith(("/", ".", "~")) or name.count("/") > 1 or "\\" in name or name.endswith("/")


def folder_version(folder: Path) -> str:
    """A version that changes when the config or weights change: sha256 of config.json plus the weight files."""
    patterns = ("*.safetensors", "pytorch_model*.bin", "*.safetensors.index.json", "pytorch_model*.bin.index.json")
    weights = sorted({p for pattern in patterns for p in folder.glob(pattern) if p.is_file()})
    config = folder / "config.json"
    files = [config, *weights] if config.is_file() else weights
    return "sha256:" + file_digest(*files)[:12] if files else "unversioned"


def load_hf(
    name_or_path: str,
    *,
    batch_size: int = BATCH_SIZE,
    max_length: int = 256,
    device: str = "cpu",
    precision: str = "auto",
) -> SentimentModel:
    """A Hugging Face sequence classifier from a local folder, or from the local cache for a hub id (offline)."""
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    folder = Path(name_or_path).expanduser()
    is_folder = folder.is_dir()
    if not is_folder and _looks_like_path(name_or_path):
        raise ModelUnavailable(f"sentiment model folder {folder} does not exist (set by {SETTING})")
    source = str(folder) if is_folder else name_or_path
    autocast = resolve_precision(precision, device)  # a bad value fails before the weights are read
    try:
        # local_files_only: never reach for the network; the machines running brandpulse have no hub access.
        tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
        model = AutoModelForSequenceClassification.from_pretrained(source, local_files_only=True)
    except (OSError, ValueError) as exc:
        if is_folder:
            raise ModelUnavailable(f"cannot load the sentiment model in {folder} (set by {SETTING}): {exc}") from exc
        raise ModelUnavailable(_offline_message(name_or_path, str(exc).splitlines()[0])) from exc
    model = model.to(device).eval()
    if is_int8(precision):
        quantise_linears(model)
    labels = label_map(model.config.id2label, name_or_path)
    commit = getattr(model.config, "_commit_hash", None)
    version = int8_version(folder_version(folder) if is_folder else (commit or "unknown"), precision)
    limit = getattr(tokenizer, "model_max_length", max_length) or max_length
    if limit < 1_000_000:  # tokenizers without a known limit report a huge sentinel
        max_length = min(max_length, int(limit))
    max_length = min(max_length, position_limit(model.config, max_length))

    def score_batch(batch: Batch) -> torch.Tensor:
        import torch

        return torch.softmax(model(**batch).logits.float(), dim=-1)

    return SentimentModel(
        name=name_or_path,
        version=version,
        tokenizer=tokenizer,
        score_batch=score_batch,
        labels=labels,
        batch_size=batch_size,
        max_length=max_length,
        device=device,
        autocast=autocast,
    )


def load_sentiment(
    name_or_path: str | None = None,
    *,
    batch_size: int = BATCH_SIZE,
    max_length: int = 256,
    cache_dir: str | Path | None = None,
    device: str = "cpu",
    num_threads: int | None = None,
    precision: str = "auto",
) -> SentimentModel:
    """None or "bundled" → the bundled offline model; else a local folder or a (cached) Hugging Face id.

    `precision` ("auto", "bf16", "fp32", "int8") picks the fast bf16 path where the hardware runs it natively;
    "int8" (opt-in, CPU only) quantises the linear layers and adds "+int8" to the model version.
    """
    try:
        import torch  # noqa: F401
    except ImportError as exc:
        raise ModelUnavailable(f"sentiment models need torch: {exc}") from exc
    set_torch_threads(num_threads)
    if name_or_path is None or name_or_path.strip().lower() == BUNDLED:
        # The bundled model never imports transformers (models/sentiment/bert.py): 3–4 s less per load.
        return load_bundled(
            batch_size=batch_size, max_length=max_length, cache_dir=cache_dir, device=device, precision=precision
        )
    try:
        import transformers
    except ImportError as exc:
        raise ModelUnavailable(f"Hugging Face sentiment models need transformers: {exc}") from exc
    # A progress bar per weight file is noise in a pipeline log; our own progress comes from the caller.
    transformers.utils.logging.disable_progress_bar()
    return load_hf(name_or_path, batch_size=batch_size, max_length=max_length, device=device, precision=precision)
