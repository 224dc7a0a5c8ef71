"""ezdxf's document audit, run so that it cannot keep the caller's data alive."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ezdxf.audit import Auditor
from ezdxf.document import Drawing


def audit(doc: Drawing) -> Auditor:
    """`doc.audit()` on a thread of its own.

    The audit parses an entity query with pyparsing, which keeps the traceback of a
    ParseException it caught. Every frame of a traceback links to its caller, so on the
    caller's thread that chain reached up to the import's own frames and held the whole
    drawing being converted (token lists, entities, geometries) in memory after the import
    had finished, and made the garbage collector walk it all. A thread's frames end at
    the thread."""
    with ThreadPoolExecutor(1, thread_name_prefix="dxf-audit") as pool:
        return pool.submit(doc.audit).result()
