"""The file / survey listener: CSV and JSON Lines exports → Mention, or Reject with the line and the reason."""

from __future__ import annotations

import csv
import gzip
import hashlib
import json
import re
import zlib
from collections import deque
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO, Literal

from listeners.file.fields import REQUIRED_FIELDS, FieldProblem, json_type, mention_fields
from models.errors import FatalError, RecordError
from models.mention import CursorUpdate, Mention, Reject, mention_from_dict

FileFormat = Literal["csv", "jsonl"]
SUFFIXES: dict[str, FileFormat] = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
MAX_LINE_BYTES = 1_048_576  # one physical line; anything longer is a broken export, not a mention
MAX_RECORD_LINES = 200  # a quoted CSV field spanning more lines than this is an unterminated quote
LINE_KEY = "_line"  # added to each Mention's `raw`: the 1-based line the row starts on
MAX_PAYLOAD_CHARS = 2_000  # what a Reject keeps of the offending input, for audit
_CSV_SPECIAL = re.compile(rb'[",]')
# CSV scanner transitions. States: 0 field start, 1 unquoted field, 2 quoted field, 3 quote seen in a quoted field.
_ON_QUOTE = {0: 2, 1: 1, 2: 3, 3: 2}
_ON_COMMA = {0: 0, 1: 0, 2: 2, 3: 0}
_UTF8_BOM = b"\xef\xbb\xbf"
_UTF8_HINT = "save the file as UTF-8 (in Excel: 'CSV UTF-8')"


class _Unreadable(Exception):
    """The file cannot be read past this line (truncated gzip, UTF-16 text): one Reject, then stop."""

    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line = line
        self.reason = reason


def file_format(path: Path) -> tuple[FileFormat, bool]:
    """The format of an import file from its name (`.csv`, `.jsonl`, `.ndjson`, each optionally `.gz`)."""
    name = path.name.lower()
    compressed = name.endswith(".gz")
    suffix = Path(name.removesuffix(".gz")).suffix
    if suffix not in SUFFIXES:
        known = ", ".join(f"{s}[.gz]" for s in SUFFIXES)
        raise FatalError(f"{path}: unsupported import file type {suffix or '(none)'!r}; use one of {known}")
    return SUFFIXES[suffix], compressed


def unreadable_file(path: Path) -> FatalError:
    """The error for an import file that cannot be read at all, saying what is wrong with it and what to do."""
    path = Path(path)
    if not path.exists():
        problem = "not found"
    elif path.is_dir():
        problem = "is a directory, not a CSV/JSONL file"
    else:
        problem = "cannot be read (check its permissions)"
    return FatalError(f"import file {path} {problem}: fix the path, or remove it from [imports] files")


def file_cursor(path: Path) -> CursorUpdate:
    """A cursor for an import file: the sha256 of its bytes, so an unchanged file can be skipped."""
    digest = hashlib.sha256()
    try:
        with Path(path).open("rb") as handle:
            for chunk in iter(lambda: handle.read(1 << 20), b""):
                digest.update(chunk)
    except OSError:
        raise unreadable_file(path) from None
    return CursorUpdate(channel="file", scope=str(Path(path).resolve()), value=digest.hexdigest())


