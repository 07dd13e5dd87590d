"""``revloop generate``: a realistic, seeded sample of vendor-format extracts."""

from __future__ import annotations

import argparse
from pathlib import Path

from orchestration.cli.common import EXIT_OK, parse_date
from orchestration.settings import Settings


def register(sub: argparse._SubParsersAction) -> None:
    gen = sub.add_parser("generate", help="write a realistic sample of vendor extracts")
    gen.add_argument(
        "--scale",
        type=scale_type,
        default="small",
        help="small, medium, large, or <scale>-<k>x for k times one (e.g. small-3x)",
    )
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument(
        "--out", type=Path, default=None, help="extracts folder (default: $REVLOOP_EXTRACTS)"
    )
    gen.add_argument(
        "--end-date",
        type=parse_date,
        default=None,
        metavar="YYYY-MM-DD",
        help="last day of the generated world (default: yesterday, UTC); the same seed and "
        "end date give byte-identical files",
    )
    gen.set_defaults(func=cmd_generate)


def scale_type(text: str) -> str:
    """argparse type of --scale: small, medium, large or <scale>-<k>x (k times it)."""
    from connectors.generate.world import scale_config

    try:
        scale_config(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def cmd_generate(args: argparse.Namespace) -> int:
    from connectors.generate import generate, yesterday_utc

    settings = Settings.from_env()
    out = (args.out or settings.extracts).resolve()
    end_date = args.end_date or yesterday_utc()
    counts = generate(
        out, scale=args.scale, seed=args.seed, truth_dir=out.parent / "truth", end_date=end_date
    )
    print(f"wrote {args.scale} sample (seed {args.seed}, world ending {end_date}) to {out}")
    for source, value in sorted((counts or {}).items()):
        print(f"  {source}: {value}")
    print("next: revloop run")
    return EXIT_OK
