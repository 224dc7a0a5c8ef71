"""The OpenAPI document's error answers (a drf-spectacular postprocessing hook).

Every operation can fail the same ways (planning.api.errors): a body `{detail, code}` with
the domain's or DRF's code, or for a field validation error DRF's `{field: [messages]}`. A
client generated from the schema should know those answers as well as the successes, so
each operation lists the statuses it can meet that it does not document itself.
"""

from __future__ import annotations

from typing import Any

ERROR = "Error"
ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "An error. `code` is stable (for example NotAuthenticated, Forbidden, "
    "NotFound, InvalidInput, Conflict, Throttled); `detail` is for people, in the request's "
    "language. Some errors add what the caller may act on (`qa_errors`, `overlaps`, "
    "`report` ...). A field validation error has instead one list of messages per field.",
    "properties": {"detail": {"type": "string"}, "code": {"type": "string"}},
    "additionalProperties": True,
}
_ERROR_REF = {"$ref": f"#/components/schemas/{ERROR}"}
# The error statuses operations document, and what each means here.
STATUSES = {
    "400": "Invalid input: a parameter, a field or an uploaded file.",
    "401": "Not signed in, or the token or password is wrong or expired (WWW-Authenticate: Token).",
    "403": "Signed in, but the account's role does not allow this.",
    "404": "No such object, or one the caller may not see.",
    "409": "The object's state does not allow this (for example a submitted revision).",
    "413": "The upload is larger than the server accepts.",
    "429": "Too many requests or failed sign-ins; Retry-After says when to try again.",
}
_WRITES = {"post", "put", "patch", "delete"}


def add_error_responses(result: dict, generator, request, public) -> dict:
    """drf-spectacular POSTPROCESSING_HOOKS entry: the Error component and, per operation,
    the error statuses it can answer that it does not document already."""
    result.setdefault("components", {}).setdefault("schemas", {})[ERROR] = ERROR_SCHEMA
    uploads = {
        name for name, schema in result["components"]["schemas"].items() if _has_file(schema)
    }
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in _statuses(path, method, _sends_file(operation, uploads)):
                responses.setdefault(status, _response(status))
    return result


def _statuses(path: str, method: str, sends_file: bool) -> list[str]:
    statuses = ["400", "401", "403", "429"]
    if "{" in path:
        statuses.append("404")
    if method in _WRITES and not path.startswith("/api/token/"):
        statuses.append("409")
    if sends_file:
        statuses.append("413")
    return statuses


def _has_file(schema: dict) -> bool:
    fields = schema.get("properties", {}).values()
    return any(field.get("format") == "binary" for field in fields)


def _sends_file(operation: dict, uploads: set[str]) -> bool:
    """Whether the operation's request body holds a file (a component with a binary field)."""
    bodies = operation.get("requestBody", {}).get("content", {}).values()
    refs = (body.get("schema", {}).get("$ref", "") for body in bodies)
    return any(ref.rsplit("/", 1)[-1] in uploads for ref in refs)


def _response(status: str) -> dict[str, Any]:
    return {
        "description": STATUSES[status],
        "content": {"application/json": {"schema": _ERROR_REF}},
    }
