"""File-system edges: which files are inputs, bounded reads, YAML with errors by line,
atomic writes."""

from __future__ import annotations

import codecs
import datetime
import math
import os
import re
import stat
import tempfile
from collections.abc import Callable, Collection, Iterable
from functools import cache
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, BinaryIO

from sitegen.errors import SitegenError

if TYPE_CHECKING:  # loaded on first use (yaml_loaders): a build from a warm cache reads no YAML
    import yaml

# mkstemp creates files readable by their owner only; published files should get
# the permissions a plain open() would give them (0666 less the umask).
UMASK = os.umask(0o022)
os.umask(UMASK)
FILE_MODE = 0o666 & ~UMASK
# Editor swap and backup files, half-written downloads and temporaries: never inputs.
IGNORED_SUFFIXES = (
    "~",
    ".swp",
    ".swo",
    ".swx",
    ".tmp",
    ".part",
    ".partial",
    ".crdownload",
    ".download",
    ".pyc",
)
# The biggest file sitegen reads as input: a dump of thousands of papers is a few MB.
MAX_INPUT_BYTES = 64 * 2**20
READ_CHUNK = 2**16  # what read_input asks for past the size a file said it had
# Templates and static assets (a user's PDF or video too): GitHub Pages refuses files over 100 MB.
MAX_ASSET_BYTES = 100 * 2**20


def counts_as_input(relative: PurePath) -> bool:
    """Whether a file (path relative to the site root or an input folder) is an input.

    The one rule for dumps, pages, static files, `sitegen add` and the watcher:
    nothing hidden (no part starts with ".": .git, .DS_Store, macOS ._page.md,
    Emacs .#page.md locks, our own .page.md.XXXX.tmp), no editor or download
    leftover (page.md~, *.swp, *.part, *.crdownload, Emacs #page.md#).
    """
    return parts_count_as_input(relative.parts)


def parts_count_as_input(parts: tuple[str, ...]) -> bool:
    """counts_as_input of a relative path given as its parts (a folder walk has them)."""
    return (
        bool(parts)
        and not any(p.startswith(".") for p in parts[:-1])
        and name_counts_as_input(parts[-1])
    )


def name_counts_as_input(name: str) -> bool:
    """counts_as_input of a file's name, in a folder that counts (a walk asks it per file)."""
    return not (
        name.startswith(".")
        or name.endswith(IGNORED_SUFFIXES)
        or name.startswith("#")
        and name.endswith("#")
    )


def why_not_input(relative: PurePath) -> str:
    """Why counts_as_input refuses a path, in words for an error message."""
    if any(p.startswith(".") for p in relative.parts):
        return "a hidden file (its name starts with '.')"
    return "an editor, backup or unfinished-download file"


def sorted_entries(folder: str) -> list[os.DirEntry]:
    """A folder's entries by name ([] if it can't be listed, as a glob skips it)."""
    try:
        with os.scandir(folder) as entries:
            return sorted(entries, key=lambda entry: entry.name)
    except OSError:
        return []


def read_input(path: Path | str, limit: int = MAX_INPUT_BYTES) -> bytes:
    """The bytes of an input file: a regular file (symlinks followed) of at most limit bytes.

    A FIFO would block a plain read forever and /dev/zero would never end, so the
    file is opened without blocking and checked before a byte is read.
    """
    return read_input_and_stat(path, limit)[0]


