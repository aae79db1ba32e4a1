"""Realistic-enough 720p clips with audio for the throughput benches, generated with PyAV and cached.

Decoding cost depends on bitrate and GOP layout, so the clips are not flat colours: each shot pans over
a textured background with a moving shape and film grain (a few Mbit/s at 720p, like phone footage),
about half the shots carry a caption (so OCR has something to read), cuts fall every 2-6 s, and the
audio is a beat with a chord and some noise. H.264 (x264 `veryfast`, CRF 23, yuv420p, keyframe every
`gop_s` seconds plus x264's own scene-cut keyframes) and AAC in MP4 — the shape of a short-video upload.

The cache key holds every parameter, so changing one makes new files; nothing here is ever committed.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

CAPTIONS = ("SUMMER SALE 50% OFF", "TRY THIS AT HOME", "DAY 3 OF 30", "BEST PASTA EVER", "WAIT FOR IT",
            "NEW RECORD 5K RUN", "MY MORNING ROUTINE", "FOLLOW FOR PART 2")


@dataclass(frozen=True)
class ClipSpec:
    seconds: float = 30.0
    width: int = 1280
    height: int = 720
    fps: int = 30
    gop_s: float = 2.0  # regular keyframe interval; short-video uploads and streaming encodes use 1-2 s
    audio_rate: int = 44100
    scenecut: bool = True  # x264 puts a keyframe on cuts; False: fixed cadence, like many hardware encoders

    @property
    def key(self) -> str:
        cut = "" if self.scenecut else "_fixedgop"
        return f"{self.width}x{self.height}_{self.seconds:g}s_{self.fps}fps_gop{self.gop_s:g}{cut}"


def _texture(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """A colourful low-frequency texture with fine detail, larger than the frame so it can be panned over."""
    coarse = rng.integers(0, 256, (height // 40 + 2, width // 40 + 2, 3), dtype=np.uint8)
    smooth = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC)
    detail = rng.integers(-30, 30, (height // 4, width // 4, 3)).astype(np.int16)
    detail = cv2.resize(detail.astype(np.float32), (width, height), interpolation=cv2.INTER_NEAREST)
    return np.clip(smooth.astype(np.float32) + detail, 0, 255).astype(np.uint8)


def _shots(rng: np.random.Generator, seconds: float) -> list[float]:
    starts, t = [0.0], 0.0
    while True:
        t += float(rng.uniform(2.0, 6.0))
        if t >= seconds - 1.0:
            return starts
        starts.append(round(t, 2))


def _frames(spec: ClipSpec, rng: np.random.Generator, cuts: list[float]):
    """Yield RGB frames: per shot a pan over its texture, a moving disc, optional caption, film grain."""
    h, w = spec.height, spec.width
    grain = [rng.integers(-8, 9, (h, w, 3), dtype=np.int16) for _ in range(4)]
    shots = []
    for i, _start in enumerate(cuts):
        shots.append({
            "texture": _texture(rng, h + 200, w + 200),
            "velocity": rng.uniform(-60, 60, 2),  # pixels per second
            "colour": tuple(int(c) for c in rng.integers(0, 256, 3)),
            "caption": CAPTIONS[int(rng.integers(len(CAPTIONS)))] if i % 2 == 0 else None,
        })
    for n in range(int(spec.seconds * spec.fps)):
        t = n / spec.fps
        index = max(i for i, start in enumerate(cuts) if start <= t)
        shot, local = shots[index], t - cuts[index]
        dx, dy = (np.clip(100 + shot["velocity"] * local, 0, 200)).astype(int)
        frame = shot["texture"][dy : dy + h, dx : dx + w].copy()
        centre = (int(w / 2 + w / 3 * np.sin(local * 1.3)), int(h / 2 + h / 4 * np.cos(local * 0.9)))
        cv2.circle(frame, centre, h // 8, shot["colour"], -1)
        if shot["caption"]:
            cv2.rectangle(frame, (40, h - 150), (w - 40, h - 60), (20, 20, 20), -1)
            cv2.putText(frame, shot["caption"], (70, h - 85), cv2.FONT_HERSHEY_DUPLEX, 2.0, (255, 255, 255), 3)
        yield np.clip(frame.astype(np.int16) + grain[n % len(grain)], 0, 255).astype(np.uint8)


def _audio(spec: ClipSpec, rng: np.random.Generator) -> np.ndarray:
    """Stereo float32 [2, n]: a kick every beat, a sustained chord, light noise."""
    t = np.arange(int(spec.seconds * spec.audio_rate)) / spec.audio_rate
    bpm = float(rng.uniform(80, 140))
    phase = (t * bpm / 60.0) % 1.0
    kick = np.sin(2 * np.pi * 60 * t) * np.exp(-phase * 12)
    root = 220.0 * 2 ** (int(rng.integers(0, 12)) / 12)
    chord = sum(np.sin(2 * np.pi * root * r * t) for r in (1.0, 1.26, 1.5)) / 3
    mono = 0.5 * kick + 0.2 * chord + 0.02 * rng.standard_normal(t.size)
    return np.stack([mono, mono]).astype(np.float32)


def write_clip(path: Path, spec: ClipSpec, seed: int) -> list[float]:
    """Encode one clip; returns its true cut times (seconds)."""
    rng = np.random.default_rng(seed)
    cuts = _shots(rng, spec.seconds)
    tmp = path.with_suffix(".tmp.mp4")
    with av.open(str(tmp), "w") as container:
        video = container.add_stream("libx264", rate=spec.fps)
        video.width, video.height, video.pix_fmt = spec.width, spec.height, "yuv420p"
        video.options = {"preset": "veryfast", "crf": "23", "g": str(round(spec.gop_s * spec.fps)),
                         **({} if spec.scenecut else {"x264-params": "scenecut=0"})}
        audio = container.add_stream("aac", rate=spec.audio_rate)
        audio.layout = "stereo"
        for rgb in _frames(spec, rng, cuts):
            for packet in video.encode(av.VideoFrame.from_ndarray(rgb, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        samples = _audio(spec, rng)
        chunk = 1024
        for start in range(0, samples.shape[1], chunk):
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, start : start + chunk]),
                                               format="fltp", layout="stereo")
            frame.sample_rate, frame.pts, frame.time_base = spec.audio_rate, start, Fraction(1, spec.audio_rate)
            for packet in audio.encode(frame):
                container.mux(packet)
        for packet in audio.encode():
            container.mux(packet)
    tmp.replace(path)
    return cuts


def ensure_clips(cache: Path, count: int, spec: ClipSpec = ClipSpec()) -> list[Path]:
    """`count` clips in `cache`/<spec key>/ (made once, reused by later runs), each with a sidecar."""
    folder = cache / spec.key
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        path = folder / f"clip_{i:03d}.mp4"
        sidecar = path.with_suffix(".json")
        if not (path.is_file() and sidecar.is_file()):
            cuts = write_clip(path, spec, seed=1000 + i)
            sidecar.write_text(json.dumps({
                "title": f"Bench clip {i}", "description": "Generated for the throughput bench.",
                "hashtags": ["#bench"], "generated": {**asdict(spec), "cuts": cuts},
            }))
        paths.append(path)
    return paths
