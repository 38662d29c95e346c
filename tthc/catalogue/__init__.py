"""The official procedure catalogue: every record of the national portal's export, parsed
faithfully, kept in content/catalogue/ (one JSON-lines file per ministry).

    load_catalogue(dir) -> dict[code, CatalogueProcedure]     the catalogue, keyed by official code

The import and the parser (tthc.catalogue.importer, tthc.catalogue.parse) are imported from
their modules: they build on the content tools, which themselves load the catalogue.
    import_catalogue(dirs, content_dir, progress=None) -> ImportReport   (tthc.catalogue.importer)
    parse_record(data, ministry, source) -> Parsed                        (tthc.catalogue.parse)
"""

from tthc.catalogue.model import (
    CHARGED,
    FIELD_LABELS,
    FREE,
    LEVELS,
    MINISTRIES,
    SEE_NOTE,
    CatalogueProcedure,
    Document,
    FeePeriod,
    LegalDocument,
    Way,
)
from tthc.catalogue.store import CatalogueError, catalogue_dir, load_catalogue, signature

__all__ = [
    "CHARGED",
    "FIELD_LABELS",
    "FREE",
    "LEVELS",
    "MINISTRIES",
    "SEE_NOTE",
    "CatalogueError",
    "CatalogueProcedure",
    "Document",
    "FeePeriod",
    "LegalDocument",
    "Way",
    "catalogue_dir",
    "load_catalogue",
    "signature",
]
