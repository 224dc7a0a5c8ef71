"""One handler turns domain errors into JSON problems with their own HTTP status."""

from __future__ import annotations

import logging

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.defaults import page_not_found
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from planning.api.auth import TokenExpired
from planning.errors import NotFound, PlanningError

log = logging.getLogger(__name__)


SAFE_DETAILS = {
    "attribute",
    "open_comments",
    "overlaps",
    "placed",
    "placed_text",
    "plan_in_force",
    "qa_errors",
}

# Django REST framework's own messages that its Vietnamese catalogue leaves in English: listed
# here so that makemessages keeps them in the project's catalogue, which Django consults first
# (LOCALE_PATHS). "Authentication credentials were not provided." answers, for example, an
# anonymous POST.
DRF_MESSAGES = (
    gettext_noop("Authentication credentials were not provided."),
    gettext_noop("Incorrect authentication credentials."),
    gettext_noop("Malformed request."),
    gettext_noop("Could not satisfy the request Accept header."),
    gettext_noop('Unsupported media type "{media_type}" in request.'),
    gettext_noop("Request was throttled."),
    # Field errors of serializers and forms (the QA walk met each in English).
    gettext_noop('"{input}" is not a valid choice.'),
    gettext_noop("A valid integer is required."),
    gettext_noop("A valid number is required."),
    gettext_noop("Datetime has wrong format. Use one of these formats instead: {format}."),
    gettext_noop("Ensure this field has at least {min_length} characters."),
    gettext_noop("Ensure this field has no more than {max_length} characters."),
    gettext_noop("Ensure this value is greater than or equal to {min_value}."),
    gettext_noop("Ensure this value is less than or equal to {max_value}."),
    gettext_noop('Expected a dictionary of items but got type "{input_type}".'),
    gettext_noop('Expected a list of items but got type "{input_type}".'),
    gettext_noop("Incorrect type. Expected pk value, received {data_type}."),
    gettext_noop("Invalid data. Expected a dictionary, but got {datatype}."),
    gettext_noop('Invalid pk "{pk_value}" - object does not exist.'),
    gettext_noop("Invalid value."),
    gettext_noop("Must be a valid boolean."),
    gettext_noop("Not a valid string."),
    gettext_noop("Null characters are not allowed."),
    gettext_noop("String value too large."),
    gettext_noop("The submitted data was not a file. Check the encoding type on the form."),
    gettext_noop("This field may not be null."),
)

# Http404 of a viewset's get_object, by model: Django's own text ("No Revision matches the
# given query.") is English and names the class.
NOT_FOUND = {
    "Project": gettext_lazy("No such project."),
    "Revision": gettext_lazy("No such revision."),
    "Layer": gettext_lazy("No such layer."),
    "Feature": gettext_lazy("No such feature."),
    "LandUseCategory": gettext_lazy("No such land-use category."),
}


def _not_found(context) -> NotFound:
    serializer = getattr(context.get("view"), "serializer_class", None)
    model = getattr(getattr(serializer, "Meta", None), "model", None)
    message = NOT_FOUND.get(getattr(model, "__name__", ""), None)
    return NotFound(str(message) if message else _("Not found."))


# DRF's own errors, coded as the domain's are (PlanningError.code); field validation errors
# keep DRF's {field: [messages]} body, since a field may itself be called "code".
DRF_CODES = {
    drf.NotAuthenticated: "NotAuthenticated",
    drf.AuthenticationFailed: "NotAuthenticated",
    drf.PermissionDenied: "Forbidden",
    drf.NotFound: "NotFound",
    drf.MethodNotAllowed: "MethodNotAllowed",
    drf.NotAcceptable: "NotAcceptable",
    drf.UnsupportedMediaType: "UnsupportedMediaType",
    drf.ParseError: "InvalidFormat",
    drf.Throttled: "Throttled",
    TokenExpired: "NotAuthenticated",
}
# Paths whose clients read JSON: a 404 there is the API's body, not the site's page.
JSON_PREFIXES = ("/api/", "/ogcapi/", "/vtiles/", "/legend/", "/3dtiles/")


def exception_handler(exc, context):
    if isinstance(exc, Http404):
        exc = _not_found(context)
    if isinstance(exc, PlanningError):
        log.info("API %s: %s (%s)", exc.status, exc.message, exc.details)
        return Response(problem(exc), status=exc.status)
    response = drf_exception_handler(exc, context)
    code = next((code for kind, code in DRF_CODES.items() if isinstance(exc, kind)), None)
    if response is not None and code and isinstance(response.data, dict):
        response.data.setdefault("code", code)
    return response


def not_found_page(request: HttpRequest, exception: Exception) -> HttpResponse:
    """handler404: JSON under JSON_PREFIXES, else the site's page."""
    if request.path.startswith(JSON_PREFIXES):
        body = {"detail": _("Not found."), "code": NotFound.code}
        return JsonResponse(body, status=404, json_dumps_params={"ensure_ascii": False})
    return page_not_found(request, exception)


def problem(exc: PlanningError) -> dict[str, object]:
    """The JSON body of a domain error (the API's, and `manage.py import_cad --json`'s)."""
    body: dict[str, object] = {"detail": exc.message, "code": exc.code}
    if isinstance(exc.details, dict) and exc.details.get("rejected") is not None:
        body["report"] = exc.details
    elif isinstance(exc.details, dict):
        # Only what the caller may act on: overlapping lots, QA error and open comment counts,
        # the plan in force a stale revision would undo, the attribute an edit refused.
        body.update({k: v for k, v in exc.details.items() if k in SAFE_DETAILS})
    return body
