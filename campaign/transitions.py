"""The one shape of every state change (findings, tasks and their parts, bulletins).

A stateful model declares, beside its status enum:

- `TRANSITIONS`: status → the statuses it may move to;
- `RULES`: action name → `Rule` (the statuses the action starts from and who may take it).
  This table is the only place that says who may do what: the model's check (here), the
  view's permission check (`require_action`) and the page's buttons (`allowed_actions`)
  all read it;
- `record_event(*, actor, action, from_status, to_status, note, data)`: append its event
  row (finding events, task events, audit entries) and return it;
- `conflict_message()` and `not_possible_message(action)`: the translated refusals;
- optionally a `version` field (a form posts the version it showed, a mismatch is a
  conflict) and an `updated_at` field (stamped).

`transition()` then does, in one transaction: lock and re-read the row, check the version,
the rule and the move, run the method's own checks, set fields, save, append the event and
write the side effects as outbox rows (`campaign.outbox.enqueue`). Nothing here talks to
the broker: the outbox relay delivers after commit.
"""

from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext


class DomainError(Exception):
    """A move the rules refuse. The message is translated and shown to the person as is."""

    def __init__(self, message, code=""):
        self.message = str(message)
        self.code = code
        super().__init__(self.message)

    @property
    def messages(self):
        return [self.message]


class ConflictError(DomainError):
    """Someone else changed the object after this person opened it; nothing was saved."""


def everyone(scope, obj):
    return True


@dataclass(frozen=True)
class Rule:
    """Who may take one action, and from which statuses.

    `who(scope, obj)` answers for a person (`campaign.access.Scope`); `when(obj)` adds a
    condition on the object's own fields (e.g. a supervision level not yet at the top);
    `denied` is the message given to a person the rule refuses (or a function of the scope
    and the object returning it, when the reason varies).
    """

    sources: frozenset
    who: object = everyone
    denied: str = ""
    when: object = None
    label: str = ""

    def starts_from(self, obj):
        return obj.status in self.sources and (self.when is None or self.when(obj))

    def allows(self, scope, obj):
        return self.who(scope, obj)

    def refusal(self, scope, obj):
        return self.denied(scope, obj) if callable(self.denied) else str(self.denied)


def rule(sources, who=everyone, denied="", when=None, label=""):
    return Rule(frozenset(sources), who, denied, when, label)


@dataclass
class Change:
    """What a model method hands to `transition`: the fields it set and the effects it wants.

    `effects` are `(kind, idempotency_key, payload)` tuples for the outbox (see
    `write_effects`), or functions of the saved row returning one (when the effect names
    the new version).
    """

    fields: list = field(default_factory=list)
    effects: list = field(default_factory=list)


def _scope(actor):
    from campaign.access import scope_for

    return scope_for(actor)


def allowed_actions(user, obj):
    """The actions of `type(obj).RULES` this person could take on the object now."""
    scope = _scope(user)
    return {
        name for name, r in type(obj).RULES.items() if r.starts_from(obj) and r.allows(scope, obj)
    }


def may(user, obj, action):
    """True when the person may take `action` on the object as it is now."""
    return action in allowed_actions(user, obj)


def refusal(user, obj, action):
    """Why the rule table refuses this person `action` on the object (whatever its status),
    or None when it lets them."""
    action_rule = type(obj).RULES[action]
    scope = _scope(user)
    return None if action_rule.allows(scope, obj) else action_rule.refusal(scope, obj)


def require_action(user, obj, action):
    """403 unless the rule table lets this person take `action` on the object in some status.

    The view checks the person; the state is checked again by the model under the lock
    (a stale page must give the translated "not possible now" message, not a 403).
    """
    if refusal(user, obj, action) is not None:
        raise PermissionDenied


def transition(
    obj,
    action,
    *,
    actor,
    to=None,
    expected_version=None,
    note="",
    data=None,
    check=None,
    apply=None,
    after=None,
    event_kind=None,
):
    """Change `obj` by `action` in one transaction and return the event row.

    `to` is the new status (or a callable of the locked object; None keeps the status).
    `check(locked)` raises `DomainError` for the method's own conditions; `apply(locked)`
    sets fields and returns a `Change` (or a list of field names); `after(locked, event)`
    adds what needs the event row (photos attached to it). `actor=None` is the
    system (a daily job): the rule's "who" is not asked, the statuses still are.
    """
    model = type(obj)
    action_rule = model.RULES[action]
    with transaction.atomic():
        locked = model.objects.select_for_update().get(pk=obj.pk)
        if (
            expected_version is not None
            and hasattr(locked, "version")
            and int(expected_version) != locked.version
        ):
            raise ConflictError(locked.conflict_message(), code="conflict")
        old = locked.status
        if not action_rule.starts_from(locked):
            raise DomainError(locked.not_possible_message(action), code="transition")
        if actor is not None and not action_rule.allows(scope := _scope(actor), locked):
            raise DomainError(action_rule.refusal(scope, locked), code="actor")
        new = (to(locked) if callable(to) else to) or old
        if new != old and new not in model.TRANSITIONS[old]:
            raise DomainError(locked.not_possible_message(action), code="transition")
        if check:
            check(locked)
        change = apply(locked) if apply else None
        if not isinstance(change, Change):
            change = Change(fields=list(change or []))
        locked.status = new
        fields = [*change.fields, "status"]
        if hasattr(locked, "version"):
            locked.version += 1
            fields.append("version")
        if hasattr(locked, "updated_at"):
            locked.updated_at = timezone.now()
            fields.append("updated_at")
        fields = list(dict.fromkeys(fields))
        locked.save(update_fields=fields)
        event = locked.record_event(
            actor=actor,
            action=event_kind or action,
            from_status=old,
            to_status=new,
            note=note,
            data=data if data is not None else {},
        )
        if after:
            after(locked, event)
        write_effects([e(locked) if callable(e) else e for e in change.effects], event=event)
    # The caller's object now shows what was saved (only that: a form's instance keeps the
    # values it is about to save).
    for name in fields:
        attname = model._meta.get_field(name).attname
        setattr(obj, attname, getattr(locked, attname))
    return event


def write_effects(effects, *, event=None):
    """Write side effects as outbox rows. An effect whose key names `{event}` is about the
    event row: the key gets its id, and the payload gets it as `event_id`."""
    from campaign.outbox import enqueue

    for kind, key, payload in effects:
        if event is not None and "{event}" in key:
            key = key.format(event=event.pk)
            payload = {"event_id": event.pk, **payload}
        enqueue(kind, key=key, **payload)


def not_possible_message(status_label, action_label):
    return gettext("This is “%(status)s”: “%(action)s” is not possible now.") % {
        "status": status_label,
        "action": action_label,
    }
