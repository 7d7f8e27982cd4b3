"""listeners/file: CSV / JSONL imports, bad rows as Rejects with line and reason, gzip, time zones."""

from __future__ import annotations

import gzip
import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from listeners.file.listener import MAX_LINE_BYTES, MAX_PAYLOAD_CHARS, FileListener, file_cursor
from models.errors import FatalError
from models.mention import MAX_TEXT_CHARS, Mention, Reject

FIXTURES = Path(__file__).parent / "fixtures"


def split(path: Path, **options: str) -> tuple[list[Mention], list[Reject]]:
    """Read a file and separate the loaded mentions from the rejects."""
    mentions: list[Mention] = []
    rejects: list[Reject] = []
    for item in FileListener(path, **options).read():
        (mentions if isinstance(item, Mention) else rejects).append(item)
    return mentions, rejects


def by_line(rejects: list[Reject]) -> dict[int, Reject]:
    return {reject.line: reject for reject in rejects if reject.line is not None}


# -- CSV ---------------------------------------------------------------------------------------------------------

CSV_REJECTS = {
    6: "id is missing",
    7: "created_at '2026-13-45T10:00:00Z' is not an ISO-8601",
    8: "text is missing or empty",
    9: "line 9 is not valid UTF-8",
    10: "author_handle contains a NUL byte",
    12: "rating 6 is outside the stars scale 1-5",
    13: "row has 16 fields but the header has 14",
    14: "author_followers must be a number, got 'lots'",
    15: "kind: Input should be 'post'",
    16: "metrics must be a JSON object",
}


def test_csv_good_rows_load() -> None:
    mentions, _ = split(FIXTURES / "mentions.csv")
    assert [m.id for m in mentions] == [
        "1858000000000000001",
        "1858000000000000002",
        "t1_abc123",
        "review-11",
        "1858000000000000017",
    ]
    first = mentions[0]
    assert first.channel == "x" and first.author_followers == 1204  # "1,204" with a thousands separator
    assert first.metrics == {"reposts": 2.0, "likes": 15.0}  # JSON column and metrics.likes column merged
    assert first.url == "https://x.com/jane/status/1858000000000000001"
    assert first.rating is None and first.rating_scale is None
    review = mentions[3]
    assert (review.kind, review.rating, review.rating_scale) == ("review", 5.0, "stars")


def test_csv_each_bad_row_is_rejected_with_its_line_and_reason() -> None:
    _, rejects = split(FIXTURES / "mentions.csv")
    got = by_line(rejects)
    assert sorted(got) == sorted(CSV_REJECTS)
    for line, reason in CSV_REJECTS.items():
        reject = got[line]
        assert reason in reject.reason, (line, reject.reason)
        assert reject.source == str(FIXTURES / "mentions.csv")
        assert reject.payload


def test_csv_reject_details() -> None:
    got = by_line(split(FIXTURES / "mentions.csv")[1])
    assert got[12].record_id == "review-12" and got[12].channel == "appstore"
    assert got[9].payload.startswith("x,1858000000000000009,\\xbe")  # invalid bytes shown escaped for audit
    assert "\x00" not in got[10].payload and "\\x00" in got[10].payload
    assert "CSV UTF-8" in got[9].reason  # says how to fix it


def test_csv_quoted_multiline_field_keeps_its_start_line() -> None:
    mentions, rejects = split(FIXTURES / "mentions.csv")
    review = next(m for m in mentions if m.id == "t1_abc123")
    assert review.text == 'Line one of a long "review",\nline two of it'
    # The record after it (physical line 6) is still reported as line 6.
    assert by_line(rejects)[6].record_id is None


def test_csv_raw_keeps_the_original_row_and_unknown_columns() -> None:
    first = split(FIXTURES / "mentions.csv")[0][0]
    assert first.raw is not None
    assert first.raw["campaign"] == "fall-promo"
    assert first.raw["author_followers"] == "1,204"
    assert first.raw["rating"] == ""
    assert "\ufeffchannel" not in first.raw and first.raw["channel"] == "x"  # BOM stripped from the header
    assert first.raw["_line"] == 2


