"""A generic leak walker: discover every URL the project serves, request each GET page and API
endpoint it can instantiate as each viewer, and report where a secret value shows up.

Reusable for any confidential intake (reports now, anonymous complaints next): a test builds its
scene, lists its `Secret`s (each with the viewers allowed to see it) and calls `walk`."""

from __future__ import annotations

import functools
import io
import json
import re
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver

# Keys under which an API may carry a person's id.
PERSON_KEYS = {
    "user",
    "user_id",
    "reporter",
    "reporter_id",
    "author",
    "author_id",
    "actor",
    "actor_id",
    "uploaded_by",
    "uploaded_by_id",
    "by",
    "by_id",
    "created_by",
    "owner",
    "owner_id",
    "recipient",
    "recipient_id",
    "complainant",
    "complainant_id",
}
_ROUTE_PARAM = re.compile(r"(?<!\?P)<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
_REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?P<body>[^()]*)\)")
# Requests with side effects even through GET, or that only redirect elsewhere. Every logout
# (local, single sign-on, the CAS server's) would walk the rest of the site signed out.
SKIP_NAMES = {"set_language", "admin:view_on_site"}


@dataclass(frozen=True)
class Secret:
    label: str
    value: str
    allowed: frozenset[str] = frozenset()
    user_id: int | None = None  # also look for this id under PERSON_KEYS in JSON


@dataclass
class Surface:
    """One thing a viewer can read: a URL's response, a notification, an email, log output."""

    viewer: str
    where: str
    text: str
    data: object = None


@dataclass
class Finding:
    viewer: str
    where: str
    label: str
    count: int


@dataclass
class UrlPattern:
    name: str
    route: str
    model: type | None  # the admin model of an admin view
    params: list[tuple[str, str]] = field(default_factory=list)  # (name, converter)


def _join(prefix: str, pattern) -> str:
    text = str(pattern.pattern)
    return prefix + text


def url_patterns() -> list[UrlPattern]:
    """Every URL pattern of the project, its full route and parameters (the root resolver,
    walked recursively with namespaces)."""
    found: list[UrlPattern] = []

    def visit(resolver, prefix, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                ns = namespace
                if entry.namespace:
                    ns = f"{namespace}{entry.namespace}:"
                visit(entry, _join(prefix, entry), ns)
            elif isinstance(entry, URLPattern):
                route = _join(prefix, entry)
                model_admin = getattr(entry.callback, "model_admin", None)
                name = f"{namespace}{entry.name}" if entry.name else route
                params = [(m["name"], m["conv"] or "str") for m in _ROUTE_PARAM.finditer(route)]
                params += [(m["name"], "regex") for m in _REGEX_GROUP.finditer(route)]
                found.append(
                    UrlPattern(name, route, model_admin.model if model_admin else None, params)
                )

    visit(get_resolver(), "", "")
    return found


def _fill(route: str, values: dict[str, str]) -> str | None:
    path = _ROUTE_PARAM.sub(lambda m: values[m["name"]], route)
    path = _REGEX_GROUP.sub(lambda m: values[m["name"]], path)
    path = path.replace("^", "").replace("$", "")
    if re.search(r"[\\()\[\]*+?{}|]", path):
        return None  # a regex we cannot instantiate
    return "/" + path


def instantiate(pattern: UrlPattern, ids_for: Callable[[type | None], Iterable[int]]) -> list[str]:
    """Concrete URLs for a pattern: each int/path parameter takes the ids of existing objects
    (the admin model's own for admin views), a regex alternation each of its alternatives."""
    if (
        pattern.name in SKIP_NAMES
        or (pattern.name or "").endswith("logout")
        or pattern.route.startswith("static/")
    ):
        return []
    if not pattern.params:
        url = _fill(pattern.route, {})
        return [url] if url else []
    choices: dict[str, list[str]] = {}
    for name, conv in pattern.params:
        if conv == "regex":
            group = next(m for m in _REGEX_GROUP.finditer(pattern.route) if m["name"] == name)
            alternatives = group["body"].split("|")
            if not all(re.fullmatch(r"[\w-]+", a) for a in alternatives):
                return []
            choices[name] = alternatives
        elif conv in ("int", "path", "str") and name not in ("uidb64", "token", "content_type_id"):
            choices[name] = [str(i) for i in ids_for(pattern.model)]
        else:
            return []
    if len(choices) != 1:
        return []  # several free parameters: not a page a person reaches by an id
    ((name, values),) = choices.items()
    return [u for u in (_fill(pattern.route, {name: v}) for v in values) if u]


# (a unit picker's option also names the unit's ancestors in a data- attribute)
_UNSELECTED_OPTION = re.compile(
    r"<option value=\"[^\"]*\"(?: data-[a-z-]+=\"[^\"]*\")*>[^<]*</option>"
)


def response_text(response) -> tuple[str, object]:
    if getattr(response, "streaming", False):
        raw = b"".join(response.streaming_content)
    else:
        raw = response.content
    # An unselected <option> of a select listing every user says nothing about the object.
    parts = [_UNSELECTED_OPTION.sub("", raw.decode("utf-8", errors="replace"))]
    if raw.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(raw)) as archive:
                parts += [archive.read(n).decode("utf-8", "replace") for n in archive.namelist()]
        except zipfile.BadZipFile:
            pass
    data = None
    if "json" in response.get("Content-Type", ""):
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
    return "\n".join(parts), data


