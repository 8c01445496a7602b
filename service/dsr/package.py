"""The ZIP package answering an access or portability request: data, CSVs, notice and manifest.

A package holds these entries, sorted by name:

``README.txt``
    The information GDPR Art. 15(1)(a)-(h) and 15(2) requires beside the copy of the data, and
    for a CCPA request the categories, sources, purposes and rights the CCPA requires, filled
    from the ``controller`` dict (see ``CONTROLLER_DEFAULTS`` for its keys).
``data.json``
    Everything in one machine-readable document (UTF-8, ``ensure_ascii=False``).
``<kind>.csv``
    One CSV per record kind: UTF-8 with a byte-order mark (so spreadsheet programs read the
    accents right), a header row, RFC 4180 quoting, nested values as JSON text. Text cells that
    a spreadsheet would run as a formula (starting with ``= + - @``, tab or carriage return)
    get a leading single quote. An empty kind gives an empty file.
``manifest.json``
    Name, size and SHA-256 of every other entry, and the generation time.

The same inputs always give the same bytes: entries are sorted, every entry carries the
generation time (UTC wall clock, to the 2-second resolution of ZIP) as its timestamp,
permissions and creator system are fixed, and sets are written as sorted lists so hash
randomisation cannot reorder them.
"""

from __future__ import annotations

import csv
import enum
import hashlib
import io
import json
import re
import textwrap
import uuid
import zipfile
import zlib
from collections.abc import Mapping
from datetime import UTC, date, datetime
from datetime import time as time_of_day
from decimal import Decimal

PACKAGE_FORMAT = "dsr-access-package/1"
README_NAME = "README.txt"
DATA_NAME = "data.json"
MANIFEST_NAME = "manifest.json"

# The keys a ``controller`` dict may set, with the text used when it leaves one out (or sets it
# to None). List-valued keys also accept a single string. ``ccpa_sources`` defaults to
# ``sources`` when only the latter is given; ``sells_or_shares`` picks the CCPA opt-out wording.
CONTROLLER_DEFAULTS: dict[str, object] = {
    "name": "The controller",
    "contact": "the contact address given in our privacy notice",
    "dpo_contact": None,
    "purposes": [
        "Analysing public feedback about our products and services that was posted on "
        "social-media platforms.",
        "Detecting and removing personal data in that feedback before it is analysed (redaction).",
        "Handling your requests about your personal data and keeping a record of them.",
    ],
    "legal_basis": "Our legitimate interest in understanding public feedback about our "
    "products (GDPR Art. 6(1)(f)); for request records, our legal obligation (Art. 6(1)(c)).",
    "personal_data_categories": [
        "Public posts and comments you wrote, with their date, platform and link.",
        "Identifiers: user names, handles and profile links.",
        "Personal data found in your posts, such as names, e-mail addresses or phone numbers.",
        "Records of the requests you made to us and how we answered them.",
    ],
    "recipients": [
        "Our staff who analyse feedback, on a need-to-know basis.",
        "Hosting and infrastructure providers acting on our instructions as processors.",
    ],
    "retention": "Feedback is deleted once it is no longer needed for analysis; records of "
    "your requests are kept as long as we need them to show that we answered them lawfully.",
    "sources": [
        "The public social-media platforms where you posted the content "
        "(the platform of each item is listed in the data).",
    ],
    "transfers": "We do not transfer your personal data to countries outside the EU/EEA.",
    "supervisory_authority": "the data protection supervisory authority of the EU/EEA member "
    "state where you live, where you work, or where you think the infringement took place",
    "ccpa_categories": [
        "Identifiers (such as user names, handles and profile links).",
        "Internet or other electronic network activity information (your public posts and "
        "comments).",
    ],
    "ccpa_sources": [
        "Public social-media platforms where you posted the content.",
    ],
    "ccpa_third_parties": [
        "Service providers and contractors that host and operate our systems.",
    ],
    "sells_or_shares": False,
}