def read_input_and_stat(
    path: Path | str, limit: int = MAX_INPUT_BYTES
) -> tuple[bytes, os.stat_result]:
    """read_input, and the file's stat once read (of the file read, whatever its path
    names by then: a stat memo pairs it with these bytes, sitegen.known)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise SitegenError(f"cannot read: {exc.strerror}", path) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            kind = "a folder" if stat.S_ISDIR(info.st_mode) else "a device, FIFO or socket"
            raise SitegenError(f"not a regular file ({kind}); only plain files are read", path)
        if info.st_size > limit:
            raise SitegenError(f"too large ({info.st_size} bytes; the limit is {limit})", path)
        # Read by the file's size: a read asks for a buffer of the size asked (limit + 1 was
        # 64 MB for a 4 KB page: 60 µs, 0.6 s at 10k pages). A file that grew since fstat
        # (or a /proc file, which says 0) is read on in chunks, to the limit.
        parts, size, want = [], 0, info.st_size + 1
        while size <= limit and (part := os.read(fd, min(want, limit + 1 - size))):
            parts.append(part)  # read on to the end: /proc, FUSE and NFS may read short
            size, want = size + len(part), READ_CHUNK
        after = os.fstat(fd)
    except OSError as exc:
        raise SitegenError(f"cannot read: {exc.strerror}", path) from None
    finally:
        os.close(fd)
    if size > limit:
        raise SitegenError(f"too large (over {limit} bytes)", path)
    return b"".join(parts), after  # one part: that very object, not a copy


BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def decode_text(data: bytes, path: Path | str, errors: str = "strict") -> str:
    """Text of an input file: UTF-8, or UTF-16/32 when a byte-order mark says so.

    Other encodings (Latin-1, …) are refused with one line naming the file and
    line, unless errors="replace".
    """
    encoding, start = "utf-8", 0
    for bom, name in BOMS:
        if data.startswith(bom):
            encoding, start = name, len(bom)
            break
    try:
        return data[start:].decode(encoding, errors)
    except UnicodeDecodeError as exc:
        line = data[: start + exc.start].count(b"\n") + 1 if encoding == "utf-8" else None
        raise SitegenError(
            f"not {encoding.upper()} text (byte {exc.object[exc.start]:#04x}); save it as UTF-8",
            path,
            line,
        ) from None


def checked_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A YAML date or time, refused (with its line) when it isn't on the calendar."""
    import yaml

    try:
        value = yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except (ValueError, OverflowError) as exc:
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a real date ({exc})", node.start_mark
        ) from None
    day = value.date() if isinstance(value, datetime.datetime) else value
    if day.year < 1:  # pragma: no cover - datetime refuses year 0 already
        raise yaml.constructor.ConstructorError(
            None, None, f"{node.value!r} is not a real date", node.start_mark
        )
    return value


@cache
def yaml_loaders() -> tuple[type[yaml.SafeLoader], type[yaml.SafeLoader]]:
    """libyaml's safe loader (~10x faster at 100k pages) and the pure-Python one (for text
    that uses aliases), each with checked dates; PyYAML loads on first use (~8 ms of a
    start: a build whose inputs the cache holds parsed reads no YAML)."""
    import yaml

    class FastLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
        """libyaml's safe loader, with checked dates."""

    class CheckedLoader(yaml.SafeLoader):
        """The pure-Python safe loader, with checked dates."""

    for loader in (FastLoader, CheckedLoader):
        loader.add_constructor("tag:yaml.org,2002:timestamp", checked_timestamp)
    return FastLoader, CheckedLoader


def yaml_loader() -> type[yaml.SafeLoader]:
    """The loader load_yaml reads YAML with (yaml_loaders)."""
    return yaml_loaders()[0]


# The most nodes a YAML document may stand for once its aliases are expanded: a
# themes.yaml of 100 themes is a few thousand; a "billion laughs" is 10^9.
MAX_YAML_NODES = 100_000
ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\[\]{}]")  # "*name" where YAML allows an alias


def expanded_size(node: yaml.Node, sizes: dict[int, int], open_nodes: set[int]) -> int:
    """How many nodes a node stands for with every alias expanded (shared ones counted
    each time they are used, as a consumer walking the data would meet them)."""
    import yaml

    key = id(node)
    if key in sizes:
        return sizes[key]
    if key in open_nodes:
        raise ValueError("an alias refers to a node that contains it")
    open_nodes.add(key)
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for item in node.value:
            total += expanded_size(item, sizes, open_nodes)
    elif isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            total += expanded_size(k, sizes, open_nodes) + expanded_size(v, sizes, open_nodes)
    open_nodes.discard(key)
    sizes[key] = total = min(total, MAX_YAML_NODES + 1)
    return total


