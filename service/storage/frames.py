"""A video's frame thumbnails and shot start times, written in the video's transaction and deleted with it
(foreign keys cascade). Reading a record lists the thumbnails without their bytes; `frame_jpeg` reads one image."""
from __future__ import annotations

from service.records import FrameThumbnail, VideoRecord
from service.storage.database import Database


class FrameTable(Database):
    def frame_jpeg(self, video_id: str, index: int) -> bytes | None:
        """The JPEG of one sampled frame; None when the video or that frame is not stored."""
        row = self._one("SELECT jpeg FROM video_frames WHERE video_id=? AND idx=?", (video_id, index))
        return bytes(row[0]) if row else None

    def frame_jpegs(self, video_id: str) -> dict[int, bytes]:
        """Every stored thumbnail of a video by frame index (for batch export, which carries the images)."""
        return {idx: bytes(jpeg) for idx, jpeg in self._all("SELECT idx, jpeg FROM video_frames WHERE video_id=?",
                                                            (video_id,))}

    def thumbnail_bytes(self, video_id: str) -> int:
        """Bytes of JPEG stored for one video (all its thumbnails)."""
        row = self._one("SELECT COALESCE(SUM(LENGTH(jpeg)), 0) FROM video_frames WHERE video_id=?", (video_id,))
        return int(row[0])

    def _frames_of(self, video_id: str) -> tuple[list[FrameThumbnail], list[float]]:
        """The thumbnails (without bytes) and shot starts of a stored video."""
        frames = [FrameThumbnail(idx, time_s, width, height) for idx, time_s, width, height in self._all(
            "SELECT idx, time_s, width, height FROM video_frames WHERE video_id=? ORDER BY idx", (video_id,))]
        shots = [r[0] for r in self._all("SELECT start_s FROM video_shots WHERE video_id=? ORDER BY idx", (video_id,))]
        return frames, shots

    def _write_frames(self, record: VideoRecord) -> None:
        """Replace a video's thumbnails and shots (call inside the transaction that writes the video).

        A record read back from the store carries thumbnails without bytes: those rows are kept as they are."""
        if any(f.jpeg is None for f in record.frames):
            return
        self.conn.execute("DELETE FROM video_frames WHERE video_id=?", (record.id,))
        self.conn.execute("DELETE FROM video_shots WHERE video_id=?", (record.id,))
        self.conn.executemany(
            "INSERT INTO video_frames(video_id, idx, time_s, width, height, jpeg) VALUES (?,?,?,?,?,?)",
            [(record.id, f.index, f.time_s, f.width, f.height, f.jpeg) for f in record.frames])
        self.conn.executemany("INSERT INTO video_shots(video_id, idx, start_s) VALUES (?,?,?)",
                              [(record.id, i, s) for i, s in enumerate(record.shot_starts)])