def test_raw_records_the_line_each_row_starts_on() -> None:
    csv_lines = {m.id: m.raw["_line"] for m in split(FIXTURES / "mentions.csv")[0] if m.raw}
    assert csv_lines == {
        "1858000000000000001": 2,
        "1858000000000000002": 3,
        "t1_abc123": 4,
        "review-11": 11,
        "1858000000000000017": 17,
    }
    jsonl_lines = [m.raw["_line"] for m in split(FIXTURES / "mentions.jsonl")[0] if m.raw]
    assert jsonl_lines == [1, 8, 12, 13, 15]


def test_csv_unterminated_quote_rejects_one_line_and_reads_on(tmp_path: Path) -> None:
    path = tmp_path / "broken.csv"
    path.write_text(
        "id,text,created_at\n"
        "1,fine,2026-11-19T10:00:00Z\n"
        '2,"never closed,2026-11-19T10:00:00Z\n'
        "3,still fine,2026-11-19T10:00:00Z\n"
        '4,a 27" monitor unquoted,2026-11-19T10:00:00Z\n',
        encoding="utf-8",
    )
    mentions, rejects = split(path)
    assert [m.id for m in mentions] == ["1", "3", "4"]
    assert [(r.line, r.reason.split(":")[0]) for r in rejects] == [(3, "unterminated quoted field")]
    assert mentions[0].channel == "file"  # no channel column: the default applies


def test_csv_header_without_required_columns_is_one_reject(tmp_path: Path) -> None:
    path = tmp_path / "wrong.csv"
    path.write_text("message,date\nhello,2026-11-19\nbye,2026-11-20\n", encoding="utf-8")
    mentions, rejects = split(path)
    assert mentions == []
    assert len(rejects) == 1 and rejects[0].line == 1
    assert "id, text, created_at" in rejects[0].reason and "message, date" in rejects[0].reason


def test_csv_duplicate_column_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "dupe.csv"
    path.write_text("id,text,Text,created_at\n1,a,b,2026-11-19\n", encoding="utf-8")
    assert "'text' appears twice" in split(path)[1][0].reason


def test_survey_csv() -> None:
    mentions, rejects = split(FIXTURES / "survey.csv")
    assert [(m.rating_scale, m.rating) for m in mentions] == [("nps", 8), ("csat", 5), ("ces", 6), ("smiley", 4)]
    assert all(m.kind == "survey" and m.channel == "survey" for m in mentions)
    assert mentions[0].author_id == "cust-1001"
    assert [(r.line, r.reason) for r in rejects] == [(5, "rating 6 is outside the csat scale 1-5")]


# -- JSONL -------------------------------------------------------------------------------------------------------

JSONL_REJECTS = {
    3: "malformed JSON",
    4: "expected one JSON object per line, got an array",
    5: "created_at is missing",
    6: "line 6 is not valid UTF-8",
    7: "text contains a NUL byte",
    9: "rating 11 is outside the nps scale 0-10",
    10: "text is missing or empty",
    11: "created_at 'yesterday' is not an ISO-8601 timestamp",
    14: "rating given without rating_scale",
}


def test_jsonl_good_rows_load() -> None:
    mentions, _ = split(FIXTURES / "mentions.jsonl")
    assert [m.id for m in mentions] == [
        "1858000000000000101",  # a numeric JSON id becomes text
        "t1_k2b9x0",
        "nps-12",
        "1858000000000000113",
        "plain-15",
    ]
    assert mentions[0].metrics == {"likes": 120.0, "reposts": 33.0}
    assert mentions[0].author_followers == 15230
    assert mentions[1].parent_id == "t3_1gq0ab" and mentions[1].kind == "comment"
    assert mentions[2].rating_scale == "nps"  # "NPS" normalised
    assert mentions[3].raw is not None and mentions[3].raw["source_system"] == "brandwatch"
    assert mentions[4].channel == "file"


def test_jsonl_each_bad_line_is_rejected_with_its_line_and_reason() -> None:
    _, rejects = split(FIXTURES / "mentions.jsonl")
    got = by_line(rejects)
    assert sorted(got) == sorted(JSONL_REJECTS)
    for line, reason in JSONL_REJECTS.items():
        assert reason in got[line].reason, (line, got[line].reason)
    assert got[3].payload.startswith('{"channel": "x", "id": "1858000000000000103"')
    assert got[9].record_id == "nps-9" and got[9].channel == "survey"


def test_jsonl_default_channel_option_and_ndjson_suffix(tmp_path: Path) -> None:
    path = tmp_path / "export.ndjson"
    path.write_text(json.dumps({"id": "a", "text": "hi", "created_at": "2026-11-19T00:00:00Z"}) + "\n")
    mentions, _ = split(path, default_channel="brandwatch")
    assert mentions[0].channel == "brandwatch"


