"""docs/objectnames.md is what `python -m ui.testing.catalogue` generates from the code today."""

from ui.testing.catalogue import DOC, generate


def test_the_objectname_catalogue_is_current(qapp):
    assert DOC.read_text(encoding="utf-8") == generate(), "run: python -m ui.testing.catalogue"
