"""`reelsense` command line: thin — parse, call the service, print. Every deliberate error is a ReelsenseError,
turned into one line on stderr and its exit code by `main` (1 bad input, 2 usage, 3 a model or setting is
unavailable, 4 conflict with the store, 5 retry later)."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from extractors.errors import ReelsenseError
from service.cli_parser import build_parser

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _settings(args: argparse.Namespace):
    """Settings from the environment, with `--db` applied; a bad value is a ConfigError naming it."""
    from pydantic import ValidationError

    from service.config import Settings
    from service.errors import ConfigError

    db = getattr(args, "db", None)
    overrides = {"database_url": db} if _is_url(db) else {"db_path": Path(db)} if db else {}
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "REELSENSE_" + "_".join(str(p) for p in first["loc"]).upper()
        raise ConfigError("invalid_setting", f"{name}: {first['msg']}") from None


def _is_url(where: str | None) -> bool:
    return bool(where) and where.startswith(("postgresql://", "postgres://"))


def _components(args: argparse.Namespace):
    from service.factory import Components

    return Components(_settings(args))


def _say(message: str) -> None:
    print(message, file=sys.stderr)


# -- media -------------------------------------------------------------------------------------------
def cmd_embed(args: argparse.Namespace) -> int:
    """Both engines through one runner (service/pipeline/embed.py): list, embed, report the same way."""
    from tqdm import tqdm

    engine = _components(args).embed_engine(args.engine, out=args.out, address=args.address,
                                            read_store=bool(args.db))
    files = engine.files(args.folder)
    with tqdm(total=len(files), desc="embedding", unit="video", file=sys.stderr, disable=args.quiet) as bar:
        report = engine.run(files, progress=bar.update,
                            on_failure=lambda f: tqdm.write(f"FAILED {f.path}: [{f.code}] {f.message}",
                                                            file=sys.stderr))
    if args.show:
        from service.summary import summary_lines

        for r in report.records:
            print(summary_lines(r))
    if args.timings:
        Path(args.timings).write_text(json.dumps({"embedded": report.embedded, "stage_seconds": report.stage_seconds}))
    _say(engine.describe(report))
    for f in report.failures:
        _say(f"  failed: {f.path} [{f.code}]")
    for w in report.warnings:
        _say(f"  warning: {w.path} [{w.code}] {w.message}")
    return 1 if report.failures else 0


def cmd_reindex(args: argparse.Namespace) -> int:
    """Re-embed the stored videos with the current models, moving the store to their space. Videos whose file
    is gone (an API upload without REELSENSE_KEEP_MEDIA) are named with the reason and stay in the old space,
    flagged and out of the ranking (exit 1), or are deleted with --drop-missing."""
    from tqdm import tqdm

    from service.errors import CommandError
    from service.pipeline.batch import apply_reindex, reembed_store
    from service.pipeline.kept import KeptMedia

    components = _components(args)
    settings = components.settings
    with components.store() as store:
        analyzer = components.analyzer
        todo = store.count() if store.space_id != analyzer.space_id else len(store.flagged_ids())
        if not todo:
            _say(f"store {store.path} is already in space {analyzer.space_id}; nothing to do")
            return 0
        kept = KeptMedia(settings.media_dir) if settings.media_dir.is_dir() else None
        with tqdm(total=todo, desc="re-embedding", unit="video", file=sys.stderr, disable=args.quiet) as bar:
            report = reembed_store(analyzer, store, progress=bar.update, kept=kept)
        for video_id, why in report.lost:
            _say(f"  cannot re-embed {video_id}: {why}")
        if report.lost and not report.records and not args.drop_missing:
            raise CommandError("cannot_reindex", f"none of the {len(report.lost)} videos to re-embed has its file; "
                                                 "nothing was changed (--drop-missing deletes them)")
        apply_reindex(store, report, drop_missing=args.drop_missing)
    left = "dropped" if args.drop_missing else "left flagged in their old space (out of feeds and search)"
    _say(f"re-embedded {len(report.records)} videos into {analyzer.space_id}; {left}: {len(report.lost)}")
    return 1 if report.lost and not args.drop_missing else 0


def cmd_tag(args: argparse.Namespace) -> int:
    from extractors.base import VideoMeta
    from service.pipeline import read_sidecar

    path = Path(args.file)
    sidecar = read_sidecar(path, _settings(args).sidecar_max_kb * 1024)
    if sidecar.problem:
        _say(f"warning: [{sidecar.problem.code}] {sidecar.problem.message}")
    meta = sidecar.meta
    meta = VideoMeta(
        args.title if args.title is not None else meta.title,
        args.description if args.description is not None else meta.description,
        args.hashtags.split() if args.hashtags is not None else meta.hashtags,
        meta.creator,
    )
    record = _components(args).analyzer.analyze(path, meta)
    print(json.dumps(record.summary(top=args.top), indent=2, default=float))
    return 0


def cmd_duplicates(args: argparse.Namespace) -> int:
    """List the store's duplicate groups: each original with its re-uploaded copies."""
    with _components(args).store() as store:
        groups = store.duplicate_groups()
    if args.json:
        print(json.dumps(groups, indent=2))
        return 0
    for group in groups:
        print(f"{group['original']}  {group['title'] or '(untitled)'}")
        for copy in group["copies"]:
            print(f"  copy {copy['video_id']}  {copy['title'] or '(untitled)'}")
    _say(f"{len(groups)} duplicate groups, {sum(len(g['copies']) for g in groups)} copies")
    return 0


