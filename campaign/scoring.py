"""The projected evaluation score: where will we lose points? (确保不丢分、力求拿全分、千方百计少丢分)

Pure arithmetic over standards' points and self-assessments, no database access: the
views hand in standards they already loaded.

The partial-credit rule (written on the score page too):

- 达标 (met) earns the standard's full points;
- 基本达标 (mostly met) earns half of them;
- 未达标 (not met) earns nothing;
- 未评估 (not assessed) earns nothing in the projection: a standard nobody has checked is
  counted as at risk until someone assesses it.

Points at risk for a standard are its points minus what it earns. A veto item (一票否决)
that is not met fails the whole evaluation whatever the score, and a system with a pass
mark (e.g. the minors' system) fails when its projected score is below it: both are shown
above everything else.
"""

from dataclasses import dataclass, field
from decimal import Decimal

from .models import Standard

A = Standard.Assessment
PARTIAL_CREDIT = {
    A.MET: Decimal("1"),
    A.MOSTLY_MET: Decimal("0.5"),
    A.NOT_MET: Decimal("0"),
    A.NOT_ASSESSED: Decimal("0"),
}


def format_points(value):
    """Points as clerks write them: 31.5, 2, 0.75 (no trailing zeros, never 3E+1)."""
    if value in (None, ""):
        return ""
    text = f"{Decimal(str(value)).quantize(Decimal('0.01')):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def earned(points, status):
    """Points a standard with this self-assessment is projected to earn."""
    return (Decimal(points) * PARTIAL_CREDIT[status]).quantize(Decimal("0.01"))


def at_risk(points, status):
    return Decimal(points) - earned(points, status)


@dataclass
class Score:
    """Points, projected points and what is at risk for a set of standards."""

    points: Decimal = Decimal("0")
    earned: Decimal = Decimal("0")
    unassessed_points: Decimal = Decimal("0")
    counts: dict = field(default_factory=lambda: dict.fromkeys(A.values, 0))

    def add(self, standard):
        self.points += standard.points
        self.earned += earned(standard.points, standard.assessment)
        if standard.assessment == A.NOT_ASSESSED:
            self.unassessed_points += standard.points
        self.counts[standard.assessment] += 1

    @property
    def at_risk(self):
        return self.points - self.earned

    @property
    def percent(self):
        """Projected points as a share of the points available (0–100)."""
        if not self.points:
            return Decimal("0")
        return (self.earned * 100 / self.points).quantize(Decimal("0.1"))

    @property
    def standard_count(self):
        return sum(self.counts.values())


def tally(standards):
    """One Score for all the given standards."""
    score = Score()
    for standard in standards:
        score.add(standard)
    return score


def roll_up(standards, key):
    """Scores grouped by `key(standard)` (e.g. its command office), in first-seen order.

    `key` may return a list to count a standard under several groups (e.g. every
    upper-level node above it).
    """
    scores = {}
    for standard in standards:
        keys = key(standard)
        for k in keys if isinstance(keys, list | tuple) else [keys]:
            scores.setdefault(k, Score()).add(standard)
    return scores


def failing_veto(standards):
    """Veto items (一票否决) assessed as not met: any one of them fails the evaluation."""
    return [s for s in standards if s.is_veto and s.assessment == A.NOT_MET]


def risks(standards):
    """Standards that may lose points, largest loss first; failing veto items before all."""
    rows = [(s, at_risk(s.points, s.assessment)) for s in standards]
    rows = [
        (s, points) for s, points in rows if points > 0 or (s.is_veto and s.assessment != A.MET)
    ]
    return sorted(
        rows,
        key=lambda row: (
            not (row[0].is_veto and row[0].assessment == A.NOT_MET),
            -row[1],
            row[0].position,
        ),
    )


def missed_pass_mark(system, score):
    """True when a system with a pass mark is projected below it."""
    return system.pass_mark is not None and score.earned < system.pass_mark
