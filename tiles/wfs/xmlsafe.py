"""XML from callers is attack surface: parse it without entities, DTDs or network.

A document that declares a DOCTYPE is refused outright (billion laughs, external
entities), whatever the parser would have done with it.
"""

from __future__ import annotations

import re

from lxml import etree

from planning.errors import InvalidInput

MAX_XML_BYTES = 1_000_000


def parse_xml(data: bytes | str, *, what: str = "request") -> etree._Element:
    """The root element of a caller's XML document, or InvalidInput."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    if len(raw) > MAX_XML_BYTES:
        raise InvalidInput(f"The {what} XML is too large.")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    refused = InvalidInput(f"The {what} XML must not declare a DTD or entities.")
    try:
        root = etree.fromstring(raw, parser)
    except etree.XMLSyntaxError as exc:
        # libxml2 gives up on some entity bombs before the DOCTYPE check below could run
        # (in UTF-16 the declaration is not found in the raw bytes: its message names it)
        if _DOCTYPE.search(raw) or "entit" in str(exc).lower():
            raise refused from exc
        raise InvalidInput(f"The {what} is not well-formed XML.") from exc
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or _has_entities(root):
        raise refused
    return root


_DOCTYPE = re.compile(rb"<!DOCTYPE")


def _has_entities(root: etree._Element) -> bool:
    return any(isinstance(node, etree._Entity) for node in root.iter())


def local(tag: object) -> str:
    """An element's name without its namespace ('' for comments and the like)."""
    return etree.QName(tag).localname if isinstance(tag, str) else ""