# Lower case only: "Findings.csv" and "findings.csv" would collide on case-insensitive disks.
_RECORD_KIND = re.compile(r"[a-z0-9_]{1,64}")
# OWASP's list: these lead characters make spreadsheet programs evaluate a cell as a formula.
_FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
_UNIX_CREATOR = 3
_FILE_MODE = 0o100644
_README_WIDTH = 78
_PLAIN_TYPES = frozenset({str, int, float, bool, type(None)})
_COMPACT_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
_SORTING_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False, sort_keys=True)
# The common exact types, looked up before the slower isinstance chain in _jsonable.
_SCALAR_CONVERTERS = {
    datetime: datetime.isoformat,
    date: date.isoformat,
    time_of_day: time_of_day.isoformat,
    uuid.UUID: str,
    Decimal: str,
}
# What reading a damaged entry can raise: bad CRC, corrupt deflate stream, truncation, or a
# compression method or encryption this zipfile cannot handle.
_UNREADABLE_ENTRY_ERRORS = (
    zipfile.BadZipFile,
    zlib.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
)
# data.json: document -> "records" -> kind -> one line per record.
_DATA_EXPAND_LEVELS = 3
_MANIFEST_EXPAND_LEVELS = 3


def build_access_package(
    *,
    request: dict,
    subject: dict,
    records: dict[str, list[dict]],
    controller: dict,
    generated_at: datetime,
) -> bytes:
    """Build the ZIP package answering an access or portability request and return its bytes.

    ``request`` is the request row (must have ``id``; ``regime`` "ccpa" adds the CCPA notice);
    ``subject`` the data subject with their identifiers; ``records`` maps a record kind (a file
    name stem: lower-case letters, digits, underscore) to its rows; ``controller`` fills the
    notice (missing keys fall back to ``CONTROLLER_DEFAULTS``); ``generated_at`` is an aware
    timestamp. Datetimes, dates, UUIDs, decimals and enums are written as ISO strings / text;
    any other non-JSON type raises TypeError, and NaN or infinite floats raise ValueError.
    """
    if generated_at.tzinfo is None or generated_at.utcoffset() is None:
        raise ValueError("generated_at must be timezone-aware")
    if "id" not in request:
        raise ValueError("request must have an 'id'")
    for kind in records:
        if not isinstance(kind, str) or not _RECORD_KIND.fullmatch(kind):
            raise ValueError(
                f"record kind {kind!r} must be 1-64 lower-case letters, digits or "
                "underscores (it becomes a file name)"
            )
    generated_at_utc = generated_at.astimezone(UTC)
    generated_at_text = generated_at_utc.isoformat()
    notice = _controller_notice(controller)
    kinds = sorted(records)
    rows_by_kind = {kind: _jsonable_rows(kind, records[kind]) for kind in kinds}
    request_data = _jsonable_at(request, "request")
    subject_data = _jsonable_at(subject, "subject")

    files: dict[str, bytes] = {
        DATA_NAME: _json_bytes(
            {
                "format": PACKAGE_FORMAT,
                "generated_at": generated_at_text,
                "controller": {"name": notice["name"], "contact": notice["contact"]},
                "request": request_data,
                "subject": subject_data,
                "record_counts": {kind: len(rows_by_kind[kind]) for kind in kinds},
                "records": rows_by_kind,
            },
            _DATA_EXPAND_LEVELS,
        ),
        README_NAME: _readme_text(
            notice=notice,
            request=request_data,
            generated_at_text=generated_at_text,
            counts={kind: len(rows_by_kind[kind]) for kind in kinds},
        ).encode("utf-8"),
    }
    for kind in kinds:
        files[f"{kind}.csv"] = _csv_bytes(rows_by_kind[kind])
    files[MANIFEST_NAME] = _json_bytes(
        {
            "format": PACKAGE_FORMAT,
            "generated_at": generated_at_text,
            "request_id": request_data["id"],
            "files": [
                {"name": name, "bytes": len(content), "sha256": hashlib.sha256(content).hexdigest()}
                for name, content in sorted(files.items())
            ],
        },
        _MANIFEST_EXPAND_LEVELS,
    )
    return _zip_bytes(files, _zip_timestamp(generated_at_utc))


