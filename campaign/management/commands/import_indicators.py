"""Import an evaluation-system workbook from the command line, for scripted set-ups.

    manage.py import_indicators FILE --campaign ID [--dry-run] [--json] [--allow-restructure]

The same reading and checks as the import page. Nothing is written when there is any
error, including a unit name that matches no unit (map it with --map NAME=UNIT[,UNIT]).
A system of the same name in the campaign is updated as a revised edition; the diff
(added, removed, reworded, moved) is printed, and a change of levels or the removal of
more than a fifth of the standards is refused unless --allow-restructure is given. The
exit status is 1 when there are errors or a refused restructure.
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
            "--allow-restructure",
            action="store_true",
            help="Apply a new edition even if its levels change or many standards go.",
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
        refused = bool(plan.restructure) and not options["allow_restructure"]
        result = plan.summary()
        result["refused"] = refused
        if not errors and not refused and not options["dry_run"]:
            saved = apply_indicators(
                plan,
                campaign=campaign,
                actor=None,
                system=system,
                details={"name": options["name"]},
                mapping=mapping,
            )
            result["system"] = saved.pk
        if options["json"]:
            self.stdout.write(json.dumps(result, ensure_ascii=False))
        else:
            self.report(plan, result, options["dry_run"])
        if errors or refused:
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
        for note in plan.sheets:
            if not note.read:
                out.write(
                    _("Sheet “%(name)s” skipped: %(reason)s.")
                    % {"name": note.name, "reason": note.reason}
                )
        diff = result["diff"]
        if diff is not None:
            out.write(
                _(
                    "Changes: %(added)s added, %(removed)s removed, %(reworded)s reworded, "
                    "%(points)s with new points, %(moved)s moved, %(unchanged)s unchanged."
                )
                % {
                    "added": len(diff["added"]),
                    "removed": len(diff["removed"]),
                    "reworded": len(diff["reworded"]),
                    "points": len(diff["points_changed"]),
                    "moved": len(diff["moved"]),
                    "unchanged": diff["unchanged"],
                }
            )
            for sign, key in (("+", "added"), ("-", "removed"), ("~", "reworded"), ("→", "moved")):
                for item in diff[key]:
                    out.write(f"  {sign} {item['code']} {item['text'][:60]}")
        for message in plan.restructure:
            self.stderr.write(message)
        for error in plan.all_errors:
            self.stderr.write(str(error))
        if plan.all_errors:
            self.stderr.write(_("Nothing was imported."))
        elif result["refused"]:
            self.stderr.write(
                _(
                    "This restructures the system: nothing was imported. Check the changes above and run again with --allow-restructure if they are intended."
                )
            )
        elif dry_run:
            out.write(_("Dry run: nothing was written."))
        else:
            out.write(self.style.SUCCESS(_("Imported.")))
