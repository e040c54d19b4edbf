"""The one shape of an action view (accept, return, verify, publish …) in every app.

    def task_accept(request, pk):
        task = task_for(request.user, pk)
        return act(request, task, "accept", form=DecisionForm(request.POST),
                   perform=lambda data: task.accept(actor=request.user, ...),
                   page=lambda form: task_detail_page(request, task, bound=("decision", form)),
                   success=_("The task is accepted."))

1. The rule table (`Model.RULES`) decides whether this person may take the action; if not,
   the page answers 403 with the rule's reason.
2. The posted form is validated; its errors are shown in place, on the object's page, with
   everything typed kept (400).
3. `perform(cleaned_data)` calls one model method or service. A refused move is shown in
   place too, its reason above the form (409 for a conflict with someone else's change,
   else 400).
4. On success: a message, and a redirect to what `perform` returned if it is a page
   (e.g. the new finding of a relapse), else to the object.
"""

from django import forms
from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .transitions import ConflictError, DomainError, refusal


class VersionField(forms.IntegerField):
    """The version of the object the page showed; a different one on save is a conflict."""

    widget = forms.HiddenInput

    def __init__(self, *, required=True, **kwargs):
        kwargs.setdefault(
            "error_messages",
            {
                "required": gettext_lazy(
                    "The page was out of date: reload it and try again. Nothing was saved."
                )
            },
        )
        super().__init__(required=required, min_value=1, **kwargs)


def act(request, obj, action, *, form, perform, page, success):
    """Run one action view; see the module docstring. `page(form)` renders the object's
    page with this bound form in place; `success` is a message or a function of the result."""
    status = 400
    problem = _("Nothing was saved: see the problem below.")
    refused = refusal(request.user, obj, action)
    if refused is not None:
        status, problem = 403, refused
    elif form.is_valid():
        try:
            result = perform(form.cleaned_data)
        except DomainError as exc:
            status = 409 if isinstance(exc, ConflictError) else 400
            problem = exc.message
        else:
            messages.success(request, success(result) if callable(success) else success)
            return redirect(result if hasattr(result, "get_absolute_url") else obj)
    else:
        # A hidden field (the version) has no place on the page to show its error.
        hidden = [e for field in form.hidden_fields() for e in field.errors]
        problem = " ".join(hidden) or problem
    messages.error(request, problem)
    response = page(form)
    response.status_code = status
    return response
