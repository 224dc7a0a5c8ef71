"""The REST lists' paging: DRF's limit/offset, with its parameters checked.

DRF's LimitOffsetPagination ignores a limit that is not a number (`?limit=abc` answered the
default page) and has no maximum: `?limit=99999999999999999999999` reached PostgreSQL as a
bigint and answered 500 (QA walk). Here both are integers in range or a 400 with the API's
error body, and a page holds at most MAX_LIMIT rows, as /api/features/ does.
"""

from __future__ import annotations

from rest_framework.pagination import LimitOffsetPagination

from planning.api.params import MAX_LIMIT, parse_int

MAX_OFFSET = 2**62  # within PostgreSQL's bigint


class CheckedLimitOffsetPagination(LimitOffsetPagination):
    max_limit = MAX_LIMIT

    def get_limit(self, request) -> int:
        text = request.query_params.get(self.limit_query_param)
        return parse_int(text, self.limit_query_param, self.default_limit, 1, self.max_limit)

    def get_offset(self, request) -> int:
        text = request.query_params.get(self.offset_query_param)
        return parse_int(text, self.offset_query_param, 0, 0, MAX_OFFSET)
