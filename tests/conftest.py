"""Suite-wide settings: Qt runs offscreen, and nothing may touch the user's real settings or data."""
from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
