"""Fine-tune a GPTBigCode checkpoint (ours or StarCoder's, from local disk) on more code.

    # StarCoder's Python fine-tune: Python files of the curated data, FIM kept on (in training)
    python ray_jobs/finetune.py --checkpoint outputs/pretrain/model \\
        --data outputs/curated/data --languages python

    # your own code: a plain folder (any language) -> curation -> tokens -> training with FIM
    python ray_jobs/finetune.py --checkpoint outputs/pretrain/model --folder ~/my-sql-files

    # token shards packed already with the checkpoint's tokenizer
    python ray_jobs/finetune.py --checkpoint CKPT --tokens outputs/tokens-python

Outputs under --output (default outputs/finetune): ``curated/`` and ``tokens/``
when made here, then what pretrain.py writes (``model/``, metrics, loss curve).
A rerun with the same arguments resumes; other arguments are refused.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from _training import (
    add_common_arguments,
    claim_run,
    default_output,
    parse_overrides,
    resolve_paths,
    run_training,
)
from starcoder_data.run_dir import RunDirectory
from starcoder_model.training.presets import python_finetune


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--checkpoint",
        default="outputs/pretrain/model",
        help="HF checkpoint directory (with its tokenizer) to start from",
    )
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--data", help="curated Parquet to tokenize (curate.py's data/)")
    source.add_argument("--folder", help="a plain folder of your own files to curate first")
    parser.add_argument(
        "--languages",
        default=None,
        help="comma-separated languages to keep, e.g. python (with --data)",
    )
    parser.add_argument(
        "--fim-rate",
        type=float,
        default=0.5,
        help="share of FIM segments per sample (StarCoder: 0.5)",
    )
    add_common_arguments(parser)
    args = parser.parse_args(argv)
    if not (args.tokens or args.data or args.folder):
        parser.error("give the data to fine-tune on: --data, --folder or --tokens")
    if args.tokens and (args.data or args.folder):
        parser.error("--tokens is already packed: do not combine it with --data/--folder")
    return args


def main(argv: list[str] | None = None) -> dict:
    args = parse_args(argv)
    output = Path(args.output or default_output("finetune")).resolve()
    tokens = Path(args.tokens) if args.tokens else output / "tokens"
    config = resolve_paths(
        python_finetune(str(tokens), str(output), init_from=args.checkpoint).with_overrides(
            fim_rate=args.fim_rate, **parse_overrides(args.overrides, args.language_weights)
        )
    )
    inputs = {
        "data": args.data,
        "folder": args.folder,
        "languages": args.languages,
    }
    steps = RunDirectory(output)
    if args.tokens:  # packed already: run_training claims the run with the shards' hash
        return run_training(config, address=args.address, overwrite=args.overwrite)
    resumed = claim_run(config, inputs, overwrite=args.overwrite)
    data = args.data
    if args.folder:
        data = str(_curate_folder(args, steps, output / "curated"))
    if data and not steps.is_done("tokens"):
        _pack(args, data, config, tokens)
        steps.finish("tokens")
    return run_training(config, address=args.address, resumed=resumed)


def _curate_folder(args: argparse.Namespace, steps: RunDirectory, out: Path) -> Path:
    """Curation of the user's own folder: every StarCoder filter except the license one."""
    if not steps.is_done("curated"):
        import curate

        curate.main(
            [
                "--source",
                f"folder:{Path(args.folder).resolve()}",
                "--license-policy",
                "any",
                "--output",
                str(out),
            ]
            + (["--address", args.address] if args.address else [])
        )
        steps.finish("curated")
    return out / "data"


def _pack(args: argparse.Namespace, data: str, config, tokens: Path) -> None:
    import pack_tokens

    argv = [
        "--data",
        data,
        "--tokenizer",
        config.init_from,
        "--output",
        str(tokens),
        "--seq-len",
        str(config.seq_len),
        "--overwrite",
    ]
    if args.languages:
        argv += ["--languages", args.languages]
    if args.address:
        argv += ["--address", args.address]
    pack_tokens.main(argv)


if __name__ == "__main__":
    main(sys.argv[1:])
