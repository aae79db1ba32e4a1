"""Limits held on what is decoded, not on what the header claims.

A container may declare no duration (an MKV written without one), or a wrong one, and a stream may hold more
or larger frames than its parameters say. `measure_duration` finds the length of a file that declares none
from its packets (demuxing only, stopping at the limit); `DecodeBudget` is charged with every decoded frame and
stops the decode the moment a limit is passed: duration, number of frames, number of pixels. (Frames larger than
`max_pixels` never reach it: the decoder refuses them before allocating, see `probing.decoder_options`.)
"""
from __future__ import annotations

import av

from extractors.errors import MediaError
from extractors.media.types import MediaLimits

SLACK_S = 1.0  # a last frame this far past the duration limit is still the clip's end, not a longer clip


class DecodeBudget:
    """What one decode may still spend; `charge_video` / `charge_audio` raise MediaError once it is spent."""

    def __init__(self, name: str, limits: MediaLimits):
        self.name, self.limits = name, limits
        self.frames = 0
        self.pixels = 0

    def charge_video(self, frame: av.VideoFrame) -> None:
        self.charge(frame.width, frame.height, frame.time)

    def charge(self, width: int, height: int, time: float | None) -> None:
        """One decoded video frame of this size shown at `time` (PyAV's frames, and NVDEC's: nvdec.py)."""
        self.frames += 1
        self.pixels += width * height
        self._check_time(time)
        if self.frames > self.limits.frame_budget:
            raise MediaError("too_many_frames", f"{self.name} holds more than {self.limits.frame_budget} video "
                                                f"frames within the duration limit; decoding stopped")
        if self.pixels > self.limits.pixel_budget:
            raise MediaError("too_many_frames", f"{self.name} holds more than {self.limits.pixel_budget:.3g} "
                                                f"pixels of video; decoding stopped")

    def charge_audio(self, frame: av.AudioFrame) -> None:
        self._check_time(frame.time)

    def _check_time(self, t: float | None) -> None:
        if t is not None and t > self.limits.max_duration_s + SLACK_S:
            raise too_long(self.name, self.limits, f"its frames run past {self.limits.max_duration_s:.0f} s")


def too_long(name: str, limits: MediaLimits, why: str) -> MediaError:
    return MediaError("too_long", f"{name} lasts longer than the limit of {limits.max_duration_s:.0f} s ({why})")


def measure_duration(container: av.container.InputContainer, name: str, limits: MediaLimits) -> float:
    """Seconds from the first to the end of the last video packet, read without decoding; stops and refuses
    (too_long, too_many_frames) as soon as the packets pass the limits. The container is left at its end."""
    stream = container.streams.video[0]
    base = stream.time_base
    start: float | None = None
    end = 0.0
    packets = 0
    for packet in container.demux(stream):
        if packet.pts is None or not packet.size:
            continue
        packets += 1
        shown = float(packet.pts * base)
        start = shown if start is None else min(start, shown)
        end = max(end, shown + float((packet.duration or 0) * base))
        if end - start > limits.max_duration_s + SLACK_S:
            raise too_long(name, limits, f"it declares no duration and its packets run past "
                                         f"{limits.max_duration_s:.0f} s")
        if packets > limits.frame_budget:
            raise MediaError("too_many_frames", f"{name} holds more than {limits.frame_budget} video frames")
    return max(0.0, end - (start or 0.0))
