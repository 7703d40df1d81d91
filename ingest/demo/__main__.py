"""python -m ingest.demo --out LANDING [--seed N] [--manifest PATH]"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from . import DEFAULT_SEED, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.demo",
                                     description="Write demo department submissions into a landing folder.")
    parser.add_argument("--out", type=Path, required=True, help="landing folder to write into")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--manifest", type=Path, help="also write the manifest here as JSON")
    args = parser.parse_args(argv)
    manifest = generate(args.out, args.seed)
    if args.manifest:
        args.manifest.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(manifest, ensure_ascii=False, indent=2) + "\n"
        args.manifest.write_bytes(text.encode("utf-8"))
    files = manifest["files"]
    rows = sum(f["rows"] for f in files)
    print(f"wrote {len(files)} files, {rows} data rows under {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
