"""`truncated`, the `truncatechars` of rows written in Python (the ledger's descriptions and
addresses, the task list's titles): Django's result, without a Python step per character."""

from unittest import mock

import pytest
from django.utils import translation
from django.utils.text import Truncator
from hypothesis import given, settings
from hypothesis import strategies as st

from campaign.templatetags import site_tags
from campaign.templatetags.site_tags import truncated

# Text as inspectors write it, and the characters that make counting hard: combining marks
# (which Truncator does not count), characters NFC composes or expands, and astral ones.
ALPHABET = st.sampled_from(
    list("道路两侧绿化带内垃圾堆积，存在卫生死角。abc 1")
    + ["\u0301", "\u0308", "\u093c", "\u0958", "e", "\u00e9", "\U0001f600", "\u2026"]
)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@settings(max_examples=300, deadline=None)
@given(text=st.text(ALPHABET, max_size=90), length=st.integers(min_value=-1, max_value=80))
def test_truncated_is_what_truncatechars_shows(language, text, length):
    with translation.override(language):
        assert truncated(text, length) == Truncator(text).chars(length)


def test_a_long_description_is_cut_without_a_step_per_character():
    """A description longer than its column (most, in a real city's ledger) was cut by a
    Truncator, a Python loop over every character: 20 µs a row, 0.6 ms of a ledger page of
    thirty. Text that holds no combining mark before the cut is sliced."""
    description = "道路两侧绿化带内垃圾堆积，存在卫生死角，影响市容市貌。" * 3
    with mock.patch.object(site_tags, "Truncator", side_effect=AssertionError("walked")):
        cut = truncated(description, 50)
    assert cut == Truncator(description).chars(50)
    assert len(cut) <= 50 and cut.startswith(description[:40])


def test_text_with_combining_characters_is_still_counted_as_truncatechars_counts_it():
    text = "e\u0301" * 60  # NFC composes each pair into one é
    assert truncated(text, 50) == Truncator(text).chars(50)
    marks = "a" + "\u0301\u0308" * 5 + "b" * 60  # marks NFC cannot compose are not counted
    assert truncated(marks, 50) == Truncator(marks).chars(50)
