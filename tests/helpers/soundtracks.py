"""Music, pictures and re-encoded copies generated in code, for the same-sound and duplicate tests and the bench.

`track(seed)` is a short song: drums on a fixed pattern, a bass line and a melody drawn from the key's scale by
the seed, so two seeds give different songs at the same tempo and in the same key. `write_video` puts a track
under a picture; `transcode` makes the copies a re-uploader would: re-encoded at another bitrate, quieter,
downscaled, letterboxed or trimmed.
"""
from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

SR = 22050
NOTE = {"C": 0, "C#": 1, "D": 2, "D#": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "G#": 8, "A": 9, "A#": 10, "B": 11}
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
PALETTE = ((235, 90, 60), (250, 200, 80), (40, 60, 140), (240, 240, 230))


def _note(freq: float, n: int, sr: int, harmonics=(1.0, 0.5, 0.25), decay: float = 3.0) -> np.ndarray:
    t = np.arange(n) / sr
    wave = sum(a * np.sin(2 * np.pi * freq * (h + 1) * t) for h, a in enumerate(harmonics))
    attack = np.minimum(1.0, t / 0.01)
    return wave * attack * np.exp(-t * decay)


def _drums(n: int, sr: int, bpm: float) -> np.ndarray:
    """Kick on every beat, a noise snare on beats 2 and 4, the same for every seed."""
    out = np.zeros(n)
    rng = np.random.default_rng(12345)
    beat = 60.0 / bpm
    kick_t = np.arange(int(0.12 * sr)) / sr
    kick = np.sin(2 * np.pi * (50 + 60 * np.exp(-kick_t * 30)) * kick_t) * np.exp(-kick_t * 22)
    snare = rng.standard_normal(int(0.1 * sr)) * np.exp(-np.arange(int(0.1 * sr)) / sr * 35) * 0.3
    for i in range(int(n / sr / beat) + 1):
        start = int(i * beat * sr)
        seg = out[start : start + kick.size]
        seg += kick[: seg.size] * 0.8
        if i % 2 == 1:
            seg = out[start : start + snare.size]
            seg += snare[: seg.size]
    return out


