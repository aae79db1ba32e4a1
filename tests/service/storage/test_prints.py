"""Sound ids, matched offsets and re-upload detection through the real analyzer and store, on generated clips
(tests/helpers/soundtracks.py) and the sample media."""
from __future__ import annotations

import pytest

from service.storage import Store
from tests.helpers.soundtracks import STORE_ORDER


@pytest.fixture(scope="module")
def stored(sound_records, tmp_path_factory):
    """Every generated clip added in order; yields (store, name -> record as stored)."""
    store = Store(tmp_path_factory.mktemp("prints") / "store.db")
    records = {}
    for name, record in zip(STORE_ORDER, sound_records, strict=True):
        assert store.add(record)
        records[name] = store.get(record.id)
    yield store, records
    store.close()


def sound_id(records, name: str) -> str:
    return records[name].sound["sound_id"]


def test_the_first_video_of_a_sound_defines_its_id(stored):
    _, records = stored
    assert records["song_full"].sound == {"sound_id": records["song_full"].id[:16], "offset_s": 0.0,
                                          "matched_video_id": None}


def test_one_track_under_two_pictures_is_one_sound(stored):
    _, records = stored
    assert sound_id(records, "song_later") == sound_id(records, "song_full")


def test_the_matched_offset_is_where_the_second_video_starts_in_the_track(stored):
    _, records = stored
    assert records["song_later"].sound["offset_s"] == pytest.approx(2.5, abs=0.1)


def test_a_ten_second_excerpt_is_the_same_sound_at_its_position(stored):
    _, records = stored
    assert sound_id(records, "song_excerpt") == sound_id(records, "song_full")
    assert records["song_excerpt"].sound["offset_s"] == pytest.approx(12.0, abs=0.1)


@pytest.mark.parametrize("copy", ["song_low_bitrate", "song_half_volume"])
def test_a_third_of_the_bitrate_or_half_the_volume_is_the_same_sound(stored, copy):
    _, records = stored
    assert sound_id(records, copy) == sound_id(records, "song_full")


def test_a_different_song_at_the_same_tempo_and_key_is_another_sound(stored):
    _, records = stored
    assert sound_id(records, "other_song") != sound_id(records, "song_full")


def test_a_downscaled_reencoded_trimmed_copy_is_a_duplicate_of_the_original(stored):
    _, records = stored
    assert records["clip_copy"].duplicate_of == records["clip"].id


def test_a_letterboxed_copy_is_a_duplicate_of_the_original(stored):
    _, records = stored
    assert records["clip_letterbox"].duplicate_of == records["clip"].id


def test_copies_of_a_copy_point_at_the_first_original(stored):
    _, records = stored
    assert records["song_half_volume"].duplicate_of == records["song_later"].id


def test_two_clips_of_one_colour_scheme_over_one_song_are_not_duplicates(stored):
    _, records = stored
    assert records["scheme_2"].duplicate_of is None
    assert sound_id(records, "scheme_2") == sound_id(records, "scheme_1")


def test_the_same_song_under_another_picture_is_not_a_duplicate(stored):
    _, records = stored
    assert records["song_later"].duplicate_of is None


def test_same_sound_lists_the_other_videos_with_their_offsets(stored):
    store, records = stored
    link, items = store.same_sound(records["song_later"].id)
    offsets = {item["video_id"]: item["offset_s"] for item in items}
    assert link["sound_id"] == sound_id(records, "song_full")
    assert offsets[records["song_full"].id] == pytest.approx(-2.5, abs=0.1)
    assert offsets[records["song_excerpt"].id] == pytest.approx(9.5, abs=0.1)
    assert records["other_song"].id not in offsets


def test_duplicate_groups_list_each_original_with_its_copies(stored):
    store, records = stored
    groups = {g["original"]: [c["video_id"] for c in g["copies"]] for g in store.duplicate_groups()}
    assert groups == {records["clip"].id: [records["clip_copy"].id, records["clip_letterbox"].id],
                      records["song_later"].id: [records["song_low_bitrate"].id, records["song_half_volume"].id]}


def test_deleting_an_original_makes_its_first_copy_the_original(sound_records, tmp_path):
    analysed = dict(zip(STORE_ORDER, sound_records, strict=True))
    with Store(tmp_path / "store.db") as store:
        ids = []
        for name in ("clip", "clip_copy", "clip_letterbox"):
            store.add(analysed[name])
            ids.append(analysed[name].id)
        store.delete(ids[0])
        assert store.duplicate_map() == {ids[2]: ids[1]}
        assert store.get(ids[1]).duplicate_of is None


def test_the_duplicates_command_lists_each_group(stored, capsys):
    from service.cli import main

    store, records = stored
    assert main(["duplicates", "--db", str(store.path)]) == 0
    out, err = capsys.readouterr()
    assert f"{records['clip'].id}  (untitled)\n  copy {records['clip_copy'].id}  (untitled)\n" in out
    assert "2 duplicate groups, 4 copies" in err


def test_the_duplicates_command_prints_json(stored, capsys):
    import json

    from service.cli import main

    store, records = stored
    assert main(["duplicates", "--db", str(store.path), "--json"]) == 0
    groups = json.loads(capsys.readouterr().out)
    assert [g["original"] for g in groups] == sorted([records["clip"].id, records["song_later"].id])


def test_trending_counts_the_events_inside_the_window_only(stored):
    """Events of the window's first partial hour come from the events, whole hours from the hourly counters."""
    store, records = stored
    since = 3600.0 * 1_000_000 + 1800  # half past an hour, after every stored video was created
    other, song = records["other_song"].id, records["song_full"].id
    store.add_events([("trend-1", other, "like", since + 10, None, None),  # in the first, partial hour
                      ("trend-2", other, "like", since + 7200, None, None),  # two hours later: a counter
                      ("trend-3", song, "like", since - 10, None, None)])  # before the window
    top = store.trending_sounds(since, {"like": 1.0})
    assert [(item["sound_id"], item["events"], item["score"]) for item in top] == [
        (sound_id(records, "other_song"), {"like": 2}, 2.0)]


def test_an_erased_users_events_leave_the_trending_counters(stored):
    """The hourly per-sound counters lose a user's events when the user is erased, as the per-video ones do."""
    store, records = stored
    since = 3600.0 * 2_000_000  # a window of its own, on a whole hour: every event lands in a counter
    other, song = records["other_song"].id, records["song_full"].id
    store.add_events([("erased-fan", other, "like", since + 7200, None, None),
                      ("erased-fan", other, "like", since + 7300, None, None),
                      ("kept-fan", song, "like", since + 7200, None, None)])
    store.delete_user("erased-fan", erase=True)
    top = store.trending_sounds(since, {"like": 1.0})
    assert [(item["sound_id"], item["events"]) for item in top] == [(sound_id(records, "song_full"), {"like": 1})]
