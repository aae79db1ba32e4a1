"""Parameters fitted from events (global modality weights, ...), saved with the settings and report of the fit."""
from __future__ import annotations

import json
import time
from typing import Any

from service.storage.database import Database


class FittedTable(Database):
    def save_fusion_weights(self, name: str, weights: dict[str, float], settings: dict, report: dict) -> None:
        with self.transaction():
            self.conn.execute(
                "INSERT OR REPLACE INTO fusion_weights(name, weights, settings, report, fitted_at) VALUES (?,?,?,?,?)",
                (name, json.dumps(weights), json.dumps(settings, default=str), json.dumps(report, default=float),
                 time.time()),
            )

    def fusion_weights(self, name: str = "global") -> dict[str, Any] | None:
        row = self._one("SELECT weights, settings, report, fitted_at FROM fusion_weights WHERE name=?", (name,))
        if not row:
            return None
        return {"weights": json.loads(row[0]), "settings": json.loads(row[1]), "report": json.loads(row[2]),
                "fitted_at": row[3]}
