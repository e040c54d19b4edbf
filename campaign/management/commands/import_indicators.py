"""Import an evaluation-system workbook from the command line, for scripted set-ups.

    manage.py import_indicators FILE --campaign ID [--dry-run] [--json]

The same reading and checks as the import page. Nothing is written when there is any
error, including a unit name that matches no unit (map it with --map NAME=UNIT[,UNIT]).
A system of the same name in the campaign is updated as a revised edition. The exit
status is 1 when there are errors.
"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from campaign.indicator_import import apply_indicators, read_indicators
from campaign.models import Campaign, EvaluationSystem, Unit
from campaign.workbook import split_list


class Command(BaseCommand):
    help = "Import an evaluation system (测评体系) from an .xlsx workbook."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--campaign", type=int, required=True, help="Campaign id.")
        parser.add_argument("--dry-run", action="store_true", help="Check only; write nothing.")
        parser.add_argument("--json", action="store_true", help="Print one JSON object.")
        parser.add_argument("--name", default="", help="System name (default: the title row).")
        parser.add_argument(
            "--system", type=int, help="Id of an existing system this file is a new edition of."
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="NAME=UNIT[,UNIT]",
            help="Map a unit name the workbook uses to one or more units of the campaign.",
        )

    def handle(self, *args, **options):
        try:
            campaign = Campaign.objects.get(pk=options["campaign"])
        except Campaign.DoesNotExist:
            raise CommandError(
                _("No campaign with id %(id)s.") % {"id": options["campaign"]}
            ) from None
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": path})
        mapping = self.read_mapping(campaign, options["map"])
        data = path.read_bytes()
        plan = read_indicators(data, campaign=campaign, filename=path.name, mapping=mapping)
        system = None
        if options["system"]:
            system = EvaluationSystem.objects.filter(
                campaign=campaign, pk=options["system"]
            ).first()
            if system is None:
                raise CommandError(
                    _("No system with id %(id)s in this campaign.") % {"id": options["system"]}
                )
        else:
            name = options["name"] or plan.title
            system = (
                EvaluationSystem.objects.filter(campaign=campaign, name=name).first()
                if name
                else None
            )
        if system is not None:
            plan = read_indicators(
                data, campaign=campaign, filename=path.name, mapping=mapping, system=system
            )
        errors = plan.all_errors
        result = plan.summary()
        if not errors and not options["dry_run"]:
            saved = apply_indicators(
                plan,
                campaign=campaign,
                actor=None,
                system=system,
                details={"name": options["name"]},
            )
            result["system"] = saved.pk
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.report(plan, result, options["dry_run"])
        if errors:
            raise SystemExit(1)

    def read_mapping(self, campaign, items):
        units = {u.name: u for u in Unit.objects.filter(campaign=campaign)}
        mapping = {}
        for item in items:
            name, _sep, targets = item.partition("=")
            chosen = []
            for target in split_list(targets):
                if target not in units:
                    raise CommandError(_("--map: no unit named “%(name)s”.") % {"name": target})
                chosen.append(units[target])
            mapping[name.strip()] = chosen
        return mapping

    def report(self, plan, result, dry_run):
        out = self.stdout
        out.write(
            _("Sheet “%(sheet)s”: levels %(levels)s, %(standards)s standards, %(points)s points.")
            % {
                "sheet": plan.sheet,
                "levels": " / ".join(str(n) for n in result["levels"]),
                "standards": result["standards"],
                "points": result["points"],
            }
        )
        for name in result["unmatched_units"]:
            out.write(_("Unknown unit: %(name)s") % {"name": name})
        for warning in plan.warnings:
            out.write(self.style.WARNING(str(warning)))
        for error in plan.all_errors:
            self.stderr.write(str(error))
        if plan.all_errors:
            self.stderr.write(_("Nothing was imported."))
        elif dry_run:
            out.write(_("Dry run: nothing was written."))
        else:
            out.write(self.style.SUCCESS(_("Imported.")))
