"""Where the project keeps what it ships: checkpoints and data, found from the source tree."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKPOINTS = ROOT / "checkpoints"
DATA = ROOT / "data"
