"""The built-in tool catalog."""

from __future__ import annotations

from fctune.data.synth.catalog import Tool

# Pairs of tools that can serve the same request; never offered as each other's distractor, never
# offered in a "no tool can do this" row for the other. Added to the pairs the tools declare.
EXTRA_OVERLAP = [
    ("stocks.quote", "stocks.price_history"),
    ("reminders.create", "calendar.create_event"),
    ("dining.find_restaurants", "maps.search_nearby"),
    ("notes.create", "fs.write_file"),
    ("home.set_lights", "home.dim_lights"),
]

_CATALOG: list[Tool] | None = None


def builtin_tools() -> list[Tool]:
    """All built-in tools (built once per process; the specs are read-only)."""
    global _CATALOG
    if _CATALOG is None:
        from fctune.data.synth.tools_a import TOOLS_A
        from fctune.data.synth.tools_b import TOOLS_B

        tools = TOOLS_A + TOOLS_B
        by_name = {t.name: t for t in tools}
        for a, b in EXTRA_OVERLAP:
            if a in by_name and b in by_name:
                by_name[a].overlap = tuple(sorted(set(by_name[a].overlap) | {b}))
                by_name[b].overlap = tuple(sorted(set(by_name[b].overlap) | {a}))
        _CATALOG = tools
    return _CATALOG
