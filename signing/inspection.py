"""Active content in a PDF: JavaScript, launch actions and actions that run by themselves.

An official document never needs them; a viewer that honours them runs code the sender chose
(on opening, on a page turn, on a click). They are found here, in the validator's bounded child
process, so that the application can warn the reader and refuse to render the file inline.
"""

from __future__ import annotations

from typing import Any

from pyhanko.pdf_utils.generic import ArrayObject, DictionaryObject, IndirectObject
from pyhanko.pdf_utils.misc import PdfError

JAVASCRIPT = "javascript"  # a /JavaScript action, a /JS entry or the /JavaScript name tree
LAUNCH = "launch"  # a /Launch action: open another file or program
OPEN_ACTION = "open_action"  # an action (not a mere destination) run when the file is opened
ADDITIONAL_ACTIONS = "additional_actions"  # /AA: actions on open/close/page/field events

# A hostile file can hold millions of objects; past this many the walk stops (the bounded
# child's time and memory limits still apply to what was read).
MAX_OBJECTS = 200_000


def active_content(reader: Any) -> list[str]:
    """What active content the document holds, as sorted codes (empty when none)."""
    found: set[str] = set()
    root = reader.root
    open_action = root.get("/OpenAction")
    if isinstance(open_action, DictionaryObject):
        found.add(OPEN_ACTION)
    names = root.get("/Names")
    if isinstance(names, DictionaryObject) and "/JavaScript" in names:
        found.add(JAVASCRIPT)

    seen: set[tuple[int, int]] = set()
    stack: list[Any] = [reader.trailer.raw_get("/Root")]
    visited = 0
    while stack and visited < MAX_OBJECTS:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            try:
                item = item.get_object()
            except (PdfError, ValueError, KeyError, TypeError):  # a dangling or broken object
                continue
        visited += 1
        if isinstance(item, DictionaryObject):
            action = item.get("/S")
            if action == "/JavaScript" or "/JS" in item:
                found.add(JAVASCRIPT)
            elif action == "/Launch":
                found.add(LAUNCH)
            if "/AA" in item:
                found.add(ADDITIONAL_ACTIONS)
            stack.extend(value for name, value in item.items() if name != "/Parent")
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return sorted(found)