def test_jsonl_wrong_types_are_named(tmp_path: Path) -> None:
    rows = [
        {"id": "a", "text": 42, "created_at": "2026-11-19T00:00:00Z"},
        {"id": "b", "text": "x", "created_at": 1795600000},
        {"id": "c", "text": "x", "created_at": "2026-11-19T00:00:00Z", "metrics": {"likes": "many"}},
        {"id": "d", "text": "x", "created_at": "2026-11-19T00:00:00Z", "author_followers": 10.5},
        {"id": "e", "text": "x", "created_at": "2026-11-19T00:00:00Z", "rating": True, "rating_scale": "nps"},
        {"id": "f", "text": "x", "created_at": "2026-11-19T00:00:00Z", "metrics": [1, 2]},
        {"id": "g", "text": "x", "created_at": "2026-11-19T00:00:00Z", "vendor_score": float("nan")},
    ]
    path = tmp_path / "types.jsonl"
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")  # json.dumps writes NaN as NaN
    reasons = [r.reason for r in split(path)[1]]
    assert reasons[0].startswith("text must be a string")
    assert reasons[1].startswith("created_at must be an ISO-8601 string")
    assert reasons[2] == "metrics.likes must be a number, got 'many'"
    assert reasons[3].startswith("author_followers must be a whole number")
    assert reasons[4].startswith("rating must be a number")
    assert reasons[5].startswith("metrics must be an object")
    assert reasons[6] == "malformed JSON: NaN is not a valid JSON value (write null or a number)"


# -- size limits -------------------------------------------------------------------------------------------------


