"""Reading MovieLens folders (`ratings.csv` + `movies.csv` of the ml-latest releases, or `u.data` + `u.item` of
ml-100k) and turning them into what the product takes: text-only video records and interaction events.

A rating of 4 or more is a like, 3 to 3.5 a view that was not completed, below 3 a skip. A movie's title is the
record's title and its genres are both its description ("adventure, animation") and its hashtags. `tags.csv` is
not used: its tags were written by raters at rating time, so they would leak held-out ratings into content.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from extractors.base import ModalityFeatures, VideoMeta
from service.errors import CommandError
from service.fusion import fuse
from service.records import VideoRecord

LIKE_FROM, VIEW_FROM = 4.0, 3.0
VIEW_COMPLETION = 0.3  # a 3-star rating: watched, not completed (not an engagement)
ML100K_GENRES = ("unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary",
                 "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller",
                 "War", "Western")
SPACE = "movielens-text-only"


@dataclass
class MovieLens:
    movie_ids: list[str]
    titles: list[str]
    genres: list[list[str]]
    users: np.ndarray  # per rating, str
    items: np.ndarray  # per rating, index into movie_ids
    ratings: np.ndarray
    times: np.ndarray

    def kinds(self) -> np.ndarray:
        return np.where(self.ratings >= LIKE_FROM, "like", np.where(self.ratings >= VIEW_FROM, "view", "skip"))


def read_movielens(folder: Path) -> MovieLens:
    """The ratings and movies of a MovieLens folder (either layout); a folder with neither is an error."""
    folder = Path(folder)
    if (folder / "ratings.csv").is_file() and (folder / "movies.csv").is_file():
        return _read_latest(folder)
    if (folder / "u.data").is_file() and (folder / "u.item").is_file():
        return _read_100k(folder)
    raise CommandError("not_found", f"{folder} holds neither ratings.csv + movies.csv nor u.data + u.item")


def _frame(movies: list[tuple[str, str, list[str]]], rows: list[tuple[str, str, float, float]]) -> MovieLens:
    index = {m[0]: i for i, m in enumerate(movies)}
    rows = [r for r in rows if r[1] in index]
    return MovieLens([m[0] for m in movies], [m[1] for m in movies], [m[2] for m in movies],
                     np.array([r[0] for r in rows]), np.array([index[r[1]] for r in rows], np.int64),
                     np.array([r[2] for r in rows], float), np.array([r[3] for r in rows], float))


def _read_latest(folder: Path) -> MovieLens:
    with open(folder / "movies.csv", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        _expect(next(reader, []), ["movieId", "title", "genres"], folder / "movies.csv")
        movies = [(r[0], r[1], [g for g in r[2].split("|") if g != "(no genres listed)"]) for r in reader if r]
    with open(folder / "ratings.csv", newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        _expect(next(reader, []), ["userId", "movieId", "rating", "timestamp"], folder / "ratings.csv")
        rows = [(r[0], r[1], float(r[2]), float(r[3])) for r in reader if r]
    return _frame(movies, rows)


def _read_100k(folder: Path) -> MovieLens:
    movies = []
    for line in (folder / "u.item").read_text(encoding="latin-1").splitlines():
        parts = line.split("|")
        if len(parts) >= 5 + len(ML100K_GENRES):
            flags = parts[5 : 5 + len(ML100K_GENRES)]
            movies.append((parts[0], parts[1], [g for g, f in zip(ML100K_GENRES, flags, strict=True)
                                                if f == "1" and g != "unknown"]))
    rows = []
    for line in (folder / "u.data").read_text().splitlines():
        parts = line.split("\t")
        if len(parts) == 4:
            rows.append((parts[0], parts[1], float(parts[2]), float(parts[3])))
    return _frame(movies, rows)


def _expect(header: list[str], wanted: list[str], path: Path) -> None:
    if header != wanted:
        raise CommandError("unreadable", f"{path}: header {header} is not the MovieLens header {wanted}")


def genre_phrase(genres: list[str]) -> str:
    return ", ".join(g.lower() for g in genres)


def video_id(movie_id: str) -> str:
    return f"ml{movie_id}"


def movie_meta(title: str, genres: list[str]) -> VideoMeta:
    tags = [re.sub(r"\W+", "", g.lower()) for g in genres]
    return VideoMeta(title=title, description=genre_phrase(genres), hashtags=[t for t in tags if t])


def text_records(text, data: MovieLens, created_at: float, temperature: float) -> list[VideoRecord]:
    """One text-only record per movie: the text extractor in batches, visual and audio absent, fused as the
    pipeline fuses."""
    metas = [movie_meta(t, g) for t, g in zip(data.titles, data.genres, strict=True)]
    features = text.extract_many(metas)
    dims = {"text": text.dim, "visual": 1, "audio": 1}
    space = f"text={text.model}:{text.dim}|{SPACE}"
    records = []
    for mid, meta, feat in zip(data.movie_ids, metas, features, strict=True):
        parts = {"text": feat, "visual": ModalityFeatures.absent("visual", 1, "none", "no media"),
                 "audio": ModalityFeatures.absent("audio", 1, "none", "no media")}
        records.append(VideoRecord(video_id(mid), f"movielens://{mid}", meta.title, meta.description, meta.hashtags,
                                   "", {}, parts, fuse(parts, dims, temperature), space, [], created_at))
    return records

