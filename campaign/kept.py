"""Values kept in the process between requests: drawn markup and reference data that would
otherwise be drawn or read again on every page.

One dict for all of them, bounded: a key holds everything its value depends on (the texts a
drawing shows, a campaign's choices version, the language and URL prefix, the person's
scope), so a change makes a new key and a kept value is never stale; nothing is deleted on a
change. When the bound is reached the dict starts afresh, which keeps it without
bookkeeping (a city needs a few thousand entries at most: panels and choices per scope and
language, a handful of page parts).
"""

KEPT = {}
MAX_KEPT = 4000


def kept(key, make):
    """`make()`, or what it gave for the same `key` before. What it gives is shared by every
    request: never changed in place."""
    try:
        return KEPT[key]
    except KeyError:
        pass
    if len(KEPT) >= MAX_KEPT:
        KEPT.clear()
    value = KEPT[key] = make()
    return value
