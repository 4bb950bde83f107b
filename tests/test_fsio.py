"""Atomic writes: readers see the old bytes or the new, never half; nothing is left over."""

from __future__ import annotations

import datetime
import os
import random
import re
import stat
from pathlib import Path, PurePath

import pytest
import yaml
from conftest import loaded_before_and_after

from sitegen.catalog import render_page
from sitegen.errors import SitegenError
from sitegen.fsio import (
    FILE_MODE,
    NOT_SIMPLE_TEXT,
    NOT_TEXT_WORDS,
    SIMPLE_PLAIN,
    counts_as_input,
    create_file,
    load_yaml,
    make_folder,
    plain_value,
    read_input,
    simple_yaml,
    text_problem,
    write_atomic,
    write_if_changed,
    yaml_loader,
)


@pytest.mark.parametrize(
    ("value", "texts", "problem"),
    [
        ("text", False, None),
        (None, False, None),
        (7, False, None),
        (2.5, False, None),
        (datetime.date(2024, 1, 2), False, None),
        (True, False, "true (YAML reads yes, no, on and off so: put the text in quotes)"),
        (["a"], False, "a list"),
        ({"a": 1}, False, "a mapping"),
        ({"a"}, False, "a set"),
        (["a", 5], True, None),
        (["a", None], True, "a list holding an empty item"),
        (["a", ["b"]], True, "a list holding a list"),
        (
            [False],
            True,
            "a list holding false (YAML reads yes, no, on and off so: put the text in quotes)",
        ),
    ],
)
def test_text_problem_says_why_a_value_is_no_text(value: object, texts: bool, problem: str) -> None:
    assert text_problem(value, texts) == problem


def test_write_atomic_makes_folders_and_gives_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b" / "page.html"
    write_atomic(target, "héllo")
    assert target.read_bytes() == "héllo".encode()
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE
    assert FILE_MODE & 0o044  # readable by others, as a web server needs (umask permitting)
    assert os.listdir(target.parent) == ["page.html"]


def test_create_file_writes_all_its_bytes_with_ordinary_permissions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target, data = tmp_path / "page.html", bytes(range(256)) * 40
    real_write = os.write
    monkeypatch.setattr(os, "write", lambda fd, chunk: real_write(fd, bytes(chunk)[:7]))
    old = os.umask(0o077)  # changed after sitegen read it: files are still FILE_MODE
    try:
        create_file(target, data)  # 7 bytes a write, as a short write leaves it
    finally:
        os.umask(old)
        monkeypatch.undo()
    assert target.read_bytes() == data
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE
    target.chmod(0o600)
    create_file(target, b"shorter")  # an old file: its bytes and mode replaced
    assert target.read_bytes() == b"shorter"
    assert stat.S_IMODE(target.stat().st_mode) == FILE_MODE


def test_write_atomic_streams_from_a_writer(tmp_path: Path) -> None:
    target = tmp_path / "big.bin"
    write_atomic(target, lambda handle: [handle.write(bytes([i]) * 1000) for i in range(3)])
    assert target.read_bytes() == b"\0" * 1000 + b"\1" * 1000 + b"\2" * 1000


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    target.write_text("old")

    def half(handle) -> None:  # noqa: ANN001
        handle.write(b"new, but only ha")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, half)
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["page.html"]


def test_write_if_changed_leaves_equal_files_alone(tmp_path: Path) -> None:
    target = tmp_path / "page.html"
    assert write_if_changed(target, "same") is True
    inode = target.stat().st_ino
    assert write_if_changed(target, b"same") is False
    assert target.stat().st_ino == inode  # not even replaced
    assert write_if_changed(target, "other") is True
    assert target.read_text() == "other"


@pytest.mark.parametrize(
    ("relative", "counts"),
    [
        ("papers/theory/a.md", True),
        ("style.css", True),
        ("papers/theory/.#a.md", False),  # an editor's lock file
        (".git/config", False),
        ("papers/.hidden/a.md", False),
        ("a.md~", False),
        ("2026-01-01.txt.part", False),
        (".a.md.swp", False),
        ("papers/theory/#a.md#", False),  # Emacs's auto-save
        ("papers/theory/#a.md", True),
        ("", False),
    ],
)
def test_one_rule_says_which_files_are_inputs(relative: str, counts: bool) -> None:
    assert counts_as_input(PurePath(relative)) is counts


