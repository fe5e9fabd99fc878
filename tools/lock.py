"""Write ``requirements.lock``: every runtime package pinned with the sha256 of its file.

``python -m tools.lock [--requirements requirements.txt] [--out requirements.lock]``

Why: ``requirements.txt`` pins what the code imports, but not the ~185 packages Rasa pulls in;
a lock with hashes makes a fresh machine install exactly the files this project was tested
with, and refuses a file that changed on the index. ``pip-compile`` needs more than 15 minutes
to resolve Rasa 3.6's tree here, so the lock is pip's own resolution instead: a dry-run install
of ``requirements.txt`` into nothing (``--ignore-installed``), constrained to the versions in
the running venv (which ``pip check`` keeps consistent), reported as JSON with each chosen
file's hash. The lock holds the files for this platform (Linux x86_64, CPython 3.10).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any, Dict, List, Optional

from core.paths import PROJECT_ROOT

HEADER = """\
# Hashed lock of the runtime closure of requirements.txt (Linux x86_64, CPython 3.10).
#   install:    pip install --require-hashes -r requirements.lock
#   regenerate: make lock   (python -m tools.lock: pip's resolution, pinned to the venv's versions)
# Do not edit by hand.
"""


def installed_versions() -> List[str]:
    """``name==version`` of every package in this interpreter's environment."""
    out = subprocess.run(
        [sys.executable, "-m", "pip", "freeze", "--exclude-editable"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return [line for line in out.splitlines() if "==" in line and not line.startswith("-e")]


def resolve(requirements: Path, constraints: List[str]) -> List[Dict[str, Any]]:
    """pip's dry-run report of installing ``requirements`` from scratch under ``constraints``."""
    with tempfile.TemporaryDirectory() as tmp:
        constraint_file = Path(tmp) / "constraints.txt"
        constraint_file.write_text("\n".join(constraints) + "\n", encoding="utf-8")
        report = Path(tmp) / "report.json"
        subprocess.run(
            [
                sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet",
                "--report", str(report), "-r", str(requirements), "-c", str(constraint_file),
            ],
            check=True,
        )  # fmt: skip
        return list(json.loads(report.read_text(encoding="utf-8"))["install"])


def lock_text(items: List[Dict[str, Any]]) -> str:
    """The lock file for pip's report ``items``: one ``name==version --hash=sha256:…`` each."""
    lines = [HEADER]
    for item in sorted(items, key=lambda i: i["metadata"]["name"].lower()):
        name = item["metadata"]["name"].lower()
        version = item["metadata"]["version"]
        info = item["download_info"]
        digest = info.get("archive_info", {}).get("hashes", {}).get("sha256")
        if not digest:
            raise ValueError(f"{name}=={version}: pip reported no sha256 for {info.get('url')}")
        origin = "direct" if item.get("requested") else "via deps"
        filename = info["url"].rsplit("/", 1)[-1]
        lines.append(f"{name}=={version} \\\n    --hash=sha256:{digest}\n    # {origin}: {filename}")
    return "\n".join(lines) + "\n"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.lock", description=__doc__.split("\n", 1)[0])
    parser.add_argument("--requirements", type=Path, default=PROJECT_ROOT / "requirements.txt")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "requirements.lock")
    args = parser.parse_args(argv)
    items = resolve(args.requirements, installed_versions())
    args.out.write_text(lock_text(items), encoding="utf-8")
    print(f"{args.out}: {len(items)} packages with hashes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