# -- recommendation ----------------------------------------------------------------------------------
def cmd_recommend(args: argparse.Namespace) -> int:
    from service.recommend.events import check_user_id

    check_user_id(args.user)  # the one user-id pattern of every entry point (API, events, CLI)
    rec = _components(args).recommender()
    with rec.store:
        if args.refresh:
            rec.refresh(args.user)
        if args.interests or args.tags:
            rec.set_interests(args.user, args.interests or "", args.tags.split(",") if args.tags else [])
        if args.sensitive:
            rec.store.set_show_sensitive(args.user, args.sensitive == "show")
        items = rec.recommend(args.user, args.k, args.diversity, created_after=args.created_after)
        for item in items:
            record = rec.store.get(item["video_id"])
            item["title"], item["path"] = record.title, record.path
        print(json.dumps({"user": args.user, "profile": rec.profile(args.user), "items": items}, indent=2))
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    """Load `reelsense embed --out` Parquet (a file or a folder of shards, local or a pyarrow filesystem URI) into
    the store, then bring the saved vector index up to date so a server starts without rebuilding it."""
    import time

    from tqdm import tqdm

    from service.pipeline.importing import import_parquet
    from service.recommend import Recommender

    components = _components(args)
    started = time.perf_counter()
    with components.store() as store, tqdm(desc="importing", unit="video", file=sys.stderr,
                                           disable=args.quiet) as bar:
        report = import_parquet(store, args.path, chunk=args.chunk, progress=bar.update)
        stored = time.perf_counter() - started
        index_note = ""
        if not args.no_index:
            rec = Recommender(store, components.settings)
            cat = rec.catalogue()
            rec.save_index()
            took = time.perf_counter() - started - stored
            index_note = f"; index: {len(cat)} videos ({cat.kind}) ready in {took:.1f} s"
    _say(f"{report.files} file(s), {report.rows} rows: {report.imported} imported, {report.skipped} already stored "
         f"in {stored:.1f} s{index_note}; store {components.settings.database}")
    return 0


