"""The bench runner's timing: a page and its floor are timed in turns."""

from bench.run import sample_in_turns


def test_a_page_and_its_floor_are_timed_in_turns():
    calls = []
    page, floor = sample_in_turns(
        [lambda: calls.append("page"), lambda: calls.append("floor")], repeat=5
    )

    assert calls == ["page", "floor"] * 6  # a warm-up each, then five turns
    assert len(page) == len(floor) == 5
