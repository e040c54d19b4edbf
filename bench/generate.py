"""Scale data for benchmarks: a city of the size a real campaign has, built fast.

`build_city(campaign, districts=…, streets=…, communities=…, departments=…)` makes the tree
and one leader and liaison per unit; other apps add their generators here beside it.
"""

from campaign.models import Membership, Person, Role, Unit


def build_city(campaign, *, districts=10, streets=12, communities=10, departments=60):
    """Create districts × streets × communities plus departments; returns the units made."""
    made = []

    def add(name, kind, parent=None):
        unit = Unit(campaign=campaign, name=name, kind=kind, parent=parent)
        unit.save()
        made.append(unit)
        return unit

    for d in range(districts):
        district = add(f"第{d + 1}区", Unit.Kind.DISTRICT)
        for s in range(streets):
            street = add(f"第{d + 1}区第{s + 1}街道", Unit.Kind.STREET, district)
            for c in range(communities):
                add(f"第{d + 1}区第{s + 1}街道第{c + 1}社区", Unit.Kind.COMMUNITY, street)
    for n in range(departments):
        add(f"市直部门{n + 1}", Unit.Kind.DEPARTMENT)

    people = Person.objects.bulk_create(
        [Person(username=f"bench-{u.pk}-{r}", name=f"人员{u.pk}{r}") for u in made for r in "lc"]
    )
    roles = {"l": Role.UNIT_LEADER, "c": Role.UNIT_LIAISON}
    by_username = {p.username: p for p in people}
    Membership.objects.bulk_create(
        [
            Membership(
                person=by_username[f"bench-{u.pk}-{r}"], campaign=campaign, role=roles[r], unit=u
            )
            for u in made
            for r in "lc"
        ]
    )
    return made


def add_findings(campaign, units, count, *, batch=5000):
    """`count` assigned findings spread over `units`, written in batches (for ledger benchmarks)."""
    import datetime

    from inspections.models import Finding, FindingCategory, Status

    category, _created = FindingCategory.objects.get_or_create(campaign=campaign, name="占道经营")
    for start in range(0, count, batch):
        Finding.objects.bulk_create(
            Finding(
                campaign=campaign,
                source="routine",
                description=f"第{i}号问题：沿街商铺跨门经营、占道堆放货物，影响行人通行",
                category=category,
                address=f"建设路{i}号",
                territory=units[i % len(units)],
                unit=units[i % len(units)],
                status=Status.ASSIGNED,
                deadline=datetime.date(2026, 3, 10),
            )
            for i in range(start, min(start + batch, count))
        )
