"""`reelsense` command line: embed a media folder, tag one file, fit and show text topics, recommend,
record events, fit fusion weights, evaluate."""
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

    from extractors.errors import ModelUnavailableError
    from service.export import write_parquet
    from service.factory import Components
    from service.pipeline import file_sha256, find_videos
    from service.store import SpaceMismatchError, Store

    root = Path(args.folder)
    if not root.exists():
        return _fail(f"{root} does not exist")
    settings = _settings(args)
    files = find_videos(root)
    if not files:
        return _fail(f"no video files under {root}")
    try:
        analyzer = Components(settings).analyzer
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
    for path, record, error, _seconds in analyzer.analyze_many(todo, ids=ids):
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
            print(_summary_lines(r))
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


def _summary_lines(record) -> str:
    """Two lines per video: modality weights, then the strongest tags of each source (hashtags alone would
    fill a plain top-N list, since they all score 1)."""
    weights = "  ".join(f"{m} {w:.2f}" for m, w in record.fused.weights.items())
    by_source: dict[str, list[str]] = {}
    for t in record.tags:
        by_source.setdefault(t.source, []).append(t.label)
    tags = " | ".join(f"{source}: {', '.join(labels[:3])}" for source, labels in by_source.items())
    return f"{Path(record.path).name:<22} weights: {weights}\n    {tags or 'no tags'}"


def cmd_reindex(args: argparse.Namespace) -> int:
    """Re-embed every stored video from its file with the current models, moving the store to their space."""
    from tqdm import tqdm

    from extractors.base import VideoMeta
    from extractors.errors import ModelUnavailableError
    from extractors.media import MediaError
    from service.factory import Components
    from service.pipeline import file_sha256
    from service.store import Store

    settings = _settings(args)
    store = Store(settings.database)
    try:
        analyzer = Components(settings).analyzer
    except ModelUnavailableError as exc:
        return _fail(str(exc))
    if store.space_id == analyzer.space_id:
        print(f"store {settings.database} is already in space {analyzer.space_id}; nothing to do", file=sys.stderr)
        return 0
    records, lost = [], []
    for old in tqdm(store.records(), desc="re-embedding", unit="video", file=sys.stderr, disable=args.quiet):
        path = Path(old.path)
        if not path.is_file() or file_sha256(path) != old.id:
            lost.append((old.id, f"{path} is gone or its content changed"))
            continue
        try:
            records.append(analyzer.analyze(path, VideoMeta(old.title, old.description, old.hashtags, old.creator)))
        except MediaError as exc:
            lost.append((old.id, f"{path}: [{exc.code}] {exc.message}"))
    for video_id, why in lost:
        print(f"  cannot re-embed {video_id[:12]}: {why}", file=sys.stderr)
    if lost and not args.drop_missing:
        return _fail(f"{len(lost)} videos cannot be re-embedded; nothing was changed (--drop-missing deletes them)")
    for video_id, _ in lost:
        store.delete(video_id)
    if records:
        store.replace_vectors(records)
    print(f"re-embedded {len(records)} videos into {analyzer.space_id}; dropped {len(lost)}", file=sys.stderr)
    store.close()
    return 0


def cmd_tag(args: argparse.Namespace) -> int:
    from extractors.base import VideoMeta
    from extractors.errors import ModelUnavailableError
    from extractors.media import MediaError
    from service.factory import Components
    from service.pipeline import read_sidecar

    path = Path(args.file)
    meta = read_sidecar(path)
    meta = VideoMeta(
        args.title if args.title is not None else meta.title,
        args.description if args.description is not None else meta.description,
        args.hashtags.split() if args.hashtags is not None else meta.hashtags,
        meta.creator,
    )
    try:
        record = Components(_settings(args)).analyzer.analyze(path, meta)
    except MediaError as exc:
        print(json.dumps({"error": {"code": exc.code, "message": exc.message}}, indent=2))
        return 1
    except ModelUnavailableError as exc:
        return _fail(str(exc))
    print(json.dumps(record.summary(top=args.top), indent=2, default=float))
    return 0


