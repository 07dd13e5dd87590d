"""``python -m connectors.generate --scale small --seed 42 --out DIR``."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from connectors.generate import generate
from connectors.generate.world import SCALES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m connectors.generate",
        description="Write sample vendor extracts + ground truth.",
    )
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path, default=Path("data/extracts"))
    parser.add_argument(
        "--truth",
        type=Path,
        default=None,
        help="ground-truth folder (default: truth/ beside --out)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    counts = generate(args.out, scale=args.scale, seed=args.seed, truth_dir=args.truth)
    print(json.dumps(counts, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