def load_with_aliases(text: str) -> Any:
    """Load YAML that uses aliases, refusing one that expands beyond MAX_YAML_NODES."""
    import yaml

    loader = yaml_loaders()[1](text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        try:
            size = expanded_size(node, {}, set())
        except ValueError as exc:
            raise yaml.YAMLError(str(exc)) from None
        if size > MAX_YAML_NODES:
            raise yaml.YAMLError(
                f"aliases expand to more than {MAX_YAML_NODES} values (a YAML bomb?)"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()


def may_nest_deeply(text: str, depth: int = 1000) -> bool:
    """Whether YAML text might nest more than depth levels (libyaml's C recursion would
    crash the process on ~50,000): cheap counts first, a line scan only when they are high."""
    if text.count("[") + text.count("{") > depth:
        return True
    if text.count("- ") + text.count("? ") <= depth:
        return False
    return any(line.count("- ") + line.count("? ") > depth for line in text.splitlines())


# The YAML that sitegen writes, and most that people write by hand: `key: value` lines, each
# value quoted, a plain word or words, a decimal number, a list of such `- item` lines or an
# evenly indented block (`>`, `>-`, `|`, `|-`), with comments and blank lines between them.
# simple_yaml reads it in a few µs where libyaml takes ~26 (0.22 s at 10k pages), and without
# importing PyYAML (~10 ms of a build that reads site.yaml); anything else, or any character
# that YAML treats specially in such text, goes to the loader.
SIMPLE_PLAIN = r"[A-Za-z0-9][^\s#:]*(?: [^\s#:]+)*"  # a plain word or words (plain_value)
SIMPLE_SCALAR = rf"'((?:[^'\n]|'')*)'|\"([^\"\\\n]*)\"|({SIMPLE_PLAIN})"
COMMENT_AFTER = r"(?: +#[^\n]*)?\n"  # a value's line may end in a comment
# A key of at most 1024 characters: YAML looks no further for the ":" of a simple key.
SIMPLE_KEY = r"([A-Za-z_][A-Za-z0-9_-]{0,1023}):"
SIMPLE_KEY_LINE = re.compile(rf"{SIMPLE_KEY}(?: (?:{SIMPLE_SCALAR}))?{COMMENT_AFTER}")
SIMPLE_ITEM_LINE = re.compile(rf"- (?:{SIMPLE_SCALAR}){COMMENT_AFTER}")
SIMPLE_BLOCK_HEAD = re.compile(rf"{SIMPLE_KEY} ([>|])(-?)\n")
# A block's line: its indent, then text that neither starts nor ends with a space.
BLOCK_LINE = re.compile(r"( +)([^ \n](?:[^\n]*[^ \n])?)\n")
SKIPPED_LINES = re.compile(r"(?:#[^\n]*\n|\n)*")  # whole-line comments and blank lines
# Only printable text on lines ended by \n: no tab, CR, NEL, line or paragraph separator, BOM.
# Named by what it refuses: the negated class of what it allows took 3 ms to compile.
NOT_SIMPLE_TEXT = re.compile(
    "[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufeff\ufffe\uffff]"
)
# A plain scalar that starts with a letter is text to YAML 1.1 but for these words (PyYAML's
# implicit bool and null resolvers, the only ones for a letter: tests/test_fsio.py checks).
NOT_TEXT_WORDS = frozenset(
    {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE"}
    | {"on", "On", "ON", "off", "Off", "OFF", "null", "Null", "NULL"}
)
# An int to YAML (no float, date or other int form), of up to 19 digits: Python refuses to
# read one of over 4,300 (sys.get_int_max_str_digits), so a longer one is left to the loader.
DECIMAL = re.compile(r"0|[1-9][0-9]{0,18}")
# Every character YAML's float, int and timestamp patterns (those of a plain scalar that starts
# with a digit) can match: one with any other character is text ("2024-01-22-trending"). Ten
# of them (" \tTtZ:" and "inIN") match only with a ":" or not after a digit, which no plain
# scalar here holds: text with them ("1 2") goes to the loader, needlessly but safely.
NUMBER_CHARACTERS = frozenset("0123456789_.:+- \tabcdefABCDEFinINxtTZ")


def plain_value(plain: str) -> str | int | None:
    """What YAML reads a plain scalar of SIMPLE_SCALAR (or a key) as: text, a decimal int, or
    None for anything else (a bool, null, float, date...) or not told without PyYAML."""
    if not plain[0].isdigit():  # a letter or "_" (what the patterns allow first)
        return None if plain in NOT_TEXT_WORDS else plain
    if DECIMAL.fullmatch(plain):
        return int(plain)
    return None if NUMBER_CHARACTERS.issuperset(plain) else plain


def key_is_text(key: str) -> bool:
    """Whether YAML reads a simple key (SIMPLE_KEY) as a string."""
    return isinstance(plain_value(key), str)


SimpleValue = str | int | list[str | int]


def simple_scalar(single: str | None, double: str | None, plain: str | None) -> str | int | None:
    """A SIMPLE_SCALAR match as YAML reads it; None for a plain one that is no text or int."""
    if single is not None:
        return single.replace("''", "'")
    if double is not None:  # no backslash in it: no escapes
        return double
    return plain_value(plain) if plain is not None else None


def simple_block(text: str, at: int, style: str, chomp: str) -> tuple[str, int] | None:
    """A block scalar's value from `at` (its lines evenly indented, none blank or with a space
    at either end), and where it ends; None if its lines are not such. A line it leaves that
    starts with a space (blank but for spaces, or one after a blank line) is no key line:
    simple_yaml then refuses the text."""
    lines, indent = [], ""
    while (line := BLOCK_LINE.match(text, at)) is not None:
        if indent and line[1] != indent:
            return None  # uneven: more indented lines keep their breaks
        indent = line[1]
        lines.append(line[2])
        at = line.end()
    if not lines:
        return None  # empty: YAML's value for it is left to the loader
    value = (" " if style == ">" else "\n").join(lines)
    return value + ("" if chomp else "\n"), at


def simple_yaml(text: str) -> dict[str, SimpleValue] | None:
    """What yaml.safe_load gives for simple text (the forms the comment above SIMPLE_SCALAR
    lists); None for other text."""
    if not text.endswith("\n") or NOT_SIMPLE_TEXT.search(text):
        return None
    data: dict[str, SimpleValue] = {}
    at, end = 0, len(text)
    while (at := SKIPPED_LINES.match(text, at).end()) < end:
        if (head := SIMPLE_BLOCK_HEAD.match(text, at)) is not None:
            block = simple_block(text, head.end(), head[2], head[3])
            if block is None or not key_is_text(head[1]):
                return None
            data[head[1]], at = block
            continue
        line = SIMPLE_KEY_LINE.match(text, at)
        if line is None or not key_is_text(line[1]):
            return None
        at = line.end()
        if line[2] is None and line[3] is None and line[4] is None:  # `key:` alone: a list
            items = []
            while (item := SIMPLE_ITEM_LINE.match(text, at)) is not None:
                items.append(simple_scalar(item[1], item[2], item[3]))
                at = item.end()
            if not items or None in items:
                return None
            data[line[1]] = items  # type: ignore[assignment]
        elif (value := simple_scalar(line[2], line[3], line[4])) is not None:
            data[line[1]] = value
        else:
            return None
    return data or None


# What YAML says it was reading when a bracket or a quote it opened was never closed.
UNCLOSED = ("while parsing a flow", "while scanning a quoted scalar")


def closed_after(text: str, at: int) -> bool:
    """Whether the [ or { at text[at] has its closing bracket later on (quotes skipped)."""
    depth, quote = 0, ""
    for char in text[at:]:
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{":
            depth += 1
        elif char in "]}":
            depth -= 1
            if depth == 0:
                return True
    return False


def load_yaml(text: str, path: Path | str, first_line: int = 1, what: str = "invalid YAML") -> Any:
    """Parse YAML text read from path (starting at first_line of the file).

    The one mapping of YAML mistakes to user errors: "path:line: what: problem".
    Aliases are expanded only up to MAX_YAML_NODES values, dates must exist.
    """
    simple = simple_yaml(text)
    if simple is not None:
        return simple
    import yaml

    try:
        if ("*" in text and ALIAS.search(text)) or may_nest_deeply(text):
            return load_with_aliases(text)  # pure Python: its recursion is caught below
        return yaml.load(text, Loader=yaml_loader())
    except yaml.reader.ReaderError as exc:  # a character YAML never takes: no mark
        character = refused_character(exc.character)
        # Its first place is the one refused (libyaml gives a byte offset, PyYAML an index).
        at = text.find(character) if character else -1
        line = text.count("\n", 0, at) + first_line if at >= 0 else None
        problem = f"character #x{ord(character):04x}" if character else "a character"
        raise SitegenError(f"{what}: {problem}: {exc.reason}", path, line) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or str(exc) or "invalid YAML"
        context = getattr(exc, "context", None) or ""
        opened = getattr(exc, "context_mark", None)
        if context.startswith(UNCLOSED) and opened is not None and mark is not None:
            where = context.removeprefix("while ").removeprefix("parsing a ")
            where = where.removeprefix("scanning a ")
            if "quoted" in where or not closed_after(text, opened.index):
                mark, problem = opened, f"{where} never closed: {problem}"
            else:  # a mistake inside it (a comma missing): that line, and where it opened
                problem += f" (in the {where} opened on line {opened.line + first_line})"
        line = mark.line + first_line if mark is not None else None
        raise SitegenError(f"{what}: {problem}", path, line) from None
    except RecursionError:
        raise SitegenError(f"{what}: nested too deeply", path, first_line) from None
    except UnicodeEncodeError as exc:  # a lone surrogate: libyaml reads the text as UTF-8
        line = text.count("\n", 0, exc.start) + first_line
        raise SitegenError(f"{what}: a lone surrogate character", path, line) from None


def refused_character(character: object) -> str:
    """The character a YAML reader refused ("" if unknown): libyaml gives its code, PyYAML it."""
    if isinstance(character, int) and 0 <= character <= 0x10FFFF:
        return chr(character)
    return character[:1] if isinstance(character, str) else ""


def line_node(text: str) -> yaml.Node | None:
    """YAML text that libyaml read, parsed again in pure Python for the lines of its parts;
    None where that parser refuses what libyaml took (a tab in a flow mapping, deep nesting)."""
    import yaml

    try:
        return yaml.compose(text, Loader=yaml.SafeLoader)
    except (yaml.YAMLError, RecursionError):
        return None


def line_of(text: str, *keys: str) -> int | None:
    """The line (1-based) of a key in nested YAML mappings, e.g. ("classifier", "min_score").

    A second, pure-Python parse: call it only to point at a mistake.
    """
    import yaml

    node = line_node(text)
    line = None
    for key in keys:
        if not isinstance(node, yaml.MappingNode):
            return line
        found = next(((k, v) for k, v in node.value if k.value == key), None)
        if found is None:
            return line
        line, node = found[0].start_mark.line + 1, found[1]
    return line


def check_number(
    value: Any, lowest: float, highest: float, whole: bool = False
) -> int | float | None:
    """value as a number within [lowest, highest] (a whole one if whole), or None if it isn't.

    YAML reads `.inf`, `.nan` and `1e999` as floats; none of them is a setting.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if whole and value != int(value):
        return None
    if not lowest <= value <= highest:
        return None
    return int(value) if whole else value


def text_problem(value: Any, texts: bool = False) -> str | None:
    """Why a YAML value where text goes is not text, or None (None too: a field left empty).
    `texts`: a list of texts will do as well, but not one holding an empty item."""
    if value is None or isinstance(value, str):
        return None
    if texts and isinstance(value, list):
        found = (text_problem(item) or ("an empty item" if item is None else "") for item in value)
        wrong = next((problem for problem in found if problem), None)
        return f"a list holding {wrong}" if wrong else None
    if isinstance(value, bool):  # before int: True is one
        return f"{str(value).lower()} (YAML reads yes, no, on and off so: put the text in quotes)"
    if isinstance(value, int | float | datetime.date):
        return None  # a number or a date reads as text
    return {list: "a list", dict: "a mapping"}.get(type(value), f"a {type(value).__name__}")


def check_texts(
    data: dict[str, Any],
    names: Iterable[str],
    path: Path | str,
    line: Callable[[str], int | None],
    lists: Collection[str] = (),
    what: str = "",
) -> None:
    """Refuse the first of these fields whose value is no text, at its line (line(name)): the
    one-line error saying so ("title must be text, not a list"), after `what`; a field in
    `lists` may be a list of texts as well."""
    for name in names:
        texts = name in lists
        problem = text_problem(data.get(name), texts)
        if problem is not None:
            kind = "text or a list of texts" if texts else "text"
            raise SitegenError(f"{what}{name} must be {kind}, not {problem}", path, line(name))


def write_atomic(
    path: Path, data: bytes | str | Callable[[BinaryIO], None], mode: int = FILE_MODE
) -> None:
    """Write a file so readers see either the old or the new bytes, never half.

    data may be a function that writes to the open file (to stream large output).
    """
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            os.fchmod(handle.fileno(), mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def make_folder(path: str) -> None:
    """os.makedirs(path, exist_ok=True) in one mkdir where the parent is there (a paper's
    page folder, made in its theme's: makedirs first looks whether the parent exists)."""
    try:
        os.mkdir(path)
    except FileNotFoundError:
        os.makedirs(path, exist_ok=True)
    except FileExistsError:
        if not os.path.isdir(path):
            raise


def create_file(path: Path | str, data: bytes) -> int:
    """Write a file's bytes, FILE_MODE (as write_atomic): open, write, chmod, close; its
    ctime once written. A build writes one per page, and open()'s buffered file added an
    fstat, an isatty ioctl and an lseek to each (at 10k papers, ~35k system calls)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, FILE_MODE)
    try:
        written = os.write(fd, data)
        while written < len(data):  # a regular file takes it all at once; this is in case
            written += os.write(fd, memoryview(data)[written:])
        # Whatever a folder's default ACL, the umask now or the file's old mode says.
        os.fchmod(fd, FILE_MODE)
        return os.fstat(fd).st_ctime_ns
    finally:
        os.close(fd)


def write_if_changed(path: Path, data: bytes | str) -> bool:
    """Write atomically unless the file already holds these bytes; say whether it wrote."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True


def trusted_by_owner(found: os.stat_result) -> bool:
    """Whether a file or folder is this user's and no one else may write to it (a compiled
    template or a kept model in it runs as code)."""
    uid = os.getuid() if hasattr(os, "getuid") else found.st_uid
    return found.st_uid == uid and not found.st_mode & 0o022


def own_cache_folder(variable: str, name: str) -> Path | None:
    """A folder of the user's own for what runs as code when read (compiled templates, kept
    models): the environment variable's path, else $XDG_CACHE_HOME (or ~/.cache)/sitegen/name.
    None when the variable is "off", the path is not absolute (as XDG says: never under the
    current folder, a project that may be downloaded) or the folder is not the user's own."""
    chosen = os.environ.get(variable, "")
    if chosen == "off":
        return None
    cache_home = os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache")
    folder = Path(chosen or os.path.join(cache_home, "sitegen", name))
    if not folder.is_absolute():
        return None
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not trusted_by_owner(folder.stat()):
            return None
    except OSError:
        return None
    return folder