def track(seed: int, seconds: float = 12.0, bpm: float = 120.0, key: str = "A", mode: str = "minor",
          sr: int = SR) -> np.ndarray:
    """A song of `seconds`: drums, a bass note per bar and an eighth-note melody, both drawn by `seed`."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    out = _drums(n, sr, bpm)
    scale = SCALES[mode]
    tonic = 220.0 * 2 ** ((NOTE[key] - 9) / 12)
    eighth = 30.0 / bpm
    bar = 8 * eighth
    for b in range(int(seconds / bar) + 1):
        degree = int(rng.integers(0, 7))
        start = int(b * bar * sr)
        tone = _note(tonic / 2 * 2 ** (scale[degree] / 12), int(bar * sr), sr, (1.0, 0.3), decay=1.5) * 0.35
        seg = out[start : start + tone.size]
        seg += tone[: seg.size]
    for e in range(int(seconds / eighth) + 1):
        if rng.random() < 0.2:  # a rest
            continue
        degree, octave = int(rng.integers(0, 7)), int(rng.integers(0, 2))
        freq = tonic * 2 ** (octave + scale[degree] / 12)
        start = int(e * eighth * sr)
        tone = _note(freq, int(eighth * sr * 1.5), sr) * 0.25
        seg = out[start : start + tone.size]
        seg += tone[: seg.size]
    return (out / np.abs(out).max() * 0.8).astype(np.float32)


def picture(seed: int, palette=PALETTE) -> Callable[[float, int, int], np.ndarray]:
    """A moving picture drawn by `seed` from `palette`: a gradient and a few drifting blocks."""
    rng = np.random.default_rng(seed)
    colours = np.array(palette, np.float32)
    blocks = [(rng.uniform(0, 1, 2), rng.uniform(0.15, 0.4, 2), rng.uniform(-0.08, 0.08, 2), colours[i % len(colours)])
              for i in range(int(rng.integers(3, 6)))]
    angle = rng.uniform(0, 2 * np.pi)

    def frame(t: float, width: int, height: int) -> np.ndarray:
        y, x = np.mgrid[0:height, 0:width].astype(np.float32)
        ramp = (np.cos(angle) * x / width + np.sin(angle) * y / height + 0.05 * t) % 1.0
        img = colours[0] * (0.4 + 0.6 * ramp[..., None])
        for (cx, cy), (w, h), (vx, vy), colour in blocks:
            px, py = (cx + vx * t) % 1.0, (cy + vy * t) % 1.0
            inside = (np.abs(x / width - px) < w / 2) & (np.abs(y / height - py) < h / 2)
            img[inside] = colour
        return np.clip(img, 0, 255).astype(np.uint8)

    return frame


def write_video(path: Path, seconds: float, audio: np.ndarray | None, draw=None, size=(144, 256), fps: int = 10,
                audio_bitrate: int = 96000, sr: int = SR) -> Path:
    """An MP4 (H.264 + AAC) of `seconds`: `draw(t, width, height)` frames under the `audio` samples."""
    draw = draw or picture(0)
    width, height = size
    with av.open(str(path), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "23", "preset": "veryfast"}
        sound = _audio_stream(container, audio_bitrate, sr) if audio is not None else None
        for i in range(int(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(draw(i / fps, width, height), format="rgb24")
            for packet in video.encode(frame):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            _encode_audio(container, sound, audio[: int(seconds * sr)], sr)
    return path


def _audio_stream(container, bitrate: int, sr: int):
    stream = container.add_stream("aac", rate=sr)
    stream.layout = "mono"
    stream.bit_rate = bitrate
    return stream


def _encode_audio(container, stream, samples: np.ndarray, sr: int) -> None:
    for start in range(0, samples.size, 1024):
        frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[None, start : start + 1024], np.float32),
                                           format="fltp", layout="mono")
        frame.sample_rate, frame.pts, frame.time_base = sr, start, Fraction(1, sr)
        for packet in stream.encode(frame):
            container.mux(packet)
    for packet in stream.encode():
        container.mux(packet)


def read_video(path: Path, sr: int = SR) -> tuple[list[np.ndarray], float, np.ndarray | None]:
    """Every RGB frame, the frame rate and the mono audio at `sr` of a file."""
    frames, chunks = [], []
    with av.open(str(path)) as container:
        fps = float(container.streams.video[0].average_rate or 10)
        resampler = av.AudioResampler(format="flt", layout="mono", rate=sr) if container.streams.audio else None
        for frame in container.decode(*container.streams):
            if isinstance(frame, av.VideoFrame):
                frames.append(frame.to_ndarray(format="rgb24"))
            else:
                chunks += [c.to_ndarray().reshape(-1) for c in resampler.resample(frame)]
        if resampler is not None:
            chunks += [c.to_ndarray().reshape(-1) for c in resampler.resample(None)]
    return frames, fps, (np.concatenate(chunks).astype(np.float32) if chunks else None)


def transcode(src: Path, dst: Path, *, scale: float = 1.0, trim_s: float = 0.0, audio_bitrate: int = 96000,
              volume: float = 1.0, letterbox: tuple[int, int] | None = None, crf: int = 30) -> Path:
    """A re-uploaded copy of `src`: the first `trim_s` seconds cut, the picture scaled by `scale` (and padded
    with black bars to `letterbox` = (width, height) when given), re-encoded, the sound at `volume`."""
    frames, fps, audio = read_video(src)
    first = round(trim_s * fps)
    frames = frames[first:]
    height, width = frames[0].shape[:2]
    w, h = max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)
    out_w, out_h = letterbox or (w, h)
    with av.open(str(dst), "w", format="mp4") as container:
        video = container.add_stream("libx264", rate=round(fps))
        video.width, video.height, video.pix_fmt = out_w, out_h, "yuv420p"
        video.options = {"crf": str(crf), "preset": "veryfast"}
        sound = _audio_stream(container, audio_bitrate, SR) if audio is not None else None
        for rgb in frames:
            small = av.VideoFrame.from_ndarray(rgb, format="rgb24").reformat(width=w, height=h).to_ndarray(
                format="rgb24")
            canvas = np.zeros((out_h, out_w, 3), np.uint8)
            top, left = (out_h - h) // 2, (out_w - w) // 2
            canvas[top : top + h, left : left + w] = small
            for packet in video.encode(av.VideoFrame.from_ndarray(canvas, format="rgb24")):
                container.mux(packet)
        for packet in video.encode():
            container.mux(packet)
        if sound is not None:
            _encode_audio(container, sound, audio[int(first / fps * SR):] * volume, SR)
    return dst


SCHEME = ((30, 110, 60), (200, 230, 120), (20, 40, 30), (240, 250, 220))  # one colour scheme for two clips
# name -> which song each clip's audio is, so tests and the bench know the true same-sound pairs
SOUND_OF = {"song_full": "A", "song_later": "A", "song_excerpt": "A", "song_low_bitrate": "A",
            "song_half_volume": "A", "song_again": "A", "other_song": "B", "clip": "C", "clip_copy": "C",
            "clip_letterbox": "C", "scheme_1": "D", "scheme_2": "D"}
# the order the clips are stored in by the tests: originals before their copies, so a sound's first use defines it
STORE_ORDER = ("song_full", "song_later", "song_excerpt", "song_low_bitrate", "song_half_volume", "other_song", "clip",
               "clip_copy", "clip_letterbox", "scheme_1", "scheme_2", "song_again")
COPIES = {"song_low_bitrate": "song_later", "song_half_volume": "song_later", "clip_copy": "clip",
          "clip_letterbox": "clip"}  # copy -> original: the true duplicate pairs


def make_sound_clips(folder: Path) -> dict[str, Path]:
    """The clips of SOUND_OF: song A (30 s) under four pictures (two of them 10 s excerpts), re-encoded at a third
    of the bitrate and at half volume; song B at A's tempo and key; a clip with a downscaled, 2 s-trimmed copy and a
    letterboxed copy; two different pictures in one colour scheme over one song."""
    folder.mkdir(parents=True, exist_ok=True)
    song_a, song_d = track(1, 30.0), track(4, 8.0)
    paths = {
        "song_full": write_video(folder / "song_full.mp4", 30.0, song_a, picture(1)),
        "song_later": write_video(folder / "song_later.mp4", 12.0, song_a[int(2.5 * SR):], picture(2)),
        "song_excerpt": write_video(folder / "song_excerpt.mp4", 10.0, song_a[int(12.0 * SR):], picture(3)),
        "song_again": write_video(folder / "song_again.mp4", 10.0, song_a[int(5.0 * SR):], picture(8)),
        "other_song": write_video(folder / "other_song.mp4", 12.0, track(2, 12.0), picture(4)),
        "clip": write_video(folder / "clip.mp4", 8.0, track(3, 8.0), picture(5)),
        "scheme_1": write_video(folder / "scheme_1.mp4", 8.0, song_d, picture(6, SCHEME)),
        "scheme_2": write_video(folder / "scheme_2.mp4", 8.0, song_d, picture(7, SCHEME)),
    }
    paths["song_low_bitrate"] = transcode(paths["song_later"], folder / "song_low_bitrate.mp4", audio_bitrate=32000)
    paths["song_half_volume"] = transcode(paths["song_later"], folder / "song_half_volume.mp4", volume=0.5)
    paths["clip_copy"] = transcode(paths["clip"], folder / "clip_copy.mp4", scale=0.5, trim_s=2.0,
                                   audio_bitrate=32000)
    paths["clip_letterbox"] = transcode(paths["clip"], folder / "clip_letterbox.mp4", scale=0.5,
                                        letterbox=(144, 144))
    return paths
