"""Fitted parameters (fusion and blend weights, item-item co-engagement) on PostgreSQL."""
from __future__ import annotations

import json
import time
from typing import Any

from service.storage.postgres.database import PgDatabase


class PgFittedTable(PgDatabase):
    def save_fusion_weights(self, name: str, weights: dict[str, float], settings: dict, report: dict) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO fusion_weights(name, weights, settings, report, fitted_at) VALUES (%s,%s,%s,%s,%s) "
                "ON CONFLICT (name) DO UPDATE SET weights=excluded.weights, settings=excluded.settings, "
                "report=excluded.report, fitted_at=excluded.fitted_at",
                (name, json.dumps(weights), json.dumps(settings, default=str), json.dumps(report, default=float),
                 time.time()))

    def fusion_weights(self, name: str = "global") -> dict[str, Any] | None:
        row = self._one("SELECT weights, settings, report, fitted_at FROM fusion_weights WHERE name=%s", (name,))
        if not row:
            return None
        return {"weights": json.loads(row[0]), "settings": json.loads(row[1]), "report": json.loads(row[2]),
                "fitted_at": row[3]}

    def save_co_engagement(self, rows: list[tuple[str, str, float]]) -> None:
        """Replace the co-engagement table with (video, neighbour, weight) rows (COPY), in one transaction."""
        with self.transaction() as conn:
            conn.execute("DELETE FROM co_engagement")
            with conn.cursor().copy("COPY co_engagement (video_id, neighbour_id, weight) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)

    def co_engagement_by_slot(self) -> list[tuple[int, int, float]]:
        return [tuple(r) for r in self._all(
            "SELECT a.slot, b.slot, c.weight FROM co_engagement c JOIN video_ranking a ON a.video_id = c.video_id "
            "JOIN video_ranking b ON b.video_id = c.neighbour_id ORDER BY a.slot")]
