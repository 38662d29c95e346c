"""Edit YAML text in place: change one value and leave every other byte as it was.

Officers' files carry comments, folded answers (`>-`) and a key order that a YAML dump would
lose. So changes are made as text edits at the positions PyYAML reports for each node, with the
new value rendered in the style the old one had, and every rendered value is parsed back before
it is used. Also a small emitter for new files in the house style (used by the DVC import).

Everything here is pure: text in, text out.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

# The pure-Python loader: its marks count characters (libyaml's count bytes of UTF-8).
_LOADER = yaml.SafeLoader
_FAST = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # for data only, where positions do not matter
WIDTH = 100  # wrap folded text at this column, as the hand-written files do
_BREAK = re.compile(r"(?<=\S) (?=\S)")

Path_ = tuple[str | int, ...]


def compose(text: str) -> Node | None:
    return yaml.compose(text, Loader=_LOADER)


def load(text: str) -> Any:
    return yaml.load(text, Loader=_FAST)


# ---------------------------------------------------------------------------------------------
# Finding nodes


def child(node: Node | None, key: str | int) -> Node | None:
    if isinstance(key, int):
        if isinstance(node, SequenceNode) and 0 <= key < len(node.value):
            return node.value[key]
        return None
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == key:
                return value_node
    return None


def key_node(node: Node | None, key: str) -> Node | None:
    if isinstance(node, MappingNode):
        for k, _ in node.value:
            if isinstance(k, ScalarNode) and k.value == key:
                return k
    return None


def find(root: Node | None, path: Path_) -> Node | None:
    node = root
    for key in path:
        node = child(node, key)
        if node is None:
            return None
    return node


def parent_column(text: str, root: Node, path: Path_) -> int:
    """Column of what owns the value at `path`: its key, or the '-' of its sequence item."""
    if not path:
        return 0
    parent = find(root, path[:-1])
    last = path[-1]
    if isinstance(last, str):
        k = key_node(parent, last)
        return k.start_mark.column if k is not None else 0
    node = child(parent, last)
    return dash_column(text, node) if node is not None else 0


def dash_column(text: str, node: Node) -> int:
    """Column of the '-' that introduces a block sequence item (the item's own column if none)."""
    index = node.start_mark.index
    line_start = text.rfind("\n", 0, index) + 1
    dash = text.rfind("-", line_start, index)
    return dash - line_start if dash >= 0 else node.start_mark.column


def span(text: str, node: Node) -> tuple[int, int]:
    """Start and end of a node's text, without the line breaks a block node swallows at its end."""
    start, end = node.start_mark.index, node.end_mark.index
    if isinstance(node, ScalarNode) and node.style not in (">", "|"):
        return start, end
    return start, start + len(text[start:end].rstrip())


def block_indent(text: str, node: ScalarNode) -> int | None:
    """Indentation of the content lines of an existing block scalar."""
    start, end = span(text, node)
    for line in text[start:end].split("\n")[1:]:
        if line.strip():
            return len(line) - len(line.lstrip(" "))
    return None


# ---------------------------------------------------------------------------------------------
# Rendering scalars


def _verify(rendered: str, value: Any, flow: bool = False) -> bool:
    probe = f"[{rendered}]" if flow else f"k: {rendered}\n"
    try:
        loaded = load(probe)
    except yaml.YAMLError:
        return False
    return loaded == ([value] if flow else {"k": value})


def plain_ok(value: str, flow: bool = False) -> bool:
    """Can this string be written without quotes (and read back as the same string)?"""
    if not value or value != value.strip() or "\n" in value or "\t" in value:
        return False
    return _verify(value, value, flow)


def double_quoted(value: str) -> str:
    """A JSON string is a valid YAML double-quoted scalar, and safe for any text."""
    return json.dumps(value, ensure_ascii=False)


def single_quoted(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def folded(value: str, indent: int, width: int = WIDTH, header: str = ">-") -> str:
    """`>-` block: lines broken at single spaces, folded back into the same one-line text."""
    chunks = _BREAK.split(value)
    lines: list[str] = []
    current = ""
    for chunk in chunks:
        if current and indent + len(current) + 1 + len(chunk) > width:
            lines.append(current)
            current = chunk
        else:
            current = f"{current} {chunk}" if current else chunk
    lines.append(current)
    return header + "\n" + "\n".join(" " * indent + line for line in lines)


def literal(value: str, indent: int, header: str = "|-") -> str:
    lines = value.split("\n")
    return header + "\n" + "\n".join(" " * indent + line if line else "" for line in lines)


def scalar_token(value: Any) -> str | None:
    """Booleans, numbers and dates are written as bare YAML tokens."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if value is None:
        return "null"
    return None


def render(value: Any, *, indent: int, style: str | None = None, flow: bool = False) -> str:
    """The text of a value, placed after 'key: ' or '- ' (block styles start a new block).

    `style` is the old value's style (None/'' plain, "'", '"', '>', '|') and is kept when it can
    hold the new value; `indent` is the column for a block scalar's lines. The result is always
    parsed back; double quotes are the fallback that holds any text.
    """
    token = scalar_token(value)
    if token is not None:
        return token
    text = str(value)
    candidates: list[str] = []
    if flow:
        if plain_ok(text, flow=True):
            candidates.append(text)
        candidates.append(double_quoted(text))
    else:
        multiline = "\n" in text
        if style == ">" and not multiline:
            candidates.append(folded(text, indent))
        if style in ("|", ">") or multiline:
            candidates.append(literal(text, indent))
        if style == "'" and not multiline:
            candidates.append(single_quoted(text))
        if style == '"':
            candidates.append(double_quoted(text))
        if not style and plain_ok(text):
            candidates.append(text)
        if not style and not multiline and len(text) + indent > WIDTH:
            candidates.append(folded(text, indent))
        candidates.append(double_quoted(text))
    for candidate in candidates:
        if _verify(candidate, text, flow):
            return candidate
    return double_quoted(text)


def prose(value: str, indent: int, inline_room: int = 60) -> str:
    """A string in the house style for new text: plain when short and safe, else `>-` folded."""
    if "\n" in value:
        return render(value, indent=indent, style="|")
    if len(value) <= inline_room:
        return value if plain_ok(value) else render(value, indent=indent, style='"')
    return render(value, indent=indent, style=">")


# ---------------------------------------------------------------------------------------------
# Edits


@dataclass(frozen=True)
class Edit:
    start: int
    end: int
    text: str
    tag: Any = None  # what asked for it (e.g. a spreadsheet cell), carried through to the report


def apply_edits(text: str, edits: Sequence[Edit]) -> tuple[str, list[tuple[Edit, int, int]]]:
    """Apply non-overlapping edits; also return each edit's first and last line in the new text."""
    out: list[str] = []
    placed: list[tuple[Edit, int, int]] = []
    cursor = 0
    line = 1  # line number, in the new text, of the end of what is in `out`
    for edit in sorted(edits, key=lambda e: (e.start, e.end)):
        if edit.start < cursor:
            raise ValueError(f"overlapping edits at {edit.start}")
        before = text[cursor : edit.start]
        out.append(before)
        line += before.count("\n")
        first = line + (1 if edit.text.startswith("\n") else 0)
        out.append(edit.text)
        line += edit.text.count("\n")
        placed.append((edit, first, max(first, line)))
        cursor = edit.end
    out.append(text[cursor:])
    return "".join(out), placed


def set_value(text: str, root: Node, path: Path_, value: Any, tag: Any = None) -> list[Edit]:
    """Edits that give the scalar (or list of scalars) at `path` a new value, in its old style."""
    node = find(root, path)
    if node is None:
        raise KeyError(path)
    if isinstance(value, list):
        if not isinstance(node, SequenceNode):
            raise TypeError(path)
        return _set_list(text, root, path, node, value, tag)
    if not isinstance(node, ScalarNode):
        raise TypeError(path)
    start, end = span(text, node)
    if node.style in (">", "|"):
        indent = block_indent(text, node) or parent_column(text, root, path) + 2
    else:
        indent = parent_column(text, root, path) + 2
    return [Edit(start, end, render(value, indent=indent, style=node.style), tag)]


def _set_list(text: str, root: Node, path: Path_, node: SequenceNode, values: list, tag: Any) -> list[Edit]:
    if len(values) == len(node.value):
        old = load(text)
        for key in path:
            old = old[key]
        edits: list[Edit] = []
        for index, (item, value) in enumerate(zip(node.value, values)):
            if old[index] == value:
                continue
            if node.flow_style:
                start, end = span(text, item)
                edits.append(Edit(start, end, render(value, indent=0, flow=True), tag))
            else:
                edits.extend(set_value(text, root, (*path, index), value, tag))
        return edits
    start, end = span(text, node)
    if node.flow_style or not node.value:
        body = "[" + ", ".join(render(v, indent=0, flow=True) for v in values) + "]"
        return [Edit(start, end, body, tag)]
    dash = dash_column(text, node.value[0])
    lines = [f"- {render(v, indent=dash + 2)}" for v in values]
    return [Edit(start, end, ("\n" + " " * dash).join(lines), tag)]


def append_item(text: str, root: Node, path: Path_, items: list[str], tag: Any = None) -> Edit:
    """An edit that appends block-style items (rendered by `items`' caller at column 0, each a
    '- ...' block of lines) to the sequence at `path`, indented like the items already there."""
    node = find(root, path)
    if not isinstance(node, SequenceNode):
        raise TypeError(path)
    if node.flow_style or not node.value:
        column = parent_column(text, root, path) + 2
        start, end = span(text, node)
        while start > 0 and text[start - 1] == " ":
            start -= 1
        body = "".join("\n" + _indent_block(item, column) for item in items)
        return Edit(start, end, body, tag)
    column = dash_column(text, node.value[-1])
    _, end = span(text, node)
    newline = text.find("\n", end)
    at = len(text) if newline < 0 else newline
    body = "".join("\n" + _indent_block(item, column) for item in items)
    return Edit(at, at, body, tag)


def _indent_block(block: str, column: int) -> str:
    return "\n".join(" " * column + line if line else "" for line in block.split("\n"))


def sequence_layout(text: str, root: Node, path: Path_) -> dict[str, int]:
    """How the last mapping item of a sequence is laid out, relative to its '-':
    `key` (column of its keys), `sub` (column of a nested list's '-'), `block` (block text)."""
    node = find(root, path)
    layout = {"key": 2, "sub": 4, "block": 4}
    if not isinstance(node, SequenceNode) or not node.value or not isinstance(node.value[-1], MappingNode):
        return layout
    item = node.value[-1]
    dash = dash_column(text, item)
    layout["key"] = item.start_mark.column - dash
    for _, value in item.value:
        if isinstance(value, SequenceNode) and value.value and not value.flow_style:
            layout["sub"] = dash_column(text, value.value[0]) - dash
        if isinstance(value, ScalarNode) and value.style in (">", "|"):
            found = block_indent(text, value)
            if found is not None:
                layout["block"] = found - dash
    return layout


# ---------------------------------------------------------------------------------------------
# Emitting new files in the house style


def dump(data: dict[str, Any], indent: int = 0) -> str:
    """A mapping as block YAML: two-space indents, lists indented under their key, long text
    folded with `>-`, quotes only where needed. Parsed back by the caller's tests."""
    return "\n".join(_dump_map(data, indent)) + "\n"


def _dump_map(data: dict[str, Any], indent: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for key, value in data.items():
        if isinstance(value, dict):
            lines.append(f"{pad}{key}:")
            lines.extend(_dump_map(value, indent + 2))
        elif isinstance(value, list):
            if not value:
                lines.append(f"{pad}{key}: []")
                continue
            lines.append(f"{pad}{key}:")
            lines.extend(_dump_list(value, indent + 2))
        else:
            lines.append(f"{pad}{key}: {_dump_scalar(value, indent + 2, len(pad) + len(key) + 2)}")
    return lines


def _dump_list(values: list[Any], indent: int) -> list[str]:
    lines: list[str] = []
    pad = " " * indent
    for value in values:
        if isinstance(value, dict):
            inner = _dump_map(value, indent + 2)
            inner[0] = f"{pad}- " + inner[0][indent + 2 :]
            lines.extend(inner)
        else:
            lines.append(f"{pad}- {_dump_scalar(value, indent + 2, indent + 2)}")
    return lines


def _dump_scalar(value: Any, indent: int, column: int) -> str:
    token = scalar_token(value)
    if token is not None:
        return token
    return prose(str(value), indent, inline_room=max(20, WIDTH - column))
