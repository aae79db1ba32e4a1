"""A tiny synthetic MovieLens folder (both layouts): movies in four genres, users who each love one or two
genres, ratings spread over a year. Small enough for a test, structured enough that taste is learnable."""
from __future__ import annotations

from pathlib import Path

import numpy as np

GENRES = ("Comedy", "Horror", "Romance", "Western")
TITLE_WORDS = {"Comedy": ["Funny", "Laugh", "Party"], "Horror": ["Night", "Blood", "Ghost"],
               "Romance": ["Love", "Heart", "Kiss"], "Western": ["Gun", "Ranch", "Sheriff"]}
DAY = 86400.0


def synthetic_ratings(users: int = 40, movies: int = 48, per_user: int = 14, seed: int = 0):
    """(movies [(id, title, genres)], ratings [(user, movie, rating, ts)])."""
    rng = np.random.default_rng(seed)
    catalogue = []
    for m in range(movies):
        genre = GENRES[m % len(GENRES)]
        title = f"{rng.choice(TITLE_WORDS[genre])} {rng.choice(TITLE_WORDS[genre])} {m} ({1990 + m % 20})"
        catalogue.append((m + 1, title, [genre]))
    quality = rng.uniform(0, 1, movies)
    ratings = []
    for u in range(users):
        loved = set(rng.choice(len(GENRES), size=1 + u % 2, replace=False).tolist())
        start = 1.5e9 + rng.uniform(0, 300) * DAY
        seen = rng.choice(movies, size=per_user, replace=False, p=(quality + 0.2) / (quality + 0.2).sum())
        for j, m in enumerate(seen):
            fit = (m % len(GENRES)) in loved
            rating = 4.5 if fit and rng.random() < 0.85 else (3.0 if rng.random() < 0.5 else 2.0)
            ratings.append((u + 1, int(m) + 1, rating, int(start + j * 600)))
    return catalogue, ratings


def write_latest(folder: Path, **kwargs) -> Path:
    """ratings.csv + movies.csv (the ml-latest layout)."""
    movies, ratings = synthetic_ratings(**kwargs)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "movies.csv").write_text("movieId,title,genres\n" + "".join(
        f'{m},"{t}",{"|".join(g)}\n' for m, t, g in movies))
    (folder / "ratings.csv").write_text("userId,movieId,rating,timestamp\n" + "".join(
        f"{u},{m},{r:.1f},{ts}\n" for u, m, r, ts in ratings))
    return folder


def write_100k(folder: Path, **kwargs) -> Path:
    """u.data + u.item (the ml-100k layout: tab- and pipe-separated, latin-1, genre flags)."""
    from service.evaluation.movielens.data import ML100K_GENRES

    movies, ratings = synthetic_ratings(**kwargs)
    folder.mkdir(parents=True, exist_ok=True)
    lines = []
    for m, t, g in movies:
        flags = "|".join("1" if name in g else "0" for name in ML100K_GENRES)
        lines.append(f"{m}|{t}|01-Jan-1995||http://example.invalid/{m}|{flags}")
    (folder / "u.item").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    (folder / "u.data").write_text("".join(f"{u}\t{m}\t{int(r)}\t{ts}\n" for u, m, r, ts in ratings))
    return folder