def test_huge_text_is_rejected_and_the_payload_truncated(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    big = {"id": "big", "text": "가" * (MAX_TEXT_CHARS + 1), "created_at": "2026-11-19T00:00:00Z"}
    ok = {"id": "ok", "text": "fine", "created_at": "2026-11-19T00:00:00Z"}
    path.write_text(json.dumps(big, ensure_ascii=False) + "\n" + json.dumps(ok) + "\n", encoding="utf-8")
    mentions, rejects = split(path)
    assert [m.id for m in mentions] == ["ok"]
    assert rejects[0].line == 1 and f"more than the {MAX_TEXT_CHARS} allowed" in rejects[0].reason
    assert len(rejects[0].payload) <= MAX_PAYLOAD_CHARS + len("…[truncated]")


@pytest.mark.parametrize("suffix", [".csv", ".jsonl"])
def test_over_long_line_is_rejected_without_stopping(tmp_path: Path, suffix: str) -> None:
    path = tmp_path / f"long{suffix}"
    if suffix == ".csv":
        body = "id,text,created_at\n" + "1," + "x" * (MAX_LINE_BYTES + 10) + ",2026-11-19\n" + "2,ok,2026-11-19\n"
    else:
        body = "x" * (MAX_LINE_BYTES + 10) + "\n" + json.dumps({"id": "2", "text": "ok", "created_at": "2026-11-19"})
    path.write_text(body, encoding="utf-8")
    mentions, rejects = split(path)
    assert [m.id for m in mentions] == ["2"]
    line = 2 if suffix == ".csv" else 1
    assert [(r.line, "longer than" in r.reason) for r in rejects] == [(line, True)]


# -- compression, encodings, time zones --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["mentions.csv", "mentions.jsonl", "survey.csv"])
def test_gzip_reads_like_the_plain_file(tmp_path: Path, name: str) -> None:
    packed = tmp_path / f"{name}.gz"
    with (FIXTURES / name).open("rb") as src, gzip.open(packed, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain_mentions, plain_rejects = split(FIXTURES / name)
    gz_mentions, gz_rejects = split(packed)
    assert [m.model_dump() for m in gz_mentions] == [m.model_dump() for m in plain_mentions]
    assert [(r.line, r.reason) for r in gz_rejects] == [(r.line, r.reason) for r in plain_rejects]


def test_truncated_gzip_keeps_what_it_read_and_rejects_the_rest(tmp_path: Path) -> None:
    rows = "".join(
        json.dumps({"id": str(i), "text": f"row {i} " + "word " * 50, "created_at": "2026-11-19"}) + "\n"
        for i in range(2000)
    )
    packed = gzip.compress(rows.encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(packed[: len(packed) // 2])
    mentions, rejects = split(path)
    assert 0 < len(mentions) < 2000
    assert len(rejects) == 1 and rejects[0].line == len(mentions) + 1
    assert "cannot read the file past line" in rejects[0].reason


def test_utf16_file_is_one_clear_reject(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes("id,text,created_at\n1,안녕,2026-11-19\n".encode("utf-16"))
    mentions, rejects = split(path)
    assert mentions == [] and len(rejects) == 1
    assert "UTF-16" in rejects[0].reason and "UTF-8" in rejects[0].reason


def test_korean_text_round_trips(tmp_path: Path) -> None:
    text = "애크미 앱 또 먹통… 주문 3일째 안 옴 ㅠㅠ 고객센터는 전화도 안 받고 ㅋㅋㅋ 🙃"
    rows = [{"channel": "x", "id": "k1", "text": text, "created_at": "2026-11-19T19:00:00+09:00", "lang": "ko"}]
    jsonl = tmp_path / "ko.jsonl"
    jsonl.write_text(json.dumps(rows[0], ensure_ascii=False) + "\n", encoding="utf-8")
    escaped = tmp_path / "ko_escaped.jsonl"
    escaped.write_text(json.dumps(rows[0]) + "\n", encoding="utf-8")  # \uXXXX escapes
    csv_path = tmp_path / "ko.csv"
    csv_path.write_text(f'channel,id,text,created_at,lang\nx,k1,"{text}",2026-11-19T19:00:00+09:00,ko\n', "utf-8")
    for path in (jsonl, escaped, csv_path):
        (mention,), rejects = split(path)
        assert rejects == []
        assert mention.text == text and mention.lang == "ko"
        assert mention.raw is not None and mention.raw["text"] == text


@pytest.mark.parametrize(
    ("stamp", "expected"),
    [
        ("2026-11-19T19:00:00+09:00", datetime(2026, 11, 19, 10, 0, tzinfo=UTC)),
        ("2026-11-19 19:00:00+09:00", datetime(2026, 11, 19, 10, 0, tzinfo=UTC)),
        ("2026-11-19T10:00:00Z", datetime(2026, 11, 19, 10, 0, tzinfo=UTC)),
        ("2026-11-19T10:00:00", datetime(2026, 11, 19, 10, 0, tzinfo=UTC)),  # naive → UTC
        ("2026-11-19T05:00:00-05:00", datetime(2026, 11, 19, 10, 0, tzinfo=UTC)),
        ("2026-11-19T10:00:00.250Z", datetime(2026, 11, 19, 10, 0, 0, 250000, tzinfo=UTC)),
        ("2026-11-19", datetime(2026, 11, 19, tzinfo=UTC)),
    ],
)
def test_timestamps_are_utc(tmp_path: Path, stamp: str, expected: datetime) -> None:
    path = tmp_path / "tz.csv"
    path.write_text(f"id,text,created_at\n1,hello,{stamp}\n", encoding="utf-8")
    (mention,), _ = split(path)
    assert mention.created_at == expected
    assert mention.created_at.utcoffset() is not None and mention.created_at.utcoffset().total_seconds() == 0


def test_out_of_range_timestamp_is_a_reject(tmp_path: Path) -> None:
    path = tmp_path / "tz.csv"
    path.write_text("id,text,created_at\n1,hello,0001-01-01T00:00:00+09:00\n", encoding="utf-8")
    _, (reject,) = split(path)
    assert "created_at" in reject.reason


# -- file-level errors and the cursor ----------------------------------------------------------------------------


def test_unsupported_suffix_and_missing_file_are_fatal(tmp_path: Path) -> None:
    with pytest.raises(FatalError, match="unsupported import file type"):
        FileListener(tmp_path / "export.xlsx")
    with pytest.raises(FatalError, match="not found"):
        list(FileListener(tmp_path / "absent.csv").read())


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_text("")
    assert split(path) == ([], [])
    header_only = tmp_path / "header.csv"
    header_only.write_text("id,text,created_at\n\n\n")
    assert split(header_only) == ([], [])


def test_file_cursor_changes_only_with_content(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    path.write_text('{"id": "1"}\n')
    first = file_cursor(path)
    assert first.channel == "file" and first.scope == str(path.resolve()) and len(first.value) == 64
    assert file_cursor(path) == first
    path.write_text('{"id": "2"}\n')
    assert file_cursor(path).value != first.value