class FileListener:
    """Reads mentions or survey answers from a CSV / JSONL file (optionally gzipped); bad rows become Rejects."""

    def __init__(self, path: Path, *, default_channel: str = "file") -> None:
        self.path = Path(path)
        self.default_channel = default_channel
        self.format, self.compressed = file_format(self.path)

    @property
    def source(self) -> str:
        """The file path, as recorded in each Reject."""
        return str(self.path)

    def read(self) -> Iterator[Mention | Reject]:
        """Yield a Mention for every good row and a Reject (line number + reason) for every bad one, in order."""
        if not self.path.is_file():
            raise unreadable_file(self.path)
        lines = self._physical_lines()
        try:
            if self.format == "csv":
                yield from self._read_csv(lines)
            else:
                yield from self._read_jsonl(lines)
        except _Unreadable as exc:
            yield Reject(source=self.source, reason=exc.reason, line=exc.line)

    # -- reading ---------------------------------------------------------------------------------------------

    def _open(self) -> BinaryIO:
        if self.compressed:
            return gzip.open(self.path, "rb")  # type: ignore[return-value]
        return self.path.open("rb")

    def _physical_lines(self) -> Iterator[tuple[int, bytes, bool]]:
        """(1-based line number, bytes, too long) per `\\n`-terminated line; bytes are decoded later, per line."""
        lineno = 0
        try:
            with self._open() as handle:
                while line := handle.readline(MAX_LINE_BYTES + 1):
                    lineno += 1
                    too_long = len(line) > MAX_LINE_BYTES and not line.endswith(b"\n")
                    if too_long:
                        # Skip the rest of the line without ever holding it in memory.
                        while (rest := handle.readline(MAX_LINE_BYTES)) and not rest.endswith(b"\n"):
                            pass
                    if lineno == 1:
                        if line.startswith((b"\xff\xfe", b"\xfe\xff")):
                            raise _Unreadable(1, f"the file is UTF-16 text; {_UTF8_HINT}")
                        line = line.removeprefix(_UTF8_BOM)  # Excel writes a BOM before the header
                    yield lineno, line, too_long
        except (OSError, EOFError, zlib.error) as exc:
            raise _Unreadable(lineno + 1, f"cannot read the file past line {lineno}: {exc}") from None

    def _read_jsonl(self, lines: Iterable[tuple[int, bytes, bool]]) -> Iterator[Mention | Reject]:
        for lineno, raw, too_long in lines:
            if too_long:
                yield self._reject(lineno, f"line is longer than {MAX_LINE_BYTES:,} bytes", raw)
                continue
            if not raw.strip():
                continue
            try:
                text = _decode(raw, lineno).strip()
                # strict=False lets a raw control character through so the NUL check below can name its field.
                row = json.loads(text, strict="\x00" not in text, parse_constant=_no_constant)
            except FieldProblem as exc:
                yield self._reject(lineno, str(exc), raw)
                continue
            except json.JSONDecodeError as exc:
                yield self._reject(lineno, f"malformed JSON: {exc.msg} at column {exc.colno}", raw)
                continue
            if not isinstance(row, dict):
                yield self._reject(lineno, f"expected one JSON object per line, got {json_type(row)}", raw)
                continue
            yield self._build(row, row, lineno, raw)

    def _read_csv(self, lines: Iterable[tuple[int, bytes, bool]]) -> Iterator[Mention | Reject]:
        header: list[str] | None = None
        names: list[str] = []
        for start, record in _csv_records(lines):
            payload = b"".join(raw for _, raw, _ in record)
            if isinstance(start, str):  # an unterminated quote or an over-long line: `start` carries the reason
                if header is None:
                    yield self._reject(record[0][0], f"cannot read the header row: {start}", payload)
                    return
                yield self._reject(record[0][0], start, payload)
                continue
            if not payload.strip():
                continue
            try:
                fields = _parse_csv_record([_decode(raw, n) for n, raw, _ in record])
            except FieldProblem as exc:
                if header is None:
                    yield self._reject(start, f"cannot read the header row: {exc}", payload)
                    return
                yield self._reject(start, str(exc), payload)
                continue
            if header is None:
                header, names = fields, [name.strip().lower() for name in fields]
                problem = _header_problem(names)
                if problem:
                    # Without the columns no row can load: one clear Reject instead of one per row.
                    yield self._reject(start, problem, payload)
                    return
                continue
            if len(fields) != len(header):
                yield self._reject(
                    start,
                    f"row has {len(fields)} fields but the header has {len(header)}"
                    " (quote any text that contains a comma or a line break)",
                    payload,
                )
                continue
            raw_row = {(column or f"column_{i + 1}"): fields[i] for i, column in enumerate(header)}
            values = {name: (fields[i] if fields[i].strip() else None) for i, name in enumerate(names) if name}
            yield self._build(values, raw_row, start, payload)

    # -- one row → Mention | Reject --------------------------------------------------------------------------

    def _build(self, values: dict[str, Any], raw_row: dict[str, Any], line: int, payload: bytes) -> Mention | Reject:
        channel = values.get("channel")
        channel = channel if channel not in (None, "") else self.default_channel
        record_id = values.get("id")
        record_id = str(record_id).strip() or None if isinstance(record_id, str | int) else None
        try:
            data = mention_fields(values, channel)
            # The row as it was, plus where it started, so later steps (brand assignment) can point at the line.
            data["raw"] = {**raw_row, LINE_KEY: line}
            return mention_from_dict(data, source=self.source, line=line)
        except FieldProblem as exc:
            reason = str(exc)
        except RecordError as exc:
            # Model-level checks (rating vs scale) report their location as "record"; the message names the field.
            reason = exc.reason.removeprefix("record: ")
        return self._reject(line, reason, payload, channel=str(channel), record_id=record_id)

    def _reject(
        self, line: int, reason: str, payload: bytes, *, channel: str | None = None, record_id: str | None = None
    ) -> Reject:
        return Reject(
            source=self.source,
            reason=reason,
            line=line,
            channel=channel,
            record_id=record_id,
            payload=_payload(payload),
        )


