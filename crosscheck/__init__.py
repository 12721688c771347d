"""Golden-record cross-check: compare extracted documents with the person an office knows.

Public API::

    from crosscheck import open_store, check_result, check_case, import_file
    store = open_store("sqlite:///golden.sqlite3")        # or "postgresql://…", or mapping=…
    import_file("people.csv", store)                     # validated, idempotent upserts
    check_result(result, store)                          # fills result.documents[i].crosscheck
    report = check_case([result1, result2], store)       # CaseReport: flags with reasons
"""
import logging as _logging

from matex.privacy import RedactingFilter as _RedactingFilter

from .case import CaseFlag, CaseReport, check_case
from .check import agree_confidence, check_document, check_result, compare_value, disagree_confidence
from .importer import ImportReport, import_file, import_rows
from .models import GOLDEN_FIELDS, FieldMap, GoldenRecord, default_fieldmap
from .store import MappedGoldenStore, MemoryGoldenStore, SqlGoldenStore, open_store, resolve_url

# ID numbers never reach a log unmasked: a filter on every logger of this package
# (logger filters are not inherited, so each is named).
for _name in ("crosscheck", "crosscheck.check", "crosscheck.store", "crosscheck.case",
              "crosscheck.importer"):
    _logging.getLogger(_name).addFilter(_RedactingFilter())

__all__ = [
    "check_result", "check_document", "check_case", "compare_value", "agree_confidence",
    "disagree_confidence", "CaseReport", "CaseFlag", "import_file", "import_rows", "ImportReport",
    "GoldenRecord", "GOLDEN_FIELDS", "FieldMap", "default_fieldmap", "SqlGoldenStore",
    "MappedGoldenStore", "MemoryGoldenStore", "open_store", "resolve_url",
]