def cmd_search(args: argparse.Namespace) -> int:
    """Videos matching the words, each with its best moment; or (--video) one video's moments ranked."""
    from service.errors import CommandError

    components = _components(args)
    rec = components.recommender()
    with rec.store:
        moments = components.moment_search(rec.store)
        if args.video:
            if not rec.store.has(args.video):
                raise CommandError("not_found", f"no video with id {args.video} in {rec.store.path}")
            out = {"query": args.query, "video_id": args.video, "items": moments.rank(args.video, args.query, args.k)}
        else:
            items = moments.attach(args.query, rec.search(args.query, args.k))
            for item in items:
                record = rec.store.get(item["video_id"])
                item["title"], item["path"] = record.title, record.path
            out = {"query": args.query, "items": items}
    print(json.dumps(out, indent=2))
    return 0


def cmd_events(args: argparse.Namespace) -> int:
    from service.errors import CommandError
    from service.recommend import Event

    try:
        lines = [line for line in Path(args.file).read_text().splitlines() if line.strip()]
        events = [Event.from_dict(json.loads(line), i) for i, line in enumerate(lines)]
    except (OSError, ValueError) as exc:
        raise CommandError("unreadable", f"cannot read events from {args.file}: {exc}") from None
    rec = _components(args).recommender(with_models=False)
    with rec.store:
        n = rec.record_events(events)
    _say(f"recorded {n} events")
    return 0


def cmd_fusion_fit(args: argparse.Namespace) -> int:
    rec = _components(args).recommender(with_models=False)
    with rec.store:
        print(json.dumps(rec.fit_fusion(holdout=args.holdout), indent=2))
    return 0


def cmd_fit(args: argparse.Namespace) -> int:
    rec = _components(args).recommender(with_models=False)
    with rec.store:
        print(json.dumps(rec.fit(holdout=args.holdout, min_users=args.min_users, seed=args.seed), indent=2))
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from service.evaluation.simulation import SimulationConfig, format_report, run_simulation

    components = _components(args)
    if args.movielens:
        from service.evaluation.movielens.report import format_table, to_json
        from service.evaluation.movielens.run import METHODS, EvalConfig, evaluate_movielens

        cfg = EvalConfig(folds=args.folds, run_folds=min(args.run_folds or args.folds, args.folds), seed=args.seed,
                         half_life_days=args.half_life_days, lightfm=not args.no_lightfm,
                         new_items=not args.skip_new_items, fit=not args.no_fit)
        table = evaluate_movielens(Path(args.movielens), components.settings, components.text, cfg,
                                   components.settings.data_dir / "movielens", say=_say)
        print(json.dumps(to_json(table, cfg, METHODS), indent=2) if args.json else format_table(table, cfg, METHODS))
        return 0
    cfg = SimulationConfig(test_users=args.users, videos=args.videos, seed=args.seed, k=args.k)
    figures = run_simulation(components.settings, cfg, None if args.no_text else components.text)
    print(json.dumps(figures, indent=2) if args.json else format_report(figures, cfg.k))
    return 0


# -- topics ------------------------------------------------------------------------------------------
def cmd_topics_fit(args: argparse.Namespace) -> int:
    from extractors.text.topics import FitSettings, TopicModel, document_tokens
    from service.errors import CommandError

    components = _components(args)
    settings = components.settings
    if not settings.database.is_file():
        raise CommandError("no_store", f"no store at {settings.database}; run `reelsense embed FOLDER` first")
    with components.store() as store:
        docs = [document_tokens(r.title, r.description, hashtags=r.hashtags) for r in store.records()]
    fit = FitSettings(k=args.k or settings.topics_k, passes=args.passes or settings.topics_passes,
                      seed=settings.topics_seed if args.seed is None else args.seed,
                      coherence=args.coherence or settings.topics_coherence)
    model = TopicModel.fit(docs, fit)
    model.save(settings.topics_dir)
    print(_topics_text(model.info))
    _say(f"saved {model.k} topics fitted on {model.info.documents} videos to {settings.topics_dir}")
    return 0


def cmd_topics_show(args: argparse.Namespace) -> int:
    from extractors.text.topics import TopicModel

    info = TopicModel.read_info(_settings(args).topics_dir)
    print(info.to_json() if args.json else _topics_text(info))
    return 0


