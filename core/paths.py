"""Where the project lives on disk.

Why: data files (rules, templates, the embedded graph, models) are found relative to the
checkout, whatever the working directory; one definition instead of one per package.
"""

from __future__ import annotations

from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
