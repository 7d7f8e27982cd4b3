"""A tiny BERT sentiment classifier built and trained inside the tests: real transformers code paths, no hub."""

from __future__ import annotations

from pathlib import Path

NEGATIVE_WORDS = ["terrible", "broken", "late", "refund", "worst", "최악", "환불", "먹통"]
POSITIVE_WORDS = ["great", "love", "fast", "best", "좋아요", "최고"]
NEUTRAL_WORDS = ["order", "update", "today", "store", "주문", "오늘"]
VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "acme", "globex", "애크미", "글로벡스", "the", "is", "app"]
VOCAB += NEGATIVE_WORDS + POSITIVE_WORDS + NEUTRAL_WORDS


def build_tiny_sentiment_model(folder: Path, *, train: bool = True, seed: int = 0) -> Path:
    """Save a 1-layer BERT classifier (LABEL_0/1/2 = negative/neutral/positive) trained on keyword sentences."""
    import torch
    from transformers import BertConfig, BertForSequenceClassification, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(VOCAB)}, do_lower_case=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(VOCAB),
        hidden_size=16,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=32,
        max_position_embeddings=64,
        num_labels=3,
        hidden_dropout_prob=0.0,
        attention_probs_dropout_prob=0.0,
    )
    model = BertForSequenceClassification(config)
    if train:
        texts, labels = [], []
        for label, words in enumerate((NEGATIVE_WORDS, NEUTRAL_WORDS, POSITIVE_WORDS)):
            for word in words:
                for brand in ("acme", "globex", "애크미"):
                    texts += [f"{brand} {word}", f"the {word} {brand} app", f"{word} {word} {brand}"]
                    labels += [label] * 3
        batch = tokenizer(texts, padding=True, return_tensors="pt")
        target = torch.tensor(labels)
        optimiser = torch.optim.Adam(model.parameters(), lr=1e-2)
        model.train()
        for _ in range(120):
            optimiser.zero_grad()
            loss = model(**batch, labels=target).loss
            loss.backward()
            optimiser.step()
        model.eval()
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def build_tiny_bundled(folder: Path, *, first_tuned: int = 1, seed: int = 0) -> tuple[Path, Path]:
    """A 2-layer random BERT folder shaped like the converted e5, and a tuned top over its upper layer."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    from models.sentiment.tuned_e5 import TunedTop, save_tuned

    folder.mkdir(parents=True, exist_ok=True)
    tokenizer = BertTokenizerFast(vocab={token: i for i, token in enumerate(VOCAB)}, do_lower_case=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(VOCAB), hidden_size=16, num_hidden_layers=2, num_attention_heads=2, intermediate_size=32,
        max_position_embeddings=64, hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0,
    )  # fmt: skip
    model = BertModel(config, add_pooling_layer=False).eval()
    top = TunedTop.from_base(model, first_tuned)
    with torch.no_grad():  # a top that differs from the base, so the two branches really are two
        for parameter in top.parameters():
            parameter.add_(0.05 * torch.randn_like(parameter))
    model.save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    tuned = folder / "tuned.safetensors"
    save_tuned(top.eval(), tuned, {"prefix": "query: "})
    return folder, tuned