def test_the_build_and_the_watcher_agree_on_a_hidden_page(tmp_path: Path) -> None:
    from sitegen.catalog import read_pages
    from sitegen.watch import classify_change

    folder = tmp_path / "content" / "papers" / "theory"
    folder.mkdir(parents=True)
    (folder / "a.md").write_text("---\ntitle: A\n---\n\nA.\n")
    (folder / ".#a.md").write_text("---\ntitle: A\n---\n\nA lock file's copy.\n")
    assert [p.slug for p in read_pages(tmp_path / "content" / "papers")] == ["a"]
    assert classify_change(folder / ".#a.md", tmp_path) is None
    assert classify_change(folder / "a.md", tmp_path) == "page"


def test_yaml_mistakes_name_the_file_and_the_line_in_it() -> None:
    from sitegen.errors import SitegenError
    from sitegen.fsio import load_yaml

    assert load_yaml("a: 1\n", "x.yaml") == {"a": 1}
    with pytest.raises(SitegenError) as caught:
        load_yaml("a: 1\nb: [open\n", "x.yaml")
    # The line of the [ never closed, not the one after it, where YAML gave up.
    assert (caught.value.path, caught.value.line) == ("x.yaml", 2)
    with pytest.raises(SitegenError) as caught:  # front matter starts on the file's line 2
        load_yaml("a: 1\nb: [open\n", "p.md", first_line=2, what="front matter")
    assert str(caught.value).startswith("p.md:3: front matter: flow sequence never closed: ")
    with pytest.raises(SitegenError) as caught:  # so for a quote
        load_yaml('a: "open\nb: 1\nc: 2\n', "x.yaml")
    assert caught.value.line == 1 and "quoted scalar never closed" in caught.value.message
    with pytest.raises(SitegenError) as caught:  # never closed, with lines after it
        load_yaml("title: x\ntags: [a, b\nstatus: read\n", "x.yaml")
    assert caught.value.line == 2 and "flow sequence never closed" in caught.value.message
    with pytest.raises(SitegenError) as caught:  # closed, a comma missing inside: that line
        load_yaml("k: {\n  a: 1,\n  b: 2\n  c: 3,\n}\n", "x.yaml")
    assert caught.value.line == 4 and "(in the flow mapping opened on line 1)" in str(caught.value)
    with pytest.raises(SitegenError) as caught:  # a block's mistake: where YAML found it
        load_yaml("a:\n  - x\n - y\n", "x.yaml")
    assert caught.value.line == 3


@pytest.mark.parametrize("bad", ["\x00", "\x07", "\ufffe"])
def test_a_character_yaml_refuses_is_named_on_its_line(bad: str) -> None:
    from sitegen.errors import SitegenError
    from sitegen.fsio import load_yaml

    text = "a: ééé\n" * 3 + f"b: x{bad}y\n"  # libyaml counts bytes, not characters
    for source in (text, text + "c: *d\n"):  # libyaml, and PyYAML (aliases are read by it)
        with pytest.raises(SitegenError) as caught:
            load_yaml(source, "x.yaml")
        assert caught.value.line == 4 and "\n" not in str(caught.value)
        assert f"character #x{ord(bad):04x}" in str(caught.value)


def test_a_lone_surrogate_in_yaml_text_is_a_mistake_on_its_line() -> None:
    from sitegen.errors import SitegenError
    from sitegen.fsio import load_yaml

    with pytest.raises(SitegenError, match=r"^x\.yaml:2: invalid YAML: a lone surrogate"):
        load_yaml("a: 1\nb: x\ud800y\n", "x.yaml")


def test_read_input_allocates_for_the_file_not_for_the_limit(tmp_path: Path) -> None:
    # read(limit + 1) would first allocate the whole limit (64 MB) for a 4 KB page: 60 µs a
    # page, 0.6 s at 10k pages.
    import tracemalloc

    page = tmp_path / "page.md"
    page.write_bytes(b"x" * 4096)
    tracemalloc.start()
    try:
        assert read_input(page) == b"x" * 4096
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20


