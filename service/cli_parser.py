"""The `reelsense` argument parser: every command with its options (the commands themselves are in cli.py)."""
from __future__ import annotations

import argparse
from collections.abc import Callable

DB_HELP = ("SQLite store path, or a postgresql:// URL (default: REELSENSE_DATABASE_URL, else REELSENSE_DB_PATH or "
           "data/reelsense.db)")


def build_parser(commands: dict[str, Callable]) -> argparse.ArgumentParser:
    """The parser; `commands` maps "embed", "fusion fit", ... to the function each runs."""
    parser = argparse.ArgumentParser(prog="reelsense", description="Multimodal short-video understanding")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)
    for add in (_media_commands, _recommendation_commands, _topic_commands, _serve_command, _store_commands):
        add(sub, commands)
    return parser


def _media_commands(sub, commands: dict[str, Callable]) -> None:
    embed = sub.add_parser("embed", help="embed every video under a folder into the store (resumable), or with "
                                         "--engine ray into Parquet shards on a Ray cluster")
    embed.add_argument("folder", help="a folder or file; with --engine ray also any URI pyarrow reads (s3://...)")
    embed.add_argument("--out", help="also write one Parquet row per video to this file; with --engine ray (required)"
                                     " the folder or URI the shards and _errors.jsonl go to")
    embed.add_argument("--engine", choices=["local", "ray"], default="local",
                       help="local: this machine, into the store; ray: a Ray Data job writing shards "
                            "(pip install 'reelsense[ray]'), to load with `reelsense import`")
    embed.add_argument("--address", help="--engine ray: the cluster to join (auto, ray://HOST:PORT); "
                                         "default: RAY_ADDRESS or a Ray started on this machine")
    embed.add_argument("--db", help=DB_HELP)
    embed.add_argument("--show", action="store_true", help="print each video's top tags and modality weights")
    embed.add_argument("--quiet", action="store_true", help="no progress bar")
    embed.add_argument("--timings", metavar="FILE", help="write the seconds each stage took (JSON) to FILE")
    embed.set_defaults(func=commands["embed"])

    imp = sub.add_parser("import", help="load `embed --out` Parquet (a file or a folder of shards, local or a "
                                        "pyarrow filesystem URI: file://, s3://, gs://, hdfs://) into the store")
    imp.add_argument("path", help="a .parquet file or a folder of .parquet shards")
    imp.add_argument("--db", help=DB_HELP)
    imp.add_argument("--chunk", type=int, default=2000, help="records per transaction (default 2000)")
    imp.add_argument("--no-index", action="store_true", help="do not bring the saved vector index up to date")
    imp.add_argument("--quiet", action="store_true", help="no progress bar")
    imp.set_defaults(func=commands["import"])

    tag = sub.add_parser("tag", help="analyse one file and print its tags, stats and weights as JSON")
    tag.add_argument("file")
    tag.add_argument("--title")
    tag.add_argument("--description")
    tag.add_argument("--hashtags", help='space-separated, e.g. "#food #pasta"')
    tag.add_argument("--top", type=int, default=12, help="how many tags to print")
    tag.add_argument("--db", help=argparse.SUPPRESS)
    tag.set_defaults(func=commands["tag"])

    reindex = sub.add_parser("reindex", help="re-embed every stored video with the current models "
                                             "(after a model change)")
    reindex.add_argument("--db", help=DB_HELP)
    reindex.add_argument("--drop-missing", action="store_true",
                         help="delete videos whose file is gone instead of failing")
    reindex.add_argument("--quiet", action="store_true", help="no progress bar")
    reindex.set_defaults(func=commands["reindex"])

    duplicates = sub.add_parser("duplicates", help="list re-uploaded copies: each original with its duplicates")
    duplicates.add_argument("--db", help=DB_HELP)
    duplicates.add_argument("--json", action="store_true", help="print the groups as JSON")
    duplicates.set_defaults(func=commands["duplicates"])


def _recommendation_commands(sub, commands: dict[str, Callable]) -> None:
    rec = sub.add_parser("recommend", help="a user's feed as JSON, each item with its explanation")
    rec.add_argument("--user", required=True)
    rec.add_argument("--interests", help='stated interests as free text, e.g. "cooking, travel"')
    rec.add_argument("--tags", help="comma-separated taxonomy tags, e.g. food,travel")
    rec.add_argument("-k", type=int, default=10)
    rec.add_argument("--diversity", type=float, help="0 (relevance only) .. 1 (most diverse); default from settings")
    rec.add_argument("--refresh", action="store_true", help="forget the user's history and profile first")
    rec.add_argument("--created-after", type=float, metavar="UNIX_SECONDS",
                     help="rank only videos stored after this time (the new-uploads pool)")
    rec.add_argument("--sensitive", choices=["show", "hide"],
                     help="store the user's choice for videos flagged sensitive (hidden from feeds unless 'show')")
    rec.add_argument("--db", help=DB_HELP)
    rec.set_defaults(func=commands["recommend"])

    search = sub.add_parser("search", help="videos matching words, each with its best moment (time range, score, "
                                           "thumbnail) as JSON")
    search.add_argument("query")
    search.add_argument("-k", type=int, default=10)
    search.add_argument("--video", metavar="ID", help="rank this video's moments instead of searching all videos")
    search.add_argument("--db", help=DB_HELP)
    search.set_defaults(func=commands["search"])

    events = sub.add_parser("events", help="record interaction events from a JSONL file (all or nothing)")
    events.add_argument("file", help='one JSON object per line: {"user_id","video_id","type","timestamp",...}')
    events.add_argument("--db", help=DB_HELP)
    events.set_defaults(func=commands["events"])

    fusion = sub.add_parser("fusion", help="fusion weights")
    fusion_sub = fusion.add_subparsers(dest="fusion_command", required=True)
    fit = fusion_sub.add_parser("fit", help="learn global modality weights from recorded events")
    fit.add_argument("--holdout", type=float, default=0.2, help="latest share of events held out for the report")
    fit.add_argument("--db", help=DB_HELP)
    fit.set_defaults(func=commands["fusion fit"])

    fit_all = sub.add_parser("fit", help="learn co-engagement, hybrid blend weights and modality weights from "
                                         "recorded events; reports the held-out gain")
    fit_all.add_argument("--holdout", type=float, default=0.2, help="share of users held out to choose and report")
    fit_all.add_argument("--min-users", type=int, default=20, help="fewer held-out users: keep the defaults")
    fit_all.add_argument("--seed", type=int, default=0)
    fit_all.add_argument("--db", help=DB_HELP)
    fit_all.set_defaults(func=commands["fit"])

    _evaluate_command(sub, commands)


