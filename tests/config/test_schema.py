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
