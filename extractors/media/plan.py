"""Which video packets the "fast" decode mode decodes: keyframes always, other frames only on the way to a
sample time that no keyframe stands in for.

A keyframe decodes on its own, so it is the cheapest frame there is; any other frame needs its group of
pictures decoded from the keyframe before it. Sample times are only evenly spread points, so a keyframe
within half a sampling step of one serves it (each keyframe serves at most one time, so the number of
frames stays the same). For the remaining times the decoder runs from the keyframe before the time up to
it and then skips the rest of that group. Short-video uploads, with a keyframe every 1-2 s and one at
most cuts, need little beyond their keyframes; a file with 10 s groups costs about as much as a full decode.
"""
from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field

import av


@dataclass(frozen=True)
class PacketIndex:
    """Presentation times (seconds) of the video stream's keyframes, read from the container without decoding."""

    keyframes: list[float]
    packets: int


@dataclass
class SamplePlan:
    """For each sample time, the time of the frame to keep; for each group of pictures (by keyframe ordinal),
    the latest time the decoder must reach inside it (absent: keyframe only); and the keyframes that may
    start a shot after a stretch that was not decoded (see `cut_keyframes`)."""

    pick_times: list[float]
    decode_until: dict[int, float] = field(default_factory=dict)
    keyframe_served: int = 0
    cut_keyframes: list[float] = field(default_factory=list)

    def needs_decoding(self, group: int, reached: float, half_period: float) -> bool:
        """Whether a non-key packet of `group` must be decoded, given the latest frame time decoded so far."""
        until = self.decode_until.get(group)
        return until is not None and reached + half_period < until


def read_index(container: av.container.InputContainer) -> PacketIndex | None:
    """Keyframe times of the first video stream (one demux pass, no decoding, the container is left at its
    end); None when the container does not say which packets are keyframes or gives them no usable
    timestamps (the caller then decodes everything)."""
    stream = container.streams.video[0]
    keyframes: list[float] = []
    packets = 0
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        packets += 1
        if packet.is_keyframe:
            if packet.pts is None or (keyframes and packet.pts * stream.time_base <= keyframes[-1]):
                return None  # keyframe ordinals must follow time for the decode pass to match them up
            keyframes.append(float(packet.pts * stream.time_base))
    return PacketIndex(keyframes, packets) if keyframes else None


def plan_samples(keyframes: list[float], targets: list[float], tolerance: float) -> SamplePlan:
    """Give each sample time the nearest unused keyframe within `tolerance`, in time order; the others are
    decoded from the keyframe before them (groups are numbered by keyframe ordinal; -1 before the first)."""
    picks: list[float] = []
    used: set[int] = set()
    plan = SamplePlan([])
    for t in targets:
        lo = bisect.bisect_left(keyframes, t - tolerance - 1e-9)
        hi = bisect.bisect_right(keyframes, t + tolerance + 1e-9)
        free = [j for j in range(lo, hi) if j not in used]
        if free:
            j = min(free, key=lambda j: (abs(keyframes[j] - t), j))
            used.add(j)
            picks.append(keyframes[j])
            plan.keyframe_served += 1
            continue
        picks.append(t)
        group = bisect.bisect_right(keyframes, t + 1e-9) - 1
        plan.decode_until[group] = max(plan.decode_until.get(group, t), t)
    plan.pick_times = sorted(picks)
    return plan


def keyframe_cadence(keyframes: list[float], frame_period: float) -> float | None:
    """The encoder's regular keyframe interval: the most common interval between keyframes, when it occurs
    at least twice (a GOP length); None when the keyframes show no regular interval."""
    quantum = max(frame_period, 1e-3)
    steps = [round((b - a) / quantum) for a, b in itertools.pairwise(keyframes)]
    if not steps:
        return None
    best = max(set(steps), key=lambda s: (steps.count(s), s))
    return best * quantum if steps.count(best) >= 2 else None


def cut_keyframes(keyframes: list[float], frame_period: float) -> list[float] | None:
    """Keyframes the encoder placed off its regular cadence: where x264, and most encoders with scene-cut
    detection, start a new shot. A keyframe one cadence after an earlier keyframe is a periodic one.
    None when every keyframe is periodic (the encoder does not mark cuts, so only a full decode finds them)."""
    cadence = keyframe_cadence(keyframes, frame_period)
    if cadence is None:
        return list(keyframes)
    slack = frame_period / 2 + 1e-6
    found = [k for k in keyframes[1:] if not any(abs(k - cadence - e) <= slack for e in keyframes if e < k)]
    return found or None