# --------------------------------------------------------------------------------------------------------------
# Pure helpers
# --------------------------------------------------------------------------------------------------------------


def _decode(raw: bytes, lineno: int) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        bad = raw[exc.start : exc.start + 1].hex()
        raise FieldProblem(
            f"line {lineno} is not valid UTF-8 (byte 0x{bad} at byte {exc.start + 1}); {_UTF8_HINT}"
        ) from None


def _no_constant(name: str) -> Any:
    # Python's json accepts NaN and Infinity, but they are not JSON and would break the warehouse's JSON column.
    raise FieldProblem(f"malformed JSON: {name} is not a valid JSON value (write null or a number)")


def _payload(raw: bytes) -> str:
    text = raw.decode("utf-8", "backslashreplace").rstrip("\r\n").replace("\x00", "\\x00")
    return text if len(text) <= MAX_PAYLOAD_CHARS else text[:MAX_PAYLOAD_CHARS] + "…[truncated]"


def _header_problem(names: list[str]) -> str | None:
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            return f"column {name!r} appears twice in the header"
        seen.add(name)
    missing = [name for name in REQUIRED_FIELDS if name not in seen]
    if missing:
        found = ", ".join(name for name in names if name) or "none"
        return (
            f"missing required column(s) {', '.join(missing)} in the header "
            f"(every file needs id, text and created_at; columns found: {found})"
        )
    return None


def _csv_state(line: bytes, quoted: bool) -> tuple[bool, bool]:
    """(quoted field still open at the end of this line, a closing quote was followed by stray text)."""
    # The csv module's own rules in non-strict mode, so the scanner and the parser agree on where a record ends.
    state = 2 if quoted else 0
    position = 0
    stray = False
    body = line.rstrip(b"\r\n")
    for match in _CSV_SPECIAL.finditer(body):
        if match.start() > position and state in (0, 3):
            stray = stray or state == 3
            state = 1  # ordinary characters: a quote from here on is literal (e.g. 5" screen)
        state = (_ON_QUOTE if match.group() == b'"' else _ON_COMMA)[state]
        position = match.end()
    stray = stray or (state == 3 and len(body) > position)
    return state == 2, stray


def _csv_records(
    lines: Iterable[tuple[int, bytes, bool]],
) -> Iterator[tuple[int | str, list[tuple[int, bytes, bool]]]]:
    """Group physical lines into CSV records: (start line, lines), or (reason, lines) for a broken record."""
    source = iter(lines)
    pending: deque[tuple[int, bytes, bool]] = deque()
    while True:
        first = pending.popleft() if pending else next(source, None)
        if first is None:
            return
        if first[2]:
            yield f"line is longer than {MAX_LINE_BYTES:,} bytes", [first]
            continue
        record = [first]
        quoted, stray = _csv_state(first[1], False)
        broken = False
        while quoted and len(record) < MAX_RECORD_LINES:
            following = pending.popleft() if pending else next(source, None)
            if following is None or following[2]:
                if following is not None:
                    pending.appendleft(following)
                break
            record.append(following)
            quoted, stray = _csv_state(following[1], True)
            # A multi-line field that "closes" on a quote followed by text (27" monitor) most likely opened by
            # mistake and swallowed whole rows; a real multi-line field ends with the quote before a comma.
            broken = broken or stray
        if quoted or broken:
            # Reject only the line that opened the quote and re-read the lines it swallowed as records of their own.
            pending.extendleft(reversed(record[1:]))
            yield (
                'unterminated quoted field: a " opens a field that is never closed '
                '(double any " inside a quoted field, like "5"" screen")',
                [first],
            )
            continue
        yield first[0], record


def _parse_csv_record(lines: list[str]) -> list[str]:
    try:
        rows = list(csv.reader(lines, strict=False))
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise FieldProblem(f"a field is longer than {csv.field_size_limit():,} characters") from None
        raise FieldProblem(f"broken CSV row: {exc}") from None
    if len(rows) != 1:
        raise FieldProblem("broken CSV row: a stray carriage return splits it in two")
    return rows[0]