def _topics_text(info) -> str:
    measure = info.settings.coherence
    lines = [f"{len(info.topics)} topics, {info.documents} videos, {info.vocabulary} words; "
             f"mean coherence ({measure}) {info.coherence:.3f}"]
    lines += [f"  topic {t.id:>2}  coherence {t.coherence:6.3f}  videos {t.documents:>4}  "
              f"{' '.join(w for w, _ in t.words)}" for t in info.topics]
    return "\n".join(lines)


# -- serving -----------------------------------------------------------------------------------------
def cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.api import create_app
    from service.api.accesslog import configure_access_log
    from service.errors import CommandError

    settings = _settings(args)
    if args.workers is not None:
        settings = settings.model_copy(update={"workers": args.workers})
    if args.index and not Path(args.index).exists():
        raise CommandError("not_found", f"{args.index} does not exist")
    if not settings.api.api_keys:
        _say("warning: no API key configured (REELSENSE_API_KEYS): write endpoints answer 401")
    processes = _serve_processes(args, settings)
    if processes > 1:
        from service.api.processes import serve_processes

        return serve_processes(settings, processes, args.host, args.port, args.verbose)
    app = create_app(settings, index_folder=args.index)
    configure_access_log(keep_user_ids=settings.log_user_ids)
    # X-Forwarded-For is read by the app from REELSENSE_TRUSTED_PROXIES only, not also by uvicorn's own default.
    uvicorn.run(app, host=args.host, port=args.port, log_level="info" if args.verbose else "warning",
                proxy_headers=False)
    return 0


def _serve_processes(args: argparse.Namespace, settings) -> int:
    """How many processes serve (service/api/processes.py); `--index` is refused with more than one."""
    from service.api.processes import process_count
    from service.errors import CommandError

    requested = settings.serve_processes if args.processes is None else args.processes
    if requested < 0:
        raise CommandError("invalid_processes", f"--processes must be 0 (one per core) or more, not {requested}")
    processes = process_count(requested)
    if processes > 1 and args.index:
        raise CommandError("index_needs_one_process", "--index embeds in one serving process: use --processes 1, "
                           "or run `reelsense embed FOLDER --db ...` beside the servers (they follow its writes)")
    return processes


# -- moving a store --------------------------------------------------------------------------------
def cmd_store_copy(args: argparse.Namespace) -> int:
    """Copy a whole store (SQLite file or PostgreSQL URL) into an empty one of either kind."""
    from tqdm import tqdm

    from service.storage.transfer import copy_store, open_any

    with open_any(args.source) as src, open_any(args.dest) as dst, \
            tqdm(desc="copying", unit="row", file=sys.stderr, disable=args.quiet) as bar:
        counts = copy_store(src, dst, progress=lambda _table, n: bar.update(n))
    _say(f"copied {counts['videos']} videos, {counts['events']} events and {counts['users']} users "
         f"({sum(counts.values())} rows) into {args.dest}")
    return 0


COMMANDS = {
    "embed": cmd_embed, "import": cmd_import, "tag": cmd_tag, "reindex": cmd_reindex, "duplicates": cmd_duplicates,
    "recommend": cmd_recommend, "search": cmd_search, "events": cmd_events,
    "fusion fit": cmd_fusion_fit, "fit": cmd_fit, "evaluate": cmd_evaluate, "topics fit": cmd_topics_fit,
    "topics show": cmd_topics_show, "serve": cmd_serve, "store copy": cmd_store_copy,
}


def main(argv: list[str] | None = None) -> int:
    """Run one command; the one place a ReelsenseError becomes a message and an exit code."""
    args = build_parser(COMMANDS).parse_args(argv)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    try:
        return args.func(args)
    except ReelsenseError as exc:
        details = "".join(f" ({k}: {v})" for k, v in exc.details.items() if k != "setting")
        _say(f"error [{exc.code}]: {exc.message}{details}")
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