def test_read_input_reads_to_the_limit_and_refuses_beyond_it(tmp_path: Path) -> None:
    page = tmp_path / "page.md"
    page.write_bytes(b"y" * 100)
    assert read_input(page, limit=100) == b"y" * 100
    with pytest.raises(SitegenError, match=r"page\.md.*too large"):
        read_input(page, limit=99)


def test_read_input_reads_on_past_short_reads_and_a_size_the_file_outgrew(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = tmp_path / "page.md"
    page.write_bytes(bytes(range(256)) * 40)
    real_read = os.read
    with monkeypatch.context() as patch:  # a FUSE or NFS file may read short before its end
        patch.setattr(os, "read", lambda fd, size: real_read(fd, min(size, 100)))
        assert read_input(page) == bytes(range(256)) * 40
    # /proc files say they are empty, and read a page at a time.
    maps = read_input(Path("/proc/self/maps"))
    assert maps.count(b"\n") > 20 and len(maps) > 4096
    with pytest.raises(SitegenError, match="too large"):
        read_input(Path("/proc/self/status"), limit=8)


# Pieces of front matter, many of them YAML that is not a plain string (or not YAML at all).
YAML_KEYS = ["title", "slug", "added", "themes", "x-y", "_k", "yes", "On", "null", "TRUE", "1"]
YAML_KEYS += ["a b", "k:", "#c", "<<", "~", "é", "-", "?", "k" * 1024, "k" * 1025]
YAML_VALUES = [
    "Attention is all you need",
    "'It''s: #1'",
    "2024-01-22-trending",
    "yes",
    "No",
    "off",
    "null",
    "~",
    "1",
    "-1",
    "+1",
]
YAML_VALUES += ["1.5", "1e3", "1.5e3", "0x1F", "0o17", "017", "1_000", "0b101", "12:30", ".inf"]
YAML_VALUES += ["2024-01-22", "2024-01-22-trending", "2024-1-2", "2024-01-22 10:00", "a: b"]
YAML_VALUES += ["a #b", "a#b", "it's", "'quoted'", "'it''s'", "'a\tb'", "x  y", "x ", " x"]
YAML_VALUES += ["- x", "[a, b]", "{a: b}", "&a x", "*a", "!tag x", "|", ">", "é", "\u3000x"]
YAML_VALUES += ["a\u2028b", "a\x85b", "\ufeffx", "\x07", "Ünïcode title", "a, b? c!", "C++ (2024)"]
YAML_VALUES += ["50%", "@x", "`x`", "=", "<<", "a\\b", '"dq"', "", "'", "''", "'a''", "a'b'c"]
YAML_VALUES += ["x:y", "a - b", "a -b", "a [b]", "NaN", ".nan", "Y", "n", "a\rb", "0.", "._"]
YAML_VALUES += ["\"a 'b' #c\"", '"a\\"b"', '"a\\nb"', '""', "0", "50", "-0", "00", "1 2", "12345"]
YAML_VALUES += ["a # c", "'a' # c", "a #", "'a'# c", '"a"  # c', "a  #c", "> x", "| x", ">-", "|+"]
# Blocks' lines after `key: >` and the like: even and uneven indents, blank lines, edge spaces.
BLOCK_LINES = [["  one two", "  three"], ["  a: b # c"], ["    - x", "    y"], ["  a", "    b"]]
BLOCK_LINES += [["   a", "  b"], ["  a", "", "  b"], ["  a "], ["  a", "   "], [], ["\ta"], ["  é"]]


def random_front_matter(rng: random.Random) -> str:
    """Lines of `key: value` and lists, some in shapes YAML reads otherwise."""

    def pick(pieces: list[str]) -> str:  # the first three pieces are the usual ones
        return rng.choice(pieces[:3] if rng.random() < 0.6 else pieces)

    lines = []
    for _ in range(rng.randint(1, 4)):
        key = pick(YAML_KEYS)
        if rng.random() < 0.15:
            lines.append(rng.choice(["# a comment", "", "#", "  # indented", " "]))
        if rng.random() < 0.2:
            head = rng.choice([">", ">-", "|", "|-", ">+", ">2", "> # c", "|  "])
            lines += [f"{key}: {head}", *rng.choice(BLOCK_LINES)]
        elif rng.random() < 0.3:
            indent = pick(["", "", "", "  ", "\t"])
            items = [f"{indent}- {pick(YAML_VALUES)}" for _ in range(rng.randint(0, 3))]
            lines += [f"{key}:", *items]
        else:
            lines.append(f"{key}{pick([': ', ': ', ': ', ':', ':  ', ' : '])}{pick(YAML_VALUES)}")
    return "".join(f"{line}\n" for line in lines)


def test_simple_yaml_reads_what_the_yaml_loader_reads_or_leaves_it_to_the_loader() -> None:
    rng, fast, blocks = random.Random(16), 0, 0
    for _ in range(6000):
        text = random_front_matter(rng)
        simple = simple_yaml(text)
        if simple is None:
            continue
        fast += 1
        blocks += ": >" in text or ": |" in text
        for loader in (yaml_loader(), yaml.SafeLoader):
            assert typed(yaml.load(text, Loader=loader)) == typed(simple), text
    assert fast > 400 and blocks > 50  # the check above is not vacuous


def typed(value: object) -> object:
    """A loaded value with each scalar's type beside it (== takes 1 for True and 1.0)."""
    if isinstance(value, dict):
        return {key: typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [typed(item) for item in value]
    return (type(value).__name__, value)


def test_simple_yaml_leaves_what_it_cannot_read_as_yaml_does_to_the_loader() -> None:
    # A comment line inside a block is text of it; blank lines inside a block keep breaks.
    for text in ["_k: |\n  a #b\n\n  # c\n", "k: >\n  a\n\n  b\n", "k: >\n  a\n   b\n"]:
        assert simple_yaml(text) is None
        assert load_yaml(text, "x.yaml") == yaml.safe_load(text)
    # An int Python will not read (over 4,300 digits): the loader's, and the line of a
    # mistake after it is still told.
    assert simple_yaml("k: " + "1" * 20 + "\n") is None
    with pytest.raises(SitegenError, match=r"invalid YAML") as raised:
        load_yaml("k: " + "1" * 4301 + "\nj: [\n", "x.yaml")
    assert raised.value.line == 3


WORD = re.compile(r"[A-Za-z]+")
PLAIN = re.compile(SIMPLE_PLAIN)


def test_plain_words_yaml_reads_as_no_text_are_pyyamls() -> None:
    # simple_yaml tells text from bool and null without PyYAML: for a plain scalar that starts
    # with a letter, those two are PyYAML's only implicit types, and these words their values.
    resolvers = yaml.SafeLoader.yaml_implicit_resolvers
    letters = [c for c in resolvers if c and c.isalpha()]
    tags = {tag for c in letters for tag, _ in resolvers[c]}
    assert tags == {"tag:yaml.org,2002:bool", "tag:yaml.org,2002:null"}
    assert set(letters) == {word[0] for word in NOT_TEXT_WORDS}
    said = {
        w for c in letters for _, pattern in resolvers[c] for w in WORD.findall(pattern.pattern)
    }
    assert said == NOT_TEXT_WORDS  # the words the patterns list, as simple_yaml lists them
    words = {w for c in letters for word in NOT_TEXT_WORDS for w in (word, c + word[1:])}
    words |= {"Yes", "yES", "nULL", "Nul", "onn", "tru", "y", "N", "True_", "off-line", "nO"}
    for word in words:
        assert (not isinstance(yaml.safe_load(word), str)) == (word in NOT_TEXT_WORDS), word
        assert (simple_yaml(f"k: {word}\n") is None) == (word in NOT_TEXT_WORDS), word


def test_plain_text_led_by_a_digit_is_told_from_numbers_and_dates_as_pyyaml_tells_it() -> None:
    rng, told = random.Random(7), 0
    pieces = list("0123456789-_.+eExbT Zaf") + ["inf", "nan", "trending", "D", "bit", "v2", "é"]
    for _ in range(20000):
        plain = rng.choice("0123456789") + "".join(rng.choices(pieces, k=rng.randint(0, 6)))
        if not PLAIN.fullmatch(plain):  # what simple_yaml asks it of: SIMPLE_SCALAR's plain
            continue
        value = plain_value(plain)
        if value is not None:
            told += 1
            assert typed(yaml.safe_load(f"k: {plain}\n")) == typed({"k": value}), plain
    assert told > 5000
    assert plain_value("2024-01-22-trending") == "2024-01-22-trending"
    assert plain_value("50") == 50 and plain_value("2024-01-22") is None


def test_site_yaml_as_shipped_and_scaffolded_takes_the_simple_path() -> None:
    # A build that reads site.yaml (a first build, or one after it changed) loads no PyYAML.
    root = Path(__file__).resolve().parents[1]
    texts = [(root / "content" / "site.yaml").read_text(encoding="utf-8")]
    scaffold = (root / "sitegen" / "scaffold" / "site.yaml").read_text(encoding="utf-8")
    texts.append(scaffold.replace("__TITLE__", "My reading list"))
    for text in texts:
        simple = simple_yaml(text)
        assert simple is not None and typed(simple) == typed(yaml.safe_load(text))
        assert isinstance(simple["per_page"], int) and simple["description"]


def test_pages_as_ingest_writes_them_take_the_simple_path() -> None:
    titles = ["Attention Is All You Need", "Yes: it's 2024-01-22!", "On #hashtags", "null", "1.5"]
    titles += ["Ünïcode — and a ‘quote’", "C++ (and [brackets]) & *stars*", "A\u2028line break"]
    for title in titles:
        extra = {"added": "2024-01-22", "themes": ["x"]}
        page = render_page(title, "a-slug", "An abstract.", extra)
        front = page.split("---\n")[1]
        assert yaml.load(front, Loader=yaml_loader()) == load_yaml(front, "page.md")
    assert simple_yaml("k" * 1024 + ": v\n") == {"k" * 1024: "v"}
    assert simple_yaml("k" * 1025 + ": v\n") is None  # YAML refuses a longer simple key
    assert simple_yaml("title: 'It''s here'\nslug: its-here\nthemes:\n- nlp\n") == {
        "title": "It's here",
        "slug": "its-here",
        "themes": ["nlp"],
    }


def test_not_simple_text_refuses_exactly_what_is_not_printable_text() -> None:
    allowed = ((0x0A, 0x0A), (0x20, 0x7E), (0xA0, 0x2027), (0x202A, 0xD7FF), (0xE000, 0xFEFE))
    allowed += ((0xFF00, 0xFFFD), (0x10000, 0x10FFFF))
    expected = set(range(0x110000))
    for low, high in allowed:
        expected.difference_update(range(low, high + 1))
    every = "".join(map(chr, range(0x110000)))
    assert {ord(c) for c in NOT_SIMPLE_TEXT.findall(every)} == expected


def test_make_folder_makes_what_is_missing_and_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    make_folder(str(tmp_path / "a"))  # its parent is there: one mkdir
    make_folder(str(tmp_path / "b" / "c" / "d"))  # parents too
    make_folder(str(tmp_path / "a"))  # there already
    assert (tmp_path / "a").is_dir() and (tmp_path / "b" / "c" / "d").is_dir()
    (tmp_path / "file").write_text("x")
    with pytest.raises(FileExistsError):
        make_folder(str(tmp_path / "file"))
    with pytest.raises(OSError):
        make_folder(str(tmp_path / "file" / "e"))


def test_pyyaml_loads_only_when_yaml_is_read() -> None:
    # A build whose inputs the cache holds parsed reads no YAML: importing the modules that
    # read it loads no PyYAML (~8 ms of every start); reading YAML does.
    # Simple YAML (simple_yaml) is read without it.
    first = "import sitegen.build, sitegen.cli, sitegen.project, sitegen.themes\n"
    first += "from sitegen.fsio import load_yaml\n"
    first += "text = '# c\\na: >-\\n  folded\\nn: 5\\n'\n"
    first += "assert load_yaml(text, 'x.yaml') == {'a': 'folded', 'n': 5}"
    then = "assert load_yaml('a: {b: 1}\\n', 'x.yaml') == {'a': {'b': 1}}"
    assert loaded_before_and_after("yaml", first, then) == (False, True)
