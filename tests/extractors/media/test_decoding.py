"""Decoding real files, and a stable error code for each kind of bad input."""
from __future__ import annotations

import numpy as np
import pytest

from extractors.media import MediaError, MediaLimits, SamplingOptions, decode, probe
from tests.helpers import SAMPLE_MEDIA, sidecar


def test_probe_reads_sample_metadata():
    info = probe(SAMPLE_MEDIA / "gym_workout.mp4")
    assert (info.width, info.height) == (240, 424)
    assert info.video_codec == "h264" and info.audio_codec == "aac" and info.has_audio
    assert info.duration_s == pytest.approx(sidecar("gym_workout")["generated"]["seconds"], abs=0.1)
    assert info.fps == pytest.approx(24, abs=0.1)


def test_decode_samples_frames_by_timestamp_and_mono_audio():
    media = decode(SAMPLE_MEDIA / "sunset_beach.mp4", options=SamplingOptions(frames_per_second=1.0, max_frames=32))
    assert len(media.frames) == 7  # 7 s clip, one per second
    assert all(f.dtype == np.uint8 and f.shape[2] == 3 for f in media.frames)
    assert media.frame_times == sorted(media.frame_times)
    assert abs(media.frame_times[0] - 0.5) < 0.05
    assert media.audio.dtype == np.float32 and media.audio.ndim == 1
    assert media.audio.size / media.sample_rate == pytest.approx(7.0, abs=0.1)
    # The sunset palette is warm: red clearly above blue.
    mean = np.mean([f.reshape(-1, 3).mean(axis=0) for f in media.frames], axis=0)
    assert mean[0] > mean[2] + 60


def test_clip_without_audio_stream_has_no_audio():
    media = decode(SAMPLE_MEDIA / "cat_zoomies.mp4")
    assert media.audio is None and not media.info.has_audio


def test_rotated_clip_is_turned_upright(tmp_path):
    import av

    path = tmp_path / "rotated.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 32, "yuv420p"
        stream.set_display_rotation(90)
        for _ in range(10):
            frame = np.zeros((32, 64, 3), np.uint8)
            frame[:, :16] = 255  # white bar at the left of the stored picture
            for packet in stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    media = decode(path)
    upright = media.frames[0]
    assert media.info.rotation == 90
    assert upright.shape[:2] == (64, 32)  # portrait after turning
    # Turned 90 degrees counter-clockwise, the left bar ends up at the bottom.
    assert upright[-8:].mean() > 200 and upright[:8].mean() < 50


@pytest.mark.parametrize(
    "name, content, code",
    [
        ("empty.mp4", b"", "empty_file"),
        ("random.mp4", np.random.default_rng(0).bytes(50_000), "not_media"),
        ("notes.mp4", b"this is a text file, not a video\n" * 100, "not_media"),
    ],
)
def test_bad_bytes_give_stable_codes(tmp_path, name, content, code):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(MediaError) as err:
        decode(path)
    assert err.value.code == code and err.value.message


def test_truncated_mp4_is_corrupt(tmp_path):
    data = (SAMPLE_MEDIA / "pasta_recipe.mp4").read_bytes()
    path = tmp_path / "truncated.mp4"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(MediaError) as err:
        decode(path)
    assert err.value.code == "corrupt"


def test_missing_file_and_limits(tmp_path):
    with pytest.raises(MediaError) as err:
        probe(tmp_path / "nope.mp4")
    assert err.value.code == "not_found"
    clip = SAMPLE_MEDIA / "dance_party.mp4"
    for limits, code in [
        (MediaLimits(max_bytes=1000), "too_large"),
        (MediaLimits(max_duration_s=2.0), "too_long"),
        (MediaLimits(max_pixels=100 * 100), "resolution_too_high"),
    ]:
        with pytest.raises(MediaError) as err:
            probe(clip, limits)
        assert err.value.code == code


def test_audio_only_file_has_no_video_stream(tmp_path):
    import av

    path = tmp_path / "voice.m4a"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=22050)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
        frame.sample_rate = 22050
        for packet in list(stream.encode(frame)) + list(stream.encode()):
            container.mux(packet)
    with pytest.raises(MediaError) as err:
        probe(path)
    assert err.value.code == "no_video_stream"


def test_playlists_and_other_demuxers_are_refused_before_ffmpeg_reads_them(tmp_path):
    """An HLS playlist named .mp4 must never make FFmpeg open the files or URLs it lists."""
    secret = tmp_path / "secret.ts"
    secret.write_bytes((SAMPLE_MEDIA / "gym_workout.mp4").read_bytes())
    playlist = tmp_path / "clip.mp4"
    playlist.write_text(f"#EXTM3U\n#EXT-X-TARGETDURATION:6\n#EXTINF:6.0,\n{secret}\n"
                        "#EXTINF:6.0,\nhttp://127.0.0.1:9/seg.ts\n#EXT-X-ENDLIST\n")
    with pytest.raises(MediaError) as err:
        decode(playlist)
    assert err.value.code == "not_media"
    wav = tmp_path / "tone.mp4"  # RIFF like AVI, but FFmpeg's wav demuxer: not a video container we accept
    import soundfile

    soundfile.write(wav, np.zeros(22050, np.float32), 22050, format="WAV")
    with pytest.raises(MediaError) as err:
        probe(wav)
    assert err.value.code == "not_media"  # RIFF without "AVI " is refused from its bytes, before FFmpeg
