from django.utils.translation import gettext_lazy as _

from campaign.exports import TabularExport

from .services import POINT_COLUMNS, column_label


class PointExport(TabularExport):
    """The point register as the office hands it round; the import reads it back."""

    title = _("Inspection points")
    filename = "点位清单"
    column_widths = [30, 12, 36, 12, 12, 16, 20, 18]

    def __init__(self, points):
        self.points = points

    def get_headers(self):
        return [column_label(name) for name in POINT_COLUMNS]

    def rows(self):
        points = self.points.select_related("type", "territory", "unit", "department")
        for p in points.iterator(chunk_size=500):
            yield [
                p.name,
                p.type.name,
                p.address,
                p.latitude,
                p.longitude,
                p.territory.name,
                p.unit.name,
                p.department.name if p.department else None,
            ]
