"""Offline work beside serving: simulation and replay, fitting of the blend and co-engagement, MovieLens evaluation.

Nothing in `service/recommend/` imports this package at request time; the CLI's `fit` and `evaluate` do.
"""
