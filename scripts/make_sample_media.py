"""Generate the bundled sample clips in sample_media/ (deterministic; run again to rebuild).

Each clip is built so that its modalities differ in known ways (colour, motion, cuts, tempo, key,
mode, silence, speech, no audio stream); the sidecar NAME.json holds title, description, hashtags
and a `generated` block recording how the clip was made, so tests can check what the extractors see.

    python scripts/make_sample_media.py [OUT_DIR]
"""
from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FPS, SR = 240, 424, 24, 44100
NOTE = {"C": 0, "C#": 1, "D": 2, "D#": 3, "E": 4, "F": 5, "F#": 6, "G": 7, "G#": 8, "A": 9, "A#": 10, "B": 11}


@dataclass
class Clip:
    name: str
    title: str
    description: str
    hashtags: list[str]
    seconds: float
    palette: tuple[tuple[int, int, int], ...]  # RGB colours the picture is made of
    motion: str  # "still", "slow", "fast"
    cut_every_s: float | None  # hard cuts between palette colours
    audio: str  # "music", "silence", "speech", "none"
    bpm: float = 0.0
    key: str = "C"
    mode: str = "major"
    overlay_text: str | None = None
    extra: dict = field(default_factory=dict)


CLIPS = [
    Clip("sunset_beach", "Golden hour at the beach", "Slow waves and a warm sunset on the coast, the calmest five minutes of my trip.",
         ["#sunset", "#beach", "#travel", "#goldenhour"], 7.0, ((255, 140, 40), (250, 90, 60), (255, 200, 120)),
         "slow", None, "music", bpm=72, key="C", mode="major"),
    Clip("gym_workout", "Leg day HIIT in 6 minutes", "High intensity interval training for your legs, no equipment, go hard!",
         ["#fitness", "#gym", "#workout", "#legday"], 6.0, ((200, 20, 20), (20, 20, 20), (240, 240, 240)),
         "fast", 0.5, "music", bpm=150, key="A", mode="minor"),
    Clip("pasta_recipe", "15 minute garlic pasta", "Quick weeknight pasta recipe with garlic, olive oil, chilli and parmesan.",
         ["#food", "#recipe", "#pasta", "#easyrecipes"], 6.0, ((250, 215, 60), (90, 160, 60), (245, 240, 220)),
         "slow", 2.0, "music", bpm=100, key="G", mode="major", overlay_text="PASTA"),
    Clip("rainy_study", "Lofi beats for a rainy study night", "Dark rainy window, lofi music, two hours of focus for exams.",
         ["#lofi", "#study", "#rain", "#studywithme"], 7.0, ((20, 30, 80), (40, 60, 120), (10, 15, 40)),
         "still", None, "music", bpm=84, key="D", mode="minor"),
    Clip("forest_timelapse", "Silent forest timelapse", "Clouds over a green forest valley, no music, just the view.",
         ["#nature", "#timelapse", "#forest"], 6.0, ((30, 140, 50), (120, 200, 90), (170, 210, 240)),
         "slow", None, "silence"),
    Clip("cat_zoomies", "My cat has the zoomies again", "Grey kitten running laps around the living room at 3am.",
         ["#cat", "#pets", "#catsoftiktok", "#cute"], 5.0, ((200, 200, 200), (120, 120, 125), (240, 230, 210)),
         "fast", None, "none"),
    Clip("dance_party", "Friday night dance challenge", "Learn the new dance challenge in 30 seconds, party mode on.",
         ["#dance", "#dancechallenge", "#party", "#music"], 6.0, ((230, 30, 200), (40, 220, 230), (250, 240, 40), (80, 40, 220)),
         "fast", 0.75, "music", bpm=124, key="E", mode="major"),
    Clip("phone_review", "Honest review of the new phone", "I used this smartphone for a week: camera, battery and screen, the good and the bad.",
         ["#tech", "#review", "#smartphone", "#unboxing"], 6.0, ((60, 60, 70), (150, 150, 160), (20, 20, 25)),
         "still", 3.0, "speech"),
]


