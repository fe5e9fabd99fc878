"""``python -m bot pretrain``: masked-LM pre-training of a small BERT on our own text.

Writes a checkpoint the neural components load with ``model_name_or_path`` in
config.yml (see ``neural/pretrain.py`` for the corpus and the recipe).
"""

from __future__ import annotations

from pathlib import Path


def cmd_pretrain(args) -> int:
    from neural.pretrain import kg_sentences, nlu_sentences, pretrain

    max_chars = args.max_length - 2
    kg = kg_sentences(args.kg, max_chars)
    nlu = nlu_sentences(args.nlu)
    print(f"corpus: {len(kg)} graph sentences + {len(nlu)} NLU training sentences")
    summary = pretrain(
        kg + nlu,
        Path(args.out),
        hidden_size=args.hidden_size,
        num_layers=args.layers,
        num_heads=args.heads,
        intermediate_size=args.intermediate_size,
        max_length=args.max_length,
        epochs=args.epochs,
        batch_size=args.batch_size,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    print(
        f"wrote {args.out}: vocab {summary['vocab']}, dev masked-LM loss {summary['dev_mlm_loss']:.3f} "
        f"(epoch {summary['best_epoch']} of {summary['epochs_run']}), {summary['seconds']:.0f} s"
    )
    print(f"use it: model_name_or_path: {args.out}  (per neural component in config.yml)")
    return 0


def register(sub) -> None:
    p = sub.add_parser("pretrain", help="masked-LM pre-training on the graph texts + NLU training data")
    p.add_argument("--out", default="models/pretrained", help="checkpoint folder (default models/pretrained)")
    p.add_argument(
        "--epochs",
        type=int,
        default=25,
        help="training epochs (default 25: ~14 min on 2 cores; fewer leave the masked-LM undertrained)",
    )
    p.add_argument("--kg", default="data/kg/*.json", help="graph files (glob)")
    p.add_argument("--nlu", nargs="+", default=["data/nlu"], help="NLU training data (never tests/nlu)")
    p.add_argument("--layers", type=int, default=4, help="transformer layers (default 4)")
    p.add_argument("--hidden-size", type=int, default=312, help="hidden size (default 312)")
    p.add_argument("--heads", type=int, default=12, help="attention heads (default 12)")
    p.add_argument("--intermediate-size", type=int, default=1200, help="feed-forward size (default 1200)")
    p.add_argument("--max-length", type=int, default=64, help="tokens per sentence incl. [CLS]/[SEP]")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--learning-rate", type=float, default=5e-4)
    p.add_argument("--seed", type=int, default=42)
    p.set_defaults(handler=cmd_pretrain)