def _recommender(args: argparse.Namespace, need_text: bool = True):
    """A Recommender over the store, with the text encoder (stated interests, search) when needed."""
    from service.factory import Components

    return Components(_settings(args)).recommender(with_models=need_text)


def cmd_recommend(args: argparse.Namespace) -> int:
    from extractors.errors import ModelUnavailableError

    try:
        rec = _recommender(args)
    except ModelUnavailableError as exc:
        return _fail(str(exc))
    if args.refresh:
        rec.refresh(args.user)
    if args.interests or args.tags:
        rec.set_interests(args.user, args.interests or "", args.tags.split(",") if args.tags else [])
    items = rec.recommend(args.user, args.k, args.diversity)
    paths = {i["video_id"]: rec.store.get(i["video_id"]) for i in items}
    for item in items:
        record = paths[item["video_id"]]
        item["title"], item["path"] = record.title, record.path
    print(json.dumps({"user": args.user, "profile": rec.profile(args.user), "items": items}, indent=2))
    rec.store.close()
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from service.profiles import Event, EventError

    rec = _recommender(args, need_text=False)
    try:
        lines = Path(args.file).read_text().splitlines()
        events = [Event.from_dict(json.loads(line), i) for i, line in enumerate(l for l in lines if l.strip())]
        n = rec.record_events(events)
    except EventError as exc:
        print(json.dumps({"error": exc.to_dict()}), file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        return _fail(f"cannot read events from {args.file}: {exc}")
    print(f"recorded {n} events", file=sys.stderr)
    return 0


def cmd_fusion_fit(args: argparse.Namespace) -> int:
    from service.matcher import QueryError

    rec = _recommender(args, need_text=False)
    try:
        report = rec.fit_fusion(holdout=args.holdout)
    except QueryError as exc:
        return _fail(exc.message)
    print(json.dumps(report, indent=2))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from service.evaluation import SimulationConfig, format_report, run_simulation
    from service.factory import Components

    settings = _settings(args)
    cfg = SimulationConfig(test_users=args.users, videos=args.videos, seed=args.seed, k=args.k)
    text = None if args.no_text else Components(settings).text
    figures = run_simulation(settings, cfg, text)
    print(json.dumps(figures, indent=2) if args.json else format_report(figures, cfg.k))
    return 0


def cmd_topics_fit(args: argparse.Namespace) -> int:
    from extractors.text.topics import FitSettings, TopicError, TopicModel, document_tokens
    from service.store import Store

    settings = _settings(args)
    if not settings.database.is_file():
        return _fail(f"no store at {settings.database}; run `reelsense embed FOLDER` first")
    with Store(settings.database) as store:
        docs = [document_tokens(r.title, r.description, hashtags=r.hashtags) for r in store.records()]
    fit = FitSettings(k=args.k or settings.topics_k, passes=args.passes or settings.topics_passes,
                      seed=settings.topics_seed if args.seed is None else args.seed,
                      coherence=args.coherence or settings.topics_coherence)
    try:
        model = TopicModel.fit(docs, fit)
    except TopicError as exc:
        return _fail(f"[{exc.code}] {exc.message}")
    model.save(settings.topics_dir)
    _print_topics(model.info)
    print(f"saved {model.k} topics fitted on {model.info.documents} videos to {settings.topics_dir}", file=sys.stderr)
    return 0


def cmd_topics_show(args: argparse.Namespace) -> int:
    from extractors.text.topics import TopicError, TopicModel

    settings = _settings(args)
    try:
        info = TopicModel.read_info(settings.topics_dir)
    except TopicError as exc:
        return _fail(f"[{exc.code}] {exc.message}")
    if args.json:
        print(info.to_json())
    else:
        _print_topics(info)
    return 0


def _print_topics(info) -> None:
    measure = info.settings.coherence
    print(f"{len(info.topics)} topics, {info.documents} videos, {info.vocabulary} words; mean coherence ({measure}) {info.coherence:.3f}")
    for t in info.topics:
        print(f"  topic {t.id:>2}  coherence {t.coherence:6.3f}  videos {t.documents:>4}  {' '.join(w for w, _ in t.words)}")


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

    reindex = sub.add_parser("reindex", help="re-embed every stored video with the current models (after a model change)")
    reindex.add_argument("--db", help="SQLite store path (default: REELSENSE_DB_PATH or data/reelsense.db)")
    reindex.add_argument("--drop-missing", action="store_true", help="delete videos whose file is gone instead of failing")
    reindex.add_argument("--quiet", action="store_true", help="no progress bar")
    reindex.set_defaults(func=cmd_reindex)

    rec = sub.add_parser("recommend", help="a user's feed as JSON, each item with its explanation")
    rec.add_argument("--user", required=True)
    rec.add_argument("--interests", help='stated interests as free text, e.g. "cooking, travel"')
    rec.add_argument("--tags", help="comma-separated taxonomy tags, e.g. food,travel")
    rec.add_argument("-k", type=int, default=10)
    rec.add_argument("--diversity", type=float, help="0 (relevance only) .. 1 (most diverse); default from settings")
    rec.add_argument("--refresh", action="store_true", help="forget the user's history and profile first")
    rec.add_argument("--db", help="SQLite store path")
    rec.set_defaults(func=cmd_recommend)

    events = sub.add_parser("events", help="record interaction events from a JSONL file (all or nothing)")
    events.add_argument("file", help='one JSON object per line: {"user_id","video_id","type","timestamp",...}')
    events.add_argument("--db", help="SQLite store path")
    events.set_defaults(func=cmd_events)

    fusion = sub.add_parser("fusion", help="fusion weights")
    fusion_sub = fusion.add_subparsers(dest="fusion_command", required=True)
    fit = fusion_sub.add_parser("fit", help="learn global modality weights from recorded events")
    fit.add_argument("--holdout", type=float, default=0.2, help="latest share of events held out for the report")
    fit.add_argument("--db", help="SQLite store path")
    fit.set_defaults(func=cmd_fusion_fit)

    ev = sub.add_parser("evaluate", help="offline cold-start simulation against popularity and random baselines")
    ev.add_argument("--users", type=int, default=60)
    ev.add_argument("--videos", type=int, default=480)
    ev.add_argument("--seed", type=int, default=0)
    ev.add_argument("-k", type=int, default=10)
    ev.add_argument("--no-text", action="store_true", help="synthetic text vectors instead of the text encoder")
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--db", help=argparse.SUPPRESS)
    ev.set_defaults(func=cmd_evaluate)

    topics = sub.add_parser("topics", help="LDA topics over the text of the stored videos")
    topics_sub = topics.add_subparsers(dest="topics_command", required=True)
    fit = topics_sub.add_parser("fit", help="train LDA on the stored videos' text, save it, print topics and coherence")
    fit.add_argument("--db", help="SQLite store path (default: REELSENSE_DB_PATH or data/reelsense.db)")
    fit.add_argument("--k", type=int, help="number of topics (default: REELSENSE_TOPICS_K)")
    fit.add_argument("--passes", type=int, help="training passes over the corpus (default: REELSENSE_TOPICS_PASSES)")
    fit.add_argument("--seed", type=int, help="random seed (default: REELSENSE_TOPICS_SEED)")
    fit.add_argument("--coherence", choices=["c_v", "u_mass"], help="coherence measure to report")
    fit.set_defaults(func=cmd_topics_fit)
    show = topics_sub.add_parser("show", help="list the fitted topics with their top words and coherence")
    show.add_argument("--json", action="store_true", help="print the saved settings and topics as JSON")
    show.add_argument("--db", help=argparse.SUPPRESS)
    show.set_defaults(func=cmd_topics_show)
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