def _person_ids(data) -> list[int]:
    ids = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in PERSON_KEYS and isinstance(value, int) and not isinstance(value, bool):
                ids.append(value)
            ids += _person_ids(value)
    elif isinstance(data, list):
        for item in data:
            ids += _person_ids(item)
    return ids


def scan(surface: Surface, secrets: Iterable[Secret]) -> dict[str, int]:
    """How often each forbidden secret occurs on this surface."""
    hits: dict[str, int] = {}
    person_ids = _person_ids(surface.data) if surface.data is not None else []
    for secret in secrets:
        if surface.viewer in secret.allowed:
            continue
        count = surface.text.count(secret.value) if secret.value else 0
        if secret.user_id is not None:
            count += person_ids.count(secret.user_id)
        if count:
            hits[secret.label] = count
    return hits


def fetch(client, url: str, viewer: str) -> tuple[Surface, int]:
    response = client.get(url, follow=False)
    text, data = response_text(response)
    return Surface(viewer, f"GET {url}", text, data), response.status_code


def walk(clients: dict[str, object], urls: list[str], secrets: list[Secret]):
    """Request every URL as every viewer. Returns (findings with counts, surfaces walked,
    server errors)."""
    findings: dict[tuple[str, str], dict[str, int]] = {}
    walked: list[tuple[str, str, int]] = []
    errors: list[tuple[str, str]] = []
    for viewer, client in clients.items():
        signed_in = "_auth_user_id" in client.session
        for url in urls:
            surface, status = fetch(client, url, viewer)
            walked.append((viewer, url, status))
            if status >= 500:
                errors.append((viewer, url))
            hits = scan(surface, secrets)
            if hits:
                findings[(viewer, url)] = hits
        # a page that signs its viewer out would walk the rest of the site as a stranger
        if signed_in and "_auth_user_id" not in client.session:
            errors.append((viewer, "signed out during the walk"))
    return findings, walked, errors


def model_ids(models: Iterable[type]) -> dict[type, list[int]]:
    return {m: list(m._default_manager.order_by("pk").values_list("pk", flat=True)) for m in models}


def all_models() -> list[type]:
    return [m for m in apps.get_models() if not m._meta.abstract]


def scene_ids(models: Iterable[type], before: dict, after: dict) -> dict[type, set]:
    """The objects a scene created, and every object they point to by a foreign key (a user who
    received a notification, the unit a report is about): the pages of those may change."""
    ids: dict[type, set] = {m: set(after[m]) - set(before[m]) for m in models}
    for model in models:
        fks = [f for f in model._meta.concrete_fields if f.is_relation and f.many_to_one]
        if not ids[model] or not fks:
            continue
        rows = model._default_manager.filter(pk__in=ids[model]).values_list(
            *[f.attname for f in fks]
        )
        for row in rows:
            for fk, value in zip(fks, row, strict=True):
                target = fk.related_model
                if value is not None and target in ids:
                    ids[target].add(value)
    return ids


TEXT_FIELDS = {"CharField", "TextField", "JSONField", "GenericIPAddressField", "SlugField"}


def database_surfaces() -> list[Surface]:
    """Every stored text of every table, one surface per model: what is kept at rest."""
    surfaces = []
    for model in all_models():
        fields = [
            f.attname for f in model._meta.concrete_fields if f.get_internal_type() in TEXT_FIELDS
        ]
        if not fields:
            continue
        rows = model._default_manager.values_list(*fields)
        text = "\n".join(" ".join(str(v) for v in row) for row in rows)
        surfaces.append(Surface("database", model._meta.label, text))
    return surfaces


