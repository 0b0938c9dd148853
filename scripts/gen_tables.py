"""Regenerate csrc/kwsc_frontend_tables_default.c from the default FrontendConfig.

Usage: python scripts/gen_tables.py [--out PATH]. tests/test_tables.py fails when the committed
file differs from what this writes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from kwsc.config import FrontendConfig
from kwsc.tables import emit_c, make_tables

DEFAULT_OUT = Path(__file__).resolve().parents[1] / "csrc" / "kwsc_frontend_tables_default.c"


def main() -> None:
    """Write the default tables as C source."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="C file to write")
    args = parser.parse_args()
    args.out.write_text(emit_c(make_tables(FrontendConfig())))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