def render_frame(clip: Clip, t: float) -> np.ndarray:
    """One RGB frame: palette colour blocks whose layout moves with the clip's motion setting."""
    colours = np.array(clip.palette, dtype=np.float32)
    index = int(t // clip.cut_every_s) % len(colours) if clip.cut_every_s else 0
    base, accent = colours[index], colours[(index + 1) % len(colours)]
    speed = {"still": 0.0, "slow": 12.0, "fast": 90.0}[clip.motion]
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    wave = 0.5 + 0.5 * np.sin((y + speed * t) / 37.0 + np.sin((x - speed * t) / 53.0))
    img = base[None, None, :] * (0.75 + 0.25 * wave[..., None])
    # A moving disc gives measurable motion and something for the eye to follow.
    cx = WIDTH / 2 + (WIDTH / 3) * np.sin(2 * np.pi * t * speed / 120.0)
    cy = HEIGHT / 2 + (HEIGHT / 4) * np.cos(2 * np.pi * t * speed / 150.0)
    disc = ((x - cx) ** 2 + (y - cy) ** 2) < (WIDTH / 6) ** 2
    img[disc] = accent
    frame = np.clip(img, 0, 255).astype(np.uint8)
    if clip.overlay_text:
        cv2.putText(frame, clip.overlay_text, (22, 90), cv2.FONT_HERSHEY_DUPLEX, 1.7, (20, 20, 20), 4, cv2.LINE_AA)
    return frame


def _tone(freq: float, n: int, decay: float) -> np.ndarray:
    t = np.arange(n) / SR
    return np.sin(2 * np.pi * freq * t) * np.exp(-t * decay)


def music(clip: Clip, rng: np.random.Generator) -> np.ndarray:
    """Kick on every beat, hi-hat off-beat, and the tonic triad (major or minor) as a pad."""
    n = int(clip.seconds * SR)
    out = np.zeros(n, np.float32)
    root = 220.0 * 2 ** ((NOTE[clip.key] - 9) / 12)  # the key's tonic in the octave around A3
    third = 4 if clip.mode == "major" else 3
    pad = sum(_tone(root * 2 ** (s / 12), n, 0.0) for s in (0, third, 7, 12)) * 0.08
    out += pad.astype(np.float32)
    beat = 60.0 / clip.bpm
    kick_len = int(0.15 * SR)
    t_kick = np.arange(kick_len) / SR
    kick = (np.sin(2 * np.pi * 60 * t_kick) * np.exp(-t_kick * 25)).astype(np.float32)
    hat_len = int(0.04 * SR)
    for i in range(int(clip.seconds / beat) + 1):
        start = int(i * beat * SR)
        seg = out[start : start + kick_len]
        seg += 0.9 * kick[: seg.size]
        off = int((i + 0.5) * beat * SR)
        hat = rng.standard_normal(hat_len).astype(np.float32) * np.exp(-np.arange(hat_len) / SR * 90) * 0.15
        seg = out[off : off + hat_len]
        seg += hat[: seg.size]
    return out / max(1.0, float(np.abs(out).max()) / 0.9)


def speech_like(clip: Clip, rng: np.random.Generator) -> np.ndarray:
    """Syllable-rate (about 4 Hz) bursts of a voiced, formant-shaped source with pauses: speech-like."""
    n = int(clip.seconds * SR)
    t = np.arange(n) / SR
    f0 = 130 + 25 * np.sin(2 * np.pi * 0.7 * t)
    source = np.sign(np.sin(2 * np.pi * np.cumsum(f0) / SR)) * 0.3 + 0.05 * rng.standard_normal(n)
    envelope = np.clip(np.sin(2 * np.pi * 4.0 * t), 0, None) ** 0.6
    envelope *= (np.sin(2 * np.pi * 0.35 * t) > -0.6)  # pauses between phrases
    spectrum = np.fft.rfft(source * envelope)
    freqs = np.fft.rfftfreq(n, 1 / SR)
    formants = sum(np.exp(-((freqs - f) / 120.0) ** 2) for f in (500, 1500, 2500))
    voice = np.fft.irfft(spectrum * (0.2 + formants), n)
    return (voice / np.abs(voice).max() * 0.7).astype(np.float32)


def audio_for(clip: Clip, rng: np.random.Generator) -> np.ndarray | None:
    if clip.audio == "none":
        return None
    if clip.audio == "silence":
        return np.zeros(int(clip.seconds * SR), np.float32)
    return music(clip, rng) if clip.audio == "music" else speech_like(clip, rng)


def write_clip(clip: Clip, out_dir: Path) -> Path:
    rng = np.random.default_rng(sum(map(ord, clip.name)))
    path = out_dir / f"{clip.name}.mp4"
    with av.open(str(path), mode="w", format="mp4") as container:
        vs = container.add_stream("libx264", rate=FPS)
        vs.width, vs.height, vs.pix_fmt = WIDTH, HEIGHT, "yuv420p"
        vs.options = {"crf": "30", "preset": "medium"}
        samples = audio_for(clip, rng)
        aus = None
        if samples is not None:
            aus = container.add_stream("aac", rate=SR)
            aus.layout = "mono"
            aus.bit_rate = 48000
        for i in range(int(clip.seconds * FPS)):
            frame = av.VideoFrame.from_ndarray(render_frame(clip, i / FPS), format="rgb24")
            for packet in vs.encode(frame):
                container.mux(packet)
        for packet in vs.encode():
            container.mux(packet)
        if aus is not None:
            step = 1024
            for start in range(0, samples.size, step):
                chunk = samples[start : start + step]
                frame = av.AudioFrame.from_ndarray(chunk[None, :], format="fltp", layout="mono")
                frame.sample_rate = SR
                frame.pts = start
                frame.time_base = Fraction(1, SR)
                for packet in aus.encode(frame):
                    container.mux(packet)
            for packet in aus.encode():
                container.mux(packet)
    sidecar = {
        "title": clip.title,
        "description": clip.description,
        "hashtags": clip.hashtags,
        "generated": {
            "palette_rgb": [list(c) for c in clip.palette],
            "motion": clip.motion,
            "cut_every_s": clip.cut_every_s,
            "audio": clip.audio,
            "bpm": clip.bpm or None,
            "key": clip.key if clip.audio == "music" else None,
            "mode": clip.mode if clip.audio == "music" else None,
            "overlay_text": clip.overlay_text,
            "seconds": clip.seconds,
        },
    }
    (out_dir / f"{clip.name}.json").write_text(json.dumps(sidecar, indent=2) + "\n")
    return path


def main(argv: list[str]) -> None:
    out_dir = Path(argv[1]) if len(argv) > 1 else Path(__file__).resolve().parent.parent / "sample_media"
    out_dir.mkdir(parents=True, exist_ok=True)
    total = 0
    for clip in CLIPS:
        path = write_clip(clip, out_dir)
        total += path.stat().st_size
        print(f"{path.name}: {path.stat().st_size / 1024:.0f} KiB")
    print(f"total {total / 1024:.0f} KiB")


if __name__ == "__main__":
    main(sys.argv)