def _evaluate_command(sub, commands: dict[str, Callable]) -> None:
    ev = sub.add_parser("evaluate", help="offline cold-start simulation against popularity and random baselines")
    ev.add_argument("--users", type=int, default=60)
    ev.add_argument("--videos", type=int, default=480)
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("-k", type=int, default=10)
    ev.add_argument("--no-text", action="store_true", help="synthetic text vectors instead of the text encoder")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--movielens", metavar="DIR", help="evaluate on a MovieLens folder (ratings.csv + movies.csv, "
                    "or u.data + u.item) against random, popularity, plain content and LightFM")
    ev.add_argument("--folds", type=int, default=5, help="MovieLens: user folds (each held out in turn)")
    ev.add_argument("--run-folds", type=int, help="MovieLens: run only the first N folds (default: all)")
    ev.add_argument("--half-life-days", type=float, default=365.0,
                    help="MovieLens: half-life of the popularity counters (the data spans decades)")
    ev.add_argument("--no-lightfm", action="store_true", help="MovieLens: skip the LightFM baseline")
    ev.add_argument("--skip-new-items", action="store_true", help="MovieLens: only the new-user scenarios")
    ev.add_argument("--no-fit", action="store_true", help="MovieLens: no per-fold co-engagement fit (what a server "
                    "gets before anyone runs `reelsense fit`: the online table only)")
    ev.add_argument("--db", help=argparse.SUPPRESS)
    ev.set_defaults(func=commands["evaluate"])


def _topic_commands(sub, commands: dict[str, Callable]) -> None:
    topics = sub.add_parser("topics", help="LDA topics over the text of the stored videos")
    topics_sub = topics.add_subparsers(dest="topics_command", required=True)
    fit = topics_sub.add_parser("fit", help="train LDA on the stored videos' text, save it, print topics "
                                            "and coherence")
    fit.add_argument("--db", help=DB_HELP)
    fit.add_argument("--k", type=int, help="number of topics (default: REELSENSE_TOPICS_K)")
    fit.add_argument("--passes", type=int, help="training passes over the corpus (default: REELSENSE_TOPICS_PASSES)")
    fit.add_argument("--seed", type=int, help="random seed (default: REELSENSE_TOPICS_SEED)")
    fit.add_argument("--coherence", choices=["c_v", "u_mass"], help="coherence measure to report")
    fit.set_defaults(func=commands["topics fit"])
    show = topics_sub.add_parser("show", help="list the fitted topics with their top words and coherence")
    show.add_argument("--json", action="store_true", help="print the saved settings and topics as JSON")
    show.add_argument("--db", help=argparse.SUPPRESS)
    show.set_defaults(func=commands["topics show"])


def _serve_command(sub, commands: dict[str, Callable]) -> None:
    serve = sub.add_parser("serve", help="run the HTTP API (FastAPI on uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--db", help=DB_HELP)
    serve.add_argument("--workers", type=int, help="analysis worker processes (default: REELSENSE_WORKERS)")
    serve.add_argument("--processes", type=int, metavar="N", help="HTTP processes on the one port, over one store "
                       "(0: one per core; default: REELSENSE_SERVE_PROCESSES, 1); REELSENSE_WORKERS is split among "
                       "them")
    serve.add_argument("--index", metavar="FOLDER", help="embed the videos under FOLDER in the background at startup")
    serve.set_defaults(func=commands["serve"])


def _store_commands(sub, commands: dict[str, Callable]) -> None:
    store = sub.add_parser("store", help="manage stores")
    store_sub = store.add_subparsers(dest="store_command", required=True)
    copy = store_sub.add_parser("copy", help="copy a whole store (vectors, events, users and all) into an empty one; "
                                             "either may be a SQLite file or a postgresql:// URL")
    copy.add_argument("--from", dest="source", required=True, help="the store to read (path or postgresql:// URL)")
    copy.add_argument("--to", dest="dest", required=True, help="the empty store to write (path or URL)")
    copy.add_argument("--quiet", action="store_true", help="no progress bar")
    copy.set_defaults(func=commands["store copy"])
