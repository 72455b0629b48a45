"""Entry script of the briefing app: `streamlit run dashboards/briefing.py` from the repository root."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pages.app import run  # noqa: E402

run("briefing")
