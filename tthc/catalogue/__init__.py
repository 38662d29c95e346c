"""The official procedure catalogue: every record of the national portal's export, parsed
faithfully, kept in content/catalogue/ (one JSON-lines file per ministry).

    load_catalogue(dir) -> dict[code, CatalogueProcedure]     the catalogue, keyed by official code
    import_catalogue(dirs, content_dir, progress=None) -> ImportReport
    parse_record(data, ministry, source) -> Parsed              one record (procedure or problems)
"""

from tthc.catalogue.importer import ImportReport, import_catalogue, report_lines
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
from tthc.catalogue.parse import Parsed, Problem, RecordError, parse_record, read_record
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
    "ImportReport",
    "LegalDocument",
    "Parsed",
    "Problem",
    "RecordError",
    "Way",
    "catalogue_dir",
    "import_catalogue",
    "load_catalogue",
    "parse_record",
    "read_record",
    "report_lines",
    "signature",
]
