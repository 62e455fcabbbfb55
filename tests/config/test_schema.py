"""The OpenAPI schema describes what the API answers (schemathesis checks the answers in
tests/config/test_fuzz.py; these pin the fixes it asked for)."""

import pytest
from drf_spectacular.generators import SchemaGenerator


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _op(schema, path, method):
    return schema["paths"][path][method]


def _response_schema(schema, path, method, status="200"):
    return _op(schema, path, method)["responses"][status]["content"]["application/json"]["schema"]


def test_every_operation_documents_the_error_responses(schema):
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            documented = set(operation["responses"])
            assert {"400", "403", "404"} <= documented, (method, path)
            if method in ("post", "put", "patch", "delete"):
                assert {"409", "413"} <= documented, (method, path)
            error = operation["responses"]["404"]["content"]["application/json"]["schema"]
            assert error == {"$ref": "#/components/schemas/Error"}


def test_every_operation_has_a_description(schema):
    """An integrator reads what each operation does, who may call it and what it answers."""
    missing = [
        f"{method.upper()} {path}"
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if not operation.get("description", "").strip()
    ]
    assert not missing, "operations without a description:\n" + "\n".join(missing)


@pytest.mark.parametrize(
    "path,names",
    [
        (
            "/api/v1/cases/",
            {"page", "status", "kind", "category", "grade", "unit", "date_from", "date_to"}
            | {"overdue", "q"},
        ),
        ("/api/v1/complaints/oversight/", {"status", "unit", "overdue", "q"}),
        ("/api/v1/reports/", {"page", "status", "spam", "q"}),
        ("/api/v1/monitoring/warnings/", {"page", "status"}),
        ("/api/v1/monitoring/cycles/", {"page", "level", "stage"}),
        ("/api/v1/notifications/", {"page", "unread"}),
        ("/api/v1/memberships/", {"page", "unit"}),
        ("/api/v1/tasks/", {"page", "state", "plan", "lead_unit", "category", "overdue"}),
        # a detail's whole lists: no page, and the list's filters do not apply to them
        ("/api/v1/plans/{id}/versions/", set()),
        ("/api/v1/plans/{id}/change-requests/", set()),
    ],
)
def test_lists_document_the_query_parameters_they_read(schema, path, names):
    parameters = _op(schema, path, "get").get("parameters", [])
    assert {p["name"] for p in parameters if p["in"] == "query"} == names


def test_a_filter_forms_parameters_say_what_each_filter_takes(schema):
    parameters = {p["name"]: p for p in _op(schema, "/api/v1/cases/", "get")["parameters"]}
    assert parameters["status"]["schema"]["enum"][0] == "submitted"
    assert parameters["category"]["schema"]["type"] == "integer"
    assert parameters["date_from"]["schema"]["format"] == "date"
    assert {"1", "0"} <= set(parameters["overdue"]["schema"]["enum"])
    assert parameters["q"]["schema"]["maxLength"] == 100
    # an empty value is no filter, not an error
    assert parameters["status"]["allowEmptyValue"] is True
    members = _op(schema, "/api/v1/memberships/", "get")["parameters"]
    assert [p["required"] for p in members if p["name"] == "unit"] == [True]


@pytest.mark.parametrize(
    "path,method",
    [
        ("/api/v1/plans/{id}/versions/", "get"),
        ("/api/v1/plans/{id}/change-requests/", "get"),
        ("/api/v1/notifications/preferences/", "get"),
        ("/api/v1/notifications/preferences/", "put"),
    ],
)
def test_lists_returned_whole_are_documented_as_arrays(schema, path, method):
    assert _response_schema(schema, path, method)["type"] == "array"


def test_ids_in_router_paths_are_integers(schema):
    parameters = _op(schema, "/api/v1/change-requests/{id}/vote/", "post")["parameters"]
    assert [p["schema"]["type"] for p in parameters if p["name"] == "id"] == ["integer"]


def test_nullable_case_fields_are_marked_nullable(schema):
    properties = schema["components"]["schemas"]["Case"]["properties"]
    assert all(properties[f].get("nullable") for f in ("category", "grade", "responsible_unit"))


def test_a_review_report_level_may_be_blank(schema):
    level = schema["components"]["schemas"]["SelfDiagnosisReport"]["properties"]["level"]
    assert {"$ref": "#/components/schemas/BlankEnum"} in level["oneOf"]


@pytest.mark.parametrize(
    "path,fields",
    [
        ("/api/v1/reports/intake/", {"subject", "description", "challenge_answer"}),
        ("/api/v1/complaints/intake/", {"title", "subject_unit", "challenge_token"}),
        ("/api/v1/reports/track/add/", {"code", "text"}),
        ("/api/v1/cases/", {"title", "subject_unit", "idempotency_key"}),
    ],
)
def test_form_backed_endpoints_document_their_request_body(schema, path, fields):
    body = _op(schema, path, "post")["requestBody"]["content"]["application/json"]["schema"]
    component = body["$ref"].rsplit("/", 1)[1]
    assert fields <= set(schema["components"]["schemas"][component]["properties"])
    assert component != "CaseDetail"


def test_a_cycles_evidence_is_listed_and_uploaded_as_documented(schema):
    path = "/api/v1/monitoring/cycles/{id}/evidence/"
    assert _response_schema(schema, path, "get")["type"] == "array"
    body = _op(schema, path, "post")["requestBody"]["content"]
    fields = schema["components"]["schemas"]["CycleEvidenceIn"]["properties"]
    assert "multipart/form-data" in body and fields["file"]["format"] == "binary"
    links = schema["components"]["schemas"]["CycleLinks"]["properties"]
    assert links["evidence"]["items"] == {"$ref": "#/components/schemas/CycleEvidence"}
