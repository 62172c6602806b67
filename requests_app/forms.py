"""The new-request form, generated from the request-input fields (``requests_app.input_fields``).

Django fields only turn the posted text into JSON types (numbers, booleans, lists, tags);
every rule is checked by the contract package, whose problems are shown on their fields,
the same ones the live preview shows.
"""

from django import forms
from django.forms.utils import ErrorDict

from requests_app.contract import Problem
from requests_app.input_fields import BOOLEAN, CHOICE, INPUT_FIELDS, INTEGER, TEXT_LIST, TEXT_MAP, InputField
from requests_app.models import Decision

UNSET_LABEL = "Use the default"
LIST_HELP = " One per line."
MAP_HELP = " One key=value per line."


class TagsField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        tags = {}
        for number, line in enumerate((value or "").splitlines(), start=1):
            if not line.strip():
                continue
            key, separator, tag_value = line.partition("=")
            if not separator or not key.strip():
                raise forms.ValidationError(f"Line {number}: write key=value.")
            tags[key.strip()] = tag_value.strip()
        return tags


class LinesField(forms.CharField):
    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value):
        return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _optional_choices(spec: InputField, labels: list[tuple]) -> list[tuple]:
    return labels if spec.required or spec.default is not None else [("", UNSET_LABEL), *labels]


def limits_hint(spec: InputField) -> str:
    """The field's limits in words, added to its help unless the help already states them."""
    if spec.kind == INTEGER and spec.minimum is not None and spec.maximum is not None:
        if f"{spec.minimum}-{spec.maximum}" in spec.help:
            return ""
        return f" From {spec.minimum:,} to {spec.maximum:,}."
    if spec.min_length and spec.max_length:
        if f"{spec.min_length}-{spec.max_length}" in spec.help:
            return ""
        return f" {spec.min_length} to {spec.max_length:,} characters."
    if spec.max_length:
        return f" At most {spec.max_length:,} characters."
    return ""


def _form_field(spec: InputField) -> forms.Field:
    common = {"label": spec.title, "help_text": spec.help + limits_hint(spec), "required": spec.required}
    if spec.kind == INTEGER:
        # Text for the contract to read: "abc" is answered as "Not a number: 'abc'; write a whole number
        # between 1 and 10000." with every other problem, where a number input would keep it from the
        # server (and browsers differ in what they let through).
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "numeric"}), **common)
    if spec.kind == BOOLEAN and spec.nullable:
        return forms.TypedChoiceField(
            choices=[("", UNSET_LABEL), ("true", "Yes"), ("false", "No")],
            coerce=lambda value: value == "true",
            empty_value=None,
            **common,
        )
    if spec.kind == BOOLEAN:
        return forms.BooleanField(initial=spec.default, **{**common, "required": False})
    if spec.kind == CHOICE:
        return forms.ChoiceField(
            choices=_optional_choices(spec, [(c, c) for c in spec.choices]), initial=spec.default, **common
        )
    if spec.kind == TEXT_LIST:
        return LinesField(**{**common, "help_text": spec.help + LIST_HELP})
    if spec.kind == TEXT_MAP:
        return TagsField(**{**common, "help_text": spec.help + MAP_HELP})
    # No maxlength: a browser would cut a pasted text silently; the contract says how much is too long.
    return forms.CharField(**common)


class InputProblems(Exception):
    """The submitted body is not a request-input mapping; ``problems`` say where and why.

    ``readable`` is what could be read (a form's other fields), for the contract to judge with them.
    """

    def __init__(self, problems: list[Problem], readable: dict | None = None):
        super().__init__("; ".join(f"{p.field or p.path}: {p.message}" for p in problems))
        self.problems = problems
        self.readable = readable


class RequestForm(forms.Form):
    """One field per request-input field, named as in the Backstage template."""

    def __init__(self, *args, requester: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        for spec in INPUT_FIELDS:
            self.fields[spec.name] = _form_field(spec)
        self.fields["owner"].widget.attrs["list"] = "team-list"
        if requester:
            # In the portal the requester is the signed-in person.
            self.fields["requester"].initial = requester
            self.fields["requester"].disabled = True

    def raw_input(self) -> dict:
        """The cleaned values as a request-input mapping; empty optional values are left out."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if value not in (None, "") and not (value in ([], {}) and not self.fields[name].required)
        }

    def valid_input(self) -> dict:
        """The request-input mapping; raises `InputProblems` naming each field the form could not read.

        An empty required field is left out, for the contract to report with the rest.
        """
        self.is_valid()
        unreadable = [
            Problem(path=name, message=" ".join(error.messages), code="form", field=name)
            for name, errors in self.errors.as_data().items()
            for error in errors
            if error.code != "required"
        ]
        if unreadable:
            raise InputProblems(unreadable, readable=self.raw_input())
        return self.raw_input()

    def show_problems(self, problems: list[Problem]) -> None:
        """Show every error among ``problems`` on its field (the others above the form), in place of the
        form's own errors: ``problems`` already hold those the contract did not re-state."""
        self._errors = ErrorDict()
        for problem in dict.fromkeys(problems):
            if not problem.is_error:
                continue
            name = problem.field if problem.field in self.fields else None
            self.add_error(name, problem.message if name else f"{problem.path}: {problem.message}")


class DecisionForm(forms.Form):
    """An approver's comment on a vote (the admin's bulk action)."""

    comment = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=2000,
        help_text="Why you decide so; stored with your vote and shown on the request "
        "(required, up to 2,000 characters).",
    )


class RequestDecisionForm(DecisionForm):
    """A vote from the request page or the admin's request page: the decision, the comment, and the
    contract and plan the approver saw (a vote on a changed contract or plan is refused)."""

    decision = forms.ChoiceField(choices=Decision.choices)
    contract_hash = forms.CharField(widget=forms.HiddenInput, required=False)
    plan_hash = forms.CharField(widget=forms.HiddenInput, required=False)