# An id no table reaches: the queries a page makes with it say which model the page reads.
PROBE_ID = 2_000_000_011
_COMPARED = re.compile(
    r'"(?P<table>\w+)"\."(?P<column>\w+)"\s*(?:=|IN\s*\()\s*\'?' + str(PROBE_ID) + r"(?!\d)"
)
POST_ONLY = "post-only"


@functools.cache
def _models_by_column() -> dict[tuple[str, str], set[type] | None]:
    """(table, column) -> the models an id compared with that column names: the table's own model
    for its primary key, the target for a foreign key; None for anything else."""
    found: dict[tuple[str, str], set[type] | None] = {}
    for model in all_models():
        for f in model._meta.concrete_fields:
            key = (model._meta.db_table, f.column)
            if f.primary_key and not f.is_relation:
                named = {model}
            elif f.is_relation and (f.many_to_one or f.one_to_one):
                named = {f.related_model, model} if f.primary_key else {f.related_model}
            else:
                found.setdefault(key, None)
                continue
            if found.get(key, set()) is not None:
                found[key] = found.get(key, set()) | named
    return found


def models_read(url_with_probe_id: str, probe_clients) -> set[type] | str | None:
    """Which models a page looks its id up in, from the SQL of one request with PROBE_ID: the
    first probe client whose request reaches a query names them. POST_ONLY for a route that only
    answers POST; None when no query names a model (the caller then tries every id)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    columns = _models_by_column()
    for client in probe_clients:
        with CaptureQueriesContext(connection) as queries:
            status = client.get(url_with_probe_id).status_code
        if status == 405:
            return POST_ONLY
        compared = {
            (m["table"], m["column"])
            for q in queries.captured_queries
            for m in _COMPARED.finditer(q["sql"])
        }
        if compared:
            named = [columns.get(c) for c in compared]
            if any(n is None for n in named):
                return None
            return set().union(*named)
    return None


def walk_site(clients, probe_client, patterns, ids_for, secrets, admin_viewers):
    """Request every instantiable URL as every viewer (admin pages only as those who reach the
    admin). A page with an id takes the ids of the models it reads (found by one probe request,
    `probe_client` first, then the others), not every id of the scene; POST-only routes (405)
    are skipped once instead of once per viewer."""
    urls, admin_urls = [], []
    probe_clients = [probe_client, *(c for c in clients.values() if c is not probe_client)]
    for pattern in patterns:
        concrete = instantiate(pattern, ids_for)
        if pattern.params and concrete and pattern.model is None:
            probe_urls = instantiate(pattern, lambda _model: [PROBE_ID])
            if probe_urls and str(PROBE_ID) in probe_urls[0]:
                read = models_read(probe_urls[0], probe_clients)
                if read == POST_ONLY:
                    continue
                if read is None and all(conv == "str" for _name, conv in pattern.params):
                    continue  # a word no query looks up (a kind, a format): no id fits it
                if read is not None:
                    ids = sorted({pk for model in read for pk in ids_for(model)})
                    concrete = instantiate(pattern, lambda _model, ids=ids: ids)
            elif probe_client.get(concrete[0]).status_code == 405:
                continue
        # the admin's own pages, and its bare /<id>/ redirects, as those who reach the admin
        is_admin = pattern.name.startswith("admin:") or pattern.model is not None
        (admin_urls if is_admin else urls).extend(concrete)
    urls, admin_urls = list(dict.fromkeys(urls)), list(dict.fromkeys(admin_urls))
    findings, walked, errors = walk(clients, urls, secrets)
    admin_findings, admin_walked, admin_errors = walk(
        {n: c for n, c in clients.items() if n in admin_viewers}, admin_urls, secrets
    )
    findings.update(admin_findings)
    return findings, walked + admin_walked, errors + admin_errors


def received_surfaces(viewers: dict, outbox) -> list[Surface]:
    """What each person received: in-app notifications and e-mails."""
    from engine.models import Notification

    by_email = {p.email: n for n, p in viewers.items()}
    surfaces = [
        Surface(name, f"notification {n.kind}", f"{n.title}\n{n.body}\n{n.url}")
        for name, person in viewers.items()
        for n in Notification.objects.filter(recipient=person)
    ]
    for message in outbox:
        for to in message.to:
            if to in by_email:
                surfaces.append(
                    Surface(
                        by_email[to],
                        f"email {message.subject}",
                        f"{message.subject}\n{message.body}",
                    )
                )
    return surfaces
