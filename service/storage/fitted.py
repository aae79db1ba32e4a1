"""Parameters fitted from events (global modality weights, blend weights, item-item co-engagement), saved with the
settings and report of the fit."""
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

    def save_co_engagement(self, rows: list[tuple[str, str, float]]) -> None:
        """Replace the co-engagement table with (video, neighbour, weight) rows, in one transaction."""
        with self.transaction():
            self.conn.execute("DELETE FROM co_engagement")
            self.conn.executemany("INSERT INTO co_engagement(video_id, neighbour_id, weight) VALUES (?,?,?)", rows)

    def co_engagement_by_slot(self) -> list[tuple[int, int, float]]:
        """(slot, neighbour slot, weight) of every stored pair, for loading the catalogue."""
        return self._all("SELECT a.slot, b.slot, c.weight FROM co_engagement c "
                         "JOIN video_ranking a ON a.video_id = c.video_id "
                         "JOIN video_ranking b ON b.video_id = c.neighbour_id ORDER BY a.slot")
