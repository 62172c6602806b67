"""Panels that other apps add to the request and catalog pages.

``requests_app`` must not import the runner or the replication app, yet its pages show
their runs and replication state. Those apps register a panel here (in their
``AppConfig.ready``); the page renders every registered panel in order.

A panel is a callable ``(obj, request) -> dict | None`` returning
``{"title": str, "template": str, "context": dict}``, or None to show nothing. It gets
the BucketRequest (request page) or the CatalogEntry (catalog page) and the HTTP request.
Panels for many rows must do their own bulk queries (pages keep a constant query count).
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

REQUEST_PAGE = "request"
CATALOG_PAGE = "catalog"
# The plan approvers vote on: shown on the request page next to the approval, and on the
# admin's request page where approvers decide (a panel of the same shape, given the request).
PLAN = "plan"

_panels: dict[str, list] = {REQUEST_PAGE: [], CATALOG_PAGE: [], PLAN: []}


def register_panel(page: str, panel) -> None:
    if panel not in _panels[page]:
        _panels[page].append(panel)


def render_context(page: str, obj, http_request) -> list[dict]:
    """The panels to show for ``obj``, each as title, template and context."""
    shown = []
    for panel in _panels[page]:
        result = panel(obj, http_request)
        if result:
            shown.append(result)
    return shown


# --- Catalog list columns and Backstage entity annotations from other apps -------------------------


@dataclass(frozen=True)
class ListColumn:
    """A column (and optional filter) another app adds to the catalog list.

    ``prepare(queryset)`` adds what the cells need in the list's own query (select_related /
    annotate: a constant query count); ``template`` renders one cell with ``entry`` in its context.
    ``filter_name`` is the query parameter, ``filter_choices`` its (value, label) pairs and
    ``apply_filter(queryset, value)`` narrows the list (only called with one of the choices).
    """

    title: str
    template: str
    prepare: Callable[[Any], Any]
    filter_name: str = ""
    filter_label: str = ""
    filter_choices: tuple = ()
    apply_filter: Callable[[Any, str], Any] | None = None


_catalog_columns: list[ListColumn] = []
_entity_annotations: list[Callable] = []
_queue_summaries: list[Callable] = []


def register_catalog_column(column: ListColumn) -> None:
    if column not in _catalog_columns:
        _catalog_columns.append(column)


def catalog_columns() -> list[ListColumn]:
    return list(_catalog_columns)


def prepare_catalog(queryset, params: Mapping):
    """The catalog list's queryset with every registered column's data and filter applied."""
    for column in _catalog_columns:
        queryset = column.prepare(queryset)
        value = (params.get(column.filter_name) or "").strip() if column.filter_name else ""
        if value and value in {choice for choice, _ in column.filter_choices}:
            queryset = column.apply_filter(queryset, value)
    return queryset


def register_entity_annotations(provider: Callable) -> None:
    """``provider(entries) -> {entry_pk: {annotation: value}}`` for the Backstage entities (bulk)."""
    if provider not in _entity_annotations:
        _entity_annotations.append(provider)


def entity_annotations(entries: list) -> dict:
    merged: dict = {}
    for provider in _entity_annotations:
        for pk, annotations in provider(entries).items():
            merged.setdefault(pk, {}).update(annotations)
    return merged


def register_queue_summary(provider: Callable) -> None:
    """``provider(requests) -> {request_pk: str}``: a line per request for the approval queue (bulk)."""
    if provider not in _queue_summaries:
        _queue_summaries.append(provider)


def queue_summaries(requests: list) -> dict:
    merged: dict = {}
    for provider in _queue_summaries:
        for pk, line in provider(requests).items():
            merged[pk] = f"{merged[pk]} {line}" if pk in merged else line
    return merged


def rendered(page: str, obj, http_request) -> list[dict]:
    """The panels as title + HTML; a panel's context is given both spread out and as ``panel_context``."""
    return [
        {
            "title": panel["title"],
            "html": render_to_string(
                panel["template"],
                {**panel["context"], "panel_context": panel["context"]},
                request=http_request,
            ),
        }
        for panel in render_context(page, obj, http_request)
    ]
