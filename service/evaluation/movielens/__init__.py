"""`reelsense evaluate --movielens DIR`: the recommender measured on public movie-ratings data (MovieLens), whose
items become text-only records and whose ratings become events, against random, popularity, plain-content and
LightFM rankings."""
