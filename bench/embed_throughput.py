"""Batch-embedding throughput: the whole `reelsense embed` command against a common user pipeline, same files.

Generates --videos 30 s 720p H.264/AAC clips (bench/clips.py; kept in --cache between runs, never in the
repository), saves ViT-B-32 with random weights as a local checkpoint (same compute as the pretrained model),
then alternates, --rounds times: A = `reelsense embed FOLDER` (subprocess, the real CLI, all modalities, OCR
on, a fresh store each time), B = bench/user_pipeline.py (OpenCV reads every frame and keeps one a second, PIL
preprocessing, fp32 open_clip, the same checkpoint and files). Wall time includes start-up and model loading
for both. Prints videos/s and video-seconds/s per run, the ratio of medians, the seconds per stage (summed over
files; stages overlap in `reelsense embed`) and, on CUDA, how busy the GPU was (nvidia-smi, sampled).

Targets: 2-core CPU machine, `reelsense embed` >= 1.5x the peer's videos/s; GPU box, >= 8 videos/s and >= 10x.

With --engine ray, B is `reelsense embed --engine ray --out SHARDS` instead (Ray Data, a Ray started by the
command on this machine, so Ray's start-up is in its wall time as model loading is in both): the overhead of
the Ray engine against the local engine on the same files. Target: within 15% of the local engine's videos/s.

    python bench/embed_throughput.py [--videos 16] [--rounds 2] [--cache DIR] [--engine ray]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

BENCH_CACHE = Path(os.environ.get("REELSENSE_BENCH_CACHE", Path.home() / ".cache" / "reelsense-bench"))
CPU_RATIO_TARGET = 1.5
GPU_VIDEOS_TARGET = 8.0
GPU_RATIO_TARGET = 10.0
RAY_OVERHEAD_TARGET = 0.15


class GpuBusy:
    """Mean GPU utilisation (%) while a command runs, sampled from nvidia-smi; None without it."""

    def __init__(self):
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.wait(0.2):
            try:
                out = subprocess.run(["nvidia-smi", "--query-gpu=utilization.gpu", "--format=csv,noheader,nounits"],
                                     capture_output=True, text=True, timeout=5).stdout.split()
                self.samples.append(float(out[0]))
            except (OSError, ValueError, IndexError, subprocess.SubprocessError):
                return

    def __enter__(self) -> GpuBusy:
        if shutil.which("nvidia-smi"):
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    @property
    def mean(self) -> float | None:
        return statistics.fmean(self.samples) if self.samples else None


def checkpoint(cache: Path) -> Path:
    path = cache / "vit-b-32-random.pt"
    if not path.is_file():
        import open_clip
        import torch

        torch.save(open_clip.create_model("ViT-B-32").state_dict(), path)
    return path


@dataclass
class Run:
    wall_s: float
    cpu_s: float  # user + system CPU seconds of the command and its child processes
    gpu_busy: float | None
    stages: dict[str, float]


def run_timed(command: list[str], env: dict[str, str]) -> tuple[float, float, float | None, str]:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with GpuBusy() as gpu:
        t0 = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:4])}... failed ({done.returncode}):\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, gpu.mean, done.stdout


def run_reelsense(folder: Path, ckpt: Path, work: Path, cache: Path, engine: str = "local") -> Run:
    """`reelsense embed` into a fresh store. What a user's data folder keeps between runs is kept in the bench
    cache: librosa's JIT cache (a first run on a machine compiles it, about 20 CPU-s per process) and the CLIP
    text vectors of the zero-shot prompts (about 10 CPU-s on a CPU the first time)."""
    data = Path(tempfile.mkdtemp(dir=work))
    timings = data / "timings.json"
    env = {**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false",
           "REELSENSE_CLIP_MODEL": "ViT-B-32", "REELSENSE_CLIP_PRETRAINED": str(ckpt), "REELSENSE_DATA_DIR": str(data),
           "REELSENSE_NUMBA_CACHE_DIR": str(cache / "numba"), "REELSENSE_CACHE_DIR": str(cache / "reelsense")}
    command = [sys.executable, "-m", "service.cli", "embed", str(folder), "--quiet", "--timings", str(timings)]
    if engine == "ray":
        command += ["--engine", "ray", "--out", str(data / "shards")]
    wall, cpu, gpu, _ = run_timed(command, env)
    result = json.loads(timings.read_text())
    shutil.rmtree(data, ignore_errors=True)
    return Run(wall, cpu, gpu, result["stage_seconds"])


def run_peer(files: list[Path], ckpt: Path) -> Run:
    command = [sys.executable, str(REPO / "bench" / "user_pipeline.py"), "--checkpoint", str(ckpt),
               *map(str, files)]
    wall, cpu, gpu, out = run_timed(command, {**os.environ, "HF_HUB_OFFLINE": "1"})
    return Run(wall, cpu, gpu, json.loads(out.strip().splitlines()[-1])["stage_seconds"])


def _stages(seconds: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f}" for k, v in sorted(seconds.items()))


def _line(name: str, run: Run, videos: int, seconds_each: float) -> str:
    busy = f", GPU {run.gpu_busy:.1f}% busy" if run.gpu_busy is not None else ""
    return (f"  {name:<16} {run.wall_s:7.1f} s  {videos / run.wall_s:6.3f} videos/s  "
            f"{videos * seconds_each / run.wall_s:6.2f} video-seconds/s  {run.cpu_s / videos:5.2f} CPU-s/video{busy}"
            f"\n      stages: {_stages(run.stages)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--videos", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="A B pairs, alternated")
    parser.add_argument("--cache", default=str(BENCH_CACHE), help="clips, checkpoint and caches are kept here "
                        "between runs (default: $REELSENSE_BENCH_CACHE or ~/.cache/reelsense-bench)")
    parser.add_argument("--engine", choices=["local", "ray"], default="local",
                        help="ray: compare `reelsense embed --engine ray` with the local engine instead of the "
                             "user script")
    args = parser.parse_args()

    from clips import ClipSpec, ensure_clips

    cache = Path(args.cache)
    cache.mkdir(parents=True, exist_ok=True)
    spec = ClipSpec()
    files = ensure_clips(cache, args.videos, spec)
    ckpt = checkpoint(cache)
    import torch

    device = torch.cuda.get_device_name(0) if torch.cuda.is_available() else f"CPU, {os.cpu_count()} cores"
    print(f"{len(files)} clips of {spec.seconds:g} s {spec.width}x{spec.height} H.264+AAC; device: {device}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        folder, warm = work / "media", work / "warm"
        for target, chosen in ((folder, files), (warm, files[:1])):
            target.mkdir()
            for f in chosen:  # the clips and their sidecars, without the other cached clips
                for src in (f, f.with_suffix(".json")):
                    (target / src.name).symlink_to(src)
        run_reelsense(warm, ckpt, work, cache)  # untimed: fills librosa's JIT cache on a first run
        if args.engine == "ray":
            name_b, run_b = "B ray engine", lambda: run_reelsense(folder, ckpt, work, cache, "ray")
        else:
            name_b, run_b = "B user script", lambda: run_peer(files, ckpt)
        ours, others = [], []
        for round_ in range(args.rounds):
            ours.append(run_reelsense(folder, ckpt, work, cache))
            print(_line(f"A reelsense #{round_ + 1}", ours[-1], len(files), spec.seconds))
            others.append(run_b())
            print(_line(f"{name_b} #{round_ + 1}", others[-1], len(files), spec.seconds))
    verdict = _ray_verdict if args.engine == "ray" else _peer_verdict
    print(verdict(len(files) / statistics.median(r.wall_s for r in ours),
                  len(files) / statistics.median(r.wall_s for r in others), ours, others, torch.cuda.is_available()))


def _peer_verdict(a: float, b: float, ours: list[Run], peers: list[Run], cuda: bool) -> str:
    ratio = a / b
    cpu_ratio = statistics.median(r.cpu_s for r in peers) / statistics.median(r.cpu_s for r in ours)
    lines = [f"median: reelsense embed {a:.3f} videos/s, user script {b:.3f} videos/s, ratio {ratio:.2f}x "
             f"(CPU seconds per video: user script / reelsense = {cpu_ratio:.2f}x)"]
    if cuda:
        ok = a >= GPU_VIDEOS_TARGET and ratio >= GPU_RATIO_TARGET
        lines.append(f"target (GPU): >= {GPU_VIDEOS_TARGET:g} videos/s and >= {GPU_RATIO_TARGET:g}x: "
                     f"{'met' if ok else 'missed'}")
    else:
        lines.append(f"target (CPU): >= {CPU_RATIO_TARGET:g}x the user script: "
                     f"{'met' if ratio >= CPU_RATIO_TARGET else 'missed'}")
    return "\n".join(lines)


def _ray_verdict(local: float, ray: float, locals_: list[Run], rays: list[Run], cuda: bool) -> str:
    overhead = 1 - ray / local
    verdict = "met" if overhead <= RAY_OVERHEAD_TARGET else "missed"
    return (f"median: local engine {local:.3f} videos/s, ray engine {ray:.3f} videos/s: the ray engine is "
            f"{abs(overhead):.0%} {'slower' if overhead > 0 else 'faster'} (its CPU-s/video counts the driver only)\n"
            f"target: ray engine within {RAY_OVERHEAD_TARGET:.0%} of the local engine: {verdict}")


if __name__ == "__main__":
    main()
