"""`reelsense` command line: embed a media folder, tag one file."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _settings(args: argparse.Namespace):
    from service.config import Settings

    overrides = {}
    if getattr(args, "db", None):
        overrides["db_path"] = Path(args.db)
    return Settings(**overrides)


def _fail(message: str, code: int = 2) -> int:
    print(f"error: {message}", file=sys.stderr)
    return code


def cmd_embed(args: argparse.Namespace) -> int:
    from tqdm import tqdm

    from extractors.features import ModelUnavailableError
    from service.export import write_parquet
    from service.pipeline import Analyzer, file_sha256, find_videos
    from service.store import SpaceMismatchError, Store

    root = Path(args.folder)
    if not root.exists():
        return _fail(f"{root} does not exist")
    settings = _settings(args)
    files = find_videos(root)
    if not files:
        return _fail(f"no video files under {root}")
    try:
        analyzer = Analyzer(settings)
    except ModelUnavailableError as exc:
        return _fail(str(exc))
    store = Store(settings.database)
    try:
        store.check_space(analyzer.space_id)
    except SpaceMismatchError as exc:
        return _fail(str(exc))
    ids: dict[Path, str] = {p: file_sha256(p) for p in files}
    todo = [p for p in files if not store.has(ids[p])]
    skipped = len(files) - len(todo)
    failures: list[tuple[Path, str, str]] = []
    stored = 0
    bar = tqdm(total=len(files), initial=skipped, desc="embedding", unit="video", file=sys.stderr, disable=args.quiet)
    for path, record, error, _seconds in analyzer.analyze_many(todo):
        bar.update(1)
        if error is not None:
            failures.append((path, error.code, error.message))
            tqdm.write(f"FAILED {path}: [{error.code}] {error.message}", file=sys.stderr)
            continue
        store.add(record)
        stored += 1
    bar.close()
    records = store.records([ids[p] for p in files if store.has(ids[p])])
    if args.show:
        for r in records:
            tags = ", ".join(f"{t.label} ({t.score:.2f})" for t in r.tags[:5]) or "-"
            weights = " ".join(f"{m}={w:.2f}" for m, w in r.fused.weights.items())
            print(f"{Path(r.path).name:<24} weights[{weights}]  tags: {tags}")
    if args.out:
        write_parquet(records, Path(args.out))
    print(
        f"{len(files)} files: {stored} embedded, {skipped} already stored, {len(failures)} failed"
        + (f"; wrote {len(records)} rows to {args.out}" if args.out else "")
        + f"; store {settings.database}",
        file=sys.stderr,
    )
    for path, code, _message in failures:
        print(f"  failed: {path} [{code}]", file=sys.stderr)
    store.close()
    return 1 if failures else 0


def cmd_tag(args: argparse.Namespace) -> int:
    from extractors.features import ModelUnavailableError
    from extractors.media import MediaError
    from service.pipeline import Analyzer, VideoMeta

    path = Path(args.file)
    meta = VideoMeta.from_sidecar(path)
    meta = VideoMeta(
        args.title if args.title is not None else meta.title,
        args.description if args.description is not None else meta.description,
        args.hashtags.split() if args.hashtags is not None else meta.hashtags,
        meta.creator,
    )
    try:
        record = Analyzer(_settings(args)).analyze(path, meta)
    except MediaError as exc:
        print(json.dumps({"error": {"code": exc.code, "message": exc.message}}, indent=2))
        return 1
    except ModelUnavailableError as exc:
        return _fail(str(exc))
    print(json.dumps(record.summary(top=args.top), indent=2, default=float))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.api import create_app

    settings = _settings(args)
    if args.workers is not None:
        settings.workers = args.workers
    if args.index and not Path(args.index).exists():
        return _fail(f"{args.index} does not exist")
    if not settings.api_key_list:
        print("warning: no API key configured (REELSENSE_API_KEYS): write endpoints answer 401", file=sys.stderr)
    app = create_app(settings, index_folder=args.index)
    uvicorn.run(app, host=args.host, port=args.port, log_level="info" if args.verbose else "warning")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="reelsense", description="Multimodal short-video understanding")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    embed = sub.add_parser("embed", help="embed every video under a folder into the store (resumable)")
    embed.add_argument("folder")
    embed.add_argument("--out", help="also write one Parquet row per video to this file")
    embed.add_argument("--db", help="SQLite store path (default: REELSENSE_DB_PATH or data/reelsense.db)")
    embed.add_argument("--show", action="store_true", help="print each video's top tags and modality weights")
    embed.add_argument("--quiet", action="store_true", help="no progress bar")
    embed.set_defaults(func=cmd_embed)

    tag = sub.add_parser("tag", help="analyse one file and print its tags, stats and weights as JSON")
    tag.add_argument("file")
    tag.add_argument("--title")
    tag.add_argument("--description")
    tag.add_argument("--hashtags", help='space-separated, e.g. "#food #pasta"')
    tag.add_argument("--top", type=int, default=12, help="how many tags to print")
    tag.add_argument("--db", help=argparse.SUPPRESS)
    tag.set_defaults(func=cmd_tag)

    serve = sub.add_parser("serve", help="run the HTTP API (FastAPI on uvicorn)")
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--db", help="SQLite store path (default: REELSENSE_DB_PATH or data/reelsense.db)")
    serve.add_argument("--workers", type=int, help="analysis worker processes (default: REELSENSE_WORKERS)")
    serve.add_argument("--index", metavar="FOLDER", help="embed the videos under FOLDER in the background at startup")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