def verify_package(zip_bytes: bytes) -> list[str]:
    """Return the problems found checking a package against its manifest (empty when it matches)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(zip_bytes))
    except zipfile.BadZipFile as exc:
        return [f"not a ZIP file: {exc}"]
    with archive:
        names = [info.filename for info in archive.infolist()]
        problems = [
            f"{name} appears {names.count(name)} times"
            for name in sorted(set(names))
            if names.count(name) > 1
        ]
        if MANIFEST_NAME not in names:
            return [*problems, f"{MANIFEST_NAME} is missing"]
        try:
            manifest = json.loads(archive.read(MANIFEST_NAME))
            listed = {str(entry["name"]): entry for entry in manifest["files"]}
        except (*_UNREADABLE_ENTRY_ERRORS, ValueError, KeyError, TypeError) as exc:
            return [*problems, f"{MANIFEST_NAME} is unreadable: {exc}"]
        for name, entry in sorted(listed.items()):
            if name not in names:
                problems.append(f"{name} is listed in the manifest but missing")
                continue
            try:
                content = archive.read(name)
            except _UNREADABLE_ENTRY_ERRORS as exc:
                problems.append(f"{name} cannot be read: {exc}")
                continue
            if len(content) != entry.get("bytes"):
                problems.append(
                    f"{name} is {len(content)} bytes; the manifest says {entry.get('bytes')}"
                )
            if hashlib.sha256(content).hexdigest() != entry.get("sha256"):
                problems.append(f"{name} does not match its SHA-256 in the manifest")
        problems.extend(
            f"{name} is not listed in the manifest"
            for name in sorted(set(names) - set(listed) - {MANIFEST_NAME})
        )
    return problems


class _UnsupportedValueError(TypeError):
    """A value of a type the package cannot write; ``location`` is filled in while unwinding."""

    def __init__(self, value: object) -> None:
        super().__init__()
        self.type_name = type(value).__name__
        self.location = ""

    def __str__(self) -> str:
        return f"{self.location}: cannot write a {self.type_name} into the package"


def _jsonable_rows(kind: str, rows: list[dict]) -> list[dict]:
    converted = []
    for index, row in enumerate(rows):
        location = f"records[{kind!r}][{index}]"
        if not isinstance(row, Mapping):
            raise TypeError(f"{location}: a record must be a dict, got {type(row).__name__}")
        converted.append(_jsonable_at(row, location))
    return converted


def _jsonable_at(value: object, location: str) -> object:
    try:
        return _jsonable(value)
    except _UnsupportedValueError as exc:
        exc.location = location + exc.location
        raise


def _jsonable(value: object) -> object:
    # One pass that turns a value into plain JSON types, so data.json and the CSVs agree. The
    # location of a bad value is only assembled when one is found, keeping the common path fast.
    value_type = type(value)
    if value_type in _PLAIN_TYPES:
        return value
    convert_scalar = _SCALAR_CONVERTERS.get(value_type)
    if convert_scalar is not None:
        return convert_scalar(value)
    if value_type is dict or isinstance(value, Mapping):
        converted = {}
        for key, item in value.items():
            try:
                converted[str(key)] = item if type(item) in _PLAIN_TYPES else _jsonable(item)
            except _UnsupportedValueError as exc:
                exc.location = f".{key}{exc.location}"
                raise
        return converted
    if isinstance(value, list | tuple | set | frozenset):
        converted_items = []
        for index, item in enumerate(value):
            try:
                converted_items.append(item if type(item) in _PLAIN_TYPES else _jsonable(item))
            except _UnsupportedValueError as exc:
                exc.location = f"[{index}]{exc.location}"
                raise
        if isinstance(value, set | frozenset):
            # Set order follows string hashing, which changes from one process to the next.
            converted_items.sort(key=_SORTING_ENCODER.encode)
        return converted_items
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    if isinstance(value, datetime | date | time_of_day):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    # Subclasses of the plain types become the plain type, so data.json and CSV agree.
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    raise _UnsupportedValueError(value)


def _json_bytes(document: dict, expand_levels: int) -> bytes:
    return (_pretty_json(document, expand_levels) + "\n").encode("utf-8")


def _pretty_json(value: object, expand_levels: int, indent: str = "") -> str:
    # json's indent= switches to its pure-Python encoder, several times slower than the C one.
    # So the outer levels are laid out here by hand and everything deeper (in data.json: each
    # record) is one compact C-encoded line, which stays readable and fast to write.
    if expand_levels > 0 and isinstance(value, dict | list) and value:
        inner = indent + "  "
        if isinstance(value, dict):
            opening, closing = "{", "}"
            members = [
                f"{inner}{_COMPACT_ENCODER.encode(key)}: "
                + _pretty_json(item, expand_levels - 1, inner)
                for key, item in value.items()
            ]
        else:
            opening, closing = "[", "]"
            members = [f"{inner}{_pretty_json(item, expand_levels - 1, inner)}" for item in value]
        return f"{opening}\n" + ",\n".join(members) + f"\n{indent}{closing}"
    return _COMPACT_ENCODER.encode(value)


def _csv_bytes(rows: list[dict]) -> bytes:
    if not rows:
        return b""
    # Columns in order of first appearance keep the row producer's order (id first, ...).
    columns = list(dict.fromkeys(column for row in rows for column in row))
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(column) for column in columns])
    writer.writerows([_csv_cell(row.get(column)) for column in columns] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _csv_cell(value: object) -> str:
    if type(value) is str:
        return _defuse_formula(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        # A number is never a formula; prefixing "-5" would corrupt the value.
        return repr(value)
    if isinstance(value, dict | list):
        return _COMPACT_ENCODER.encode(value)
    return _defuse_formula(str(value))


def _defuse_formula(text: str) -> str:
    return "'" + text if text.startswith(_FORMULA_LEADS) else text


def _zip_timestamp(generated_at_utc: datetime) -> tuple[int, int, int, int, int, int]:
    stamp = generated_at_utc.timetuple()[:6]
    # ZIP timestamps cannot go below 1980 and have 2-second resolution.
    stamp = max(stamp, _ZIP_EPOCH)
    return (*stamp[:5], stamp[5] - stamp[5] % 2)


def _zip_bytes(files: dict[str, bytes], timestamp: tuple[int, int, int, int, int, int]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=timestamp)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = _UNIX_CREATOR
            info.external_attr = _FILE_MODE << 16
            archive.writestr(info, files[name], compresslevel=6)
    return buffer.getvalue()


def _controller_notice(controller: dict) -> dict[str, object]:
    notice = dict(CONTROLLER_DEFAULTS)
    notice.update({key: value for key, value in controller.items() if value is not None})
    # The platforms a controller names are the CCPA's "categories of sources" as well.
    if controller.get("ccpa_sources") is None and controller.get("sources") is not None:
        notice["ccpa_sources"] = notice["sources"]
    for key in (
        "purposes",
        "personal_data_categories",
        "recipients",
        "sources",
        "ccpa_categories",
        "ccpa_sources",
        "ccpa_third_parties",
    ):
        if isinstance(notice[key], str):
            notice[key] = [notice[key]]
    return notice


def _readme_text(
    *, notice: dict, request: dict, generated_at_text: str, counts: dict[str, int]
) -> str:
    title = f"Your personal data held by {notice['name']}"
    contact = notice["contact"]
    blocks = [
        title,
        "=" * len(title),
        "",
        f"Request: {request['id']}",
        f"Generated: {generated_at_text}",
        f"Contact: {contact}",
    ]
    if notice.get("dpo_contact"):
        blocks.append(f"Data protection officer: {notice['dpo_contact']}")
    blocks += [
        "",
        "This package is a copy of the personal data we hold about you, in a structured, "
        "commonly used, machine-readable format that you may pass on to another organisation.",
        "",
        *_heading("Files"),
        f"- {DATA_NAME}: all of the data below in one JSON document.",
        *(
            f"- {kind}.csv: {count} record{'' if count == 1 else 's'} of kind {kind!r}."
            for kind, count in counts.items()
        ),
        f"- {MANIFEST_NAME}: the size and SHA-256 checksum of every other file, so you can "
        "check that nothing was altered.",
        "",
        "The CSV files are UTF-8 text. A text cell that begins with = + - or @ starts with an "
        "extra single quote (') so that spreadsheet programs show it as text instead of running it "
        "as a formula.",
        "",
        *_heading("About the processing (GDPR Art. 15)"),
        "(a) Purposes of the processing",
        *_bullets(notice["purposes"]),
        f"Legal basis: {notice['legal_basis']}",
        "",
        "(b) Categories of personal data",
        *_bullets(notice["personal_data_categories"]),
        "",
        "(c) Recipients or categories of recipients",
        *_bullets(notice["recipients"]),
        f"Transfers outside the EU/EEA (Art. 15(2)): {notice['transfers']}",
        "",
        "(d) How long we keep the data",
        str(notice["retention"]),
        "",
        "(e) Your rights",
        "You may ask us to correct inaccurate data (rectification, Art. 16), to erase it "
        "(Art. 17) and to restrict its processing (Art. 18), and you may object to processing "
        f"based on our legitimate interests (Art. 21). Write to: {contact}.",
        "",
        "(f) Complaints",
        "You have the right to lodge a complaint with a supervisory authority (Art. 77): "
        f"{notice['supervisory_authority']}.",
        "",
        "(g) Where the data came from",
        "Apart from the requests you sent us, we did not collect this data from you directly. "
        "Its sources:",
        *_bullets(notice["sources"]),
        "",
        "(h) Automated decision-making",
        "We make no decisions about you based solely on automated processing, including "
        "profiling (Art. 22). Software detects personal data in posts so that it can be "
        "removed; that is automated tooling, not a decision about you.",
    ]
    if str(request.get("regime", "")).lower() == "ccpa":
        blocks += ["", *_ccpa_section(notice)]
    return "\n".join(_wrap(block) for block in blocks) + "\n"


def _ccpa_section(notice: dict) -> list[str]:
    if notice["sells_or_shares"]:
        sale_statement = (
            "We sell or share personal information as described in our privacy notice. You may "
            "tell us to stop at any time."
        )
    else:
        sale_statement = (
            "We do not sell or share your personal information. You still have the right to "
            "tell us never to do so."
        )
    return [
        *_heading("California residents (CCPA)"),
        "Categories of personal information we collected about you",
        *_bullets(notice["ccpa_categories"]),
        "",
        "Categories of sources",
        *_bullets(notice["ccpa_sources"]),
        "",
        "Business or commercial purposes",
        *_bullets(notice["purposes"]),
        "",
        "Categories of third parties to whom we disclose it",
        *_bullets(notice["ccpa_third_parties"]),
        "",
        "Right to opt out of sale or sharing",
        sale_statement,
        "",
        "Your other rights",
        "You may ask us to delete or correct your personal information, to tell you more about "
        "it, and to limit the use of your sensitive personal information. Write to: "
        f"{notice['contact']}.",
        "",
        "Non-discrimination",
        "We will not discriminate against you for exercising any of these rights: we will not "
        "deny you goods or services, charge you a different price or give you a different "
        "quality of service because you made a request.",
    ]


def _heading(text: str) -> list[str]:
    return [text, "-" * len(text), ""]


def _bullets(items: list) -> list[str]:
    return [f"- {item}" for item in items]


def _wrap(block: str) -> str:
    # Bullets wrap with a hanging indent so each item still reads as one.
    indent = "  " if block.startswith("- ") else ""
    return (
        textwrap.fill(
            block,
            width=_README_WIDTH,
            subsequent_indent=indent,
            break_on_hyphens=False,
            break_long_words=False,
        )
        or block
    )
