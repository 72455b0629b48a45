"""Entry script of the leadership app: `streamlit run dashboards/leadership.py` from the repository root."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pages.app import run  # noqa: E402

run("leadership")
