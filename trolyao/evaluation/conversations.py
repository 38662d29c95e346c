"""`trolyao eval conversations`: replay contract conversation files through the running gateway."""

from __future__ import annotations

import json
import re
import sys
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

URL_RE = re.compile(r"https?://\S+")


@dataclass
class TurnResult:
    conversation: str
    turn: int
    user: str
    passed: bool
    problems: list[str] = field(default_factory=list)
    response: dict[str, Any] = field(default_factory=dict)


def post_chat(base_url: str, sender_id: str, text: str, channel: str, timeout: float = 30) -> dict[str, Any]:
    body = json.dumps({"sender_id": sender_id, "text": text, "channel": channel}).encode()
    request = urllib.request.Request(
        f"{base_url.rstrip('/')}/api/chat", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


def check_turn(expect: dict[str, Any], response: dict[str, Any]) -> list[str]:
    replies = response.get("replies") or []
    text = "\n".join(r.get("text") or "" for r in replies)
    lowered = text.lower()
    buttons = [b for r in replies for b in r.get("buttons") or []]
    links = URL_RE.findall(text) + [b.get("url") or b.get("payload") or "" for b in buttons]
    problems = []
    if "intent" in expect and response.get("intent") != expect["intent"]:
        problems.append(f"intent: mong {expect['intent']}, nhận {response.get('intent')}")
    if "procedure" in expect and response.get("procedure") != expect["procedure"]:
        problems.append(f"procedure: mong {expect['procedure']}, nhận {response.get('procedure')}")
    if "codes" in expect:
        problem = codes_problem(expect["codes"], response.get("codes"))
        if problem:
            problems.append(problem)
    for needle in expect.get("contains") or []:
        if needle.lower() not in lowered:
            problems.append(f"contains: thiếu '{needle}'")
    anyof = expect.get("contains_any") or []
    if anyof and not any(n.lower() in lowered for n in anyof):
        problems.append(f"contains_any: không có {anyof}")
    for needle in expect.get("not_contains") or []:
        if needle.lower() in lowered:
            problems.append(f"not_contains: có '{needle}'")
    titles = [str(b.get("title", "")).lower() for b in buttons]
    for wanted in expect.get("buttons_include") or []:
        if not any(wanted.lower() in t for t in titles):
            problems.append(f"buttons_include: thiếu nút '{wanted}'")
    if "image" in expect and bool(any(r.get("image") for r in replies)) != bool(expect["image"]):
        problems.append(f"image: mong {expect['image']}")
    if "link_contains" in expect and not any(expect["link_contains"] in link for link in links):
        problems.append(f"link_contains: không có liên kết chứa '{expect['link_contains']}'")
    return problems


def codes_problem(wanted: Any, got: Any) -> str | None:
    """`codes` (CONTRACT.md section 4): the answer's codes include one of the wanted ones;
    `codes: []` wants an answer with none (a procedure the catalogue does not hold)."""
    wanted = [str(code) for code in wanted or []]
    got = [str(code) for code in got] if isinstance(got, list) else []
    if not wanted:
        return None if not got else f"codes: mong không có thủ tục nào, nhận {got}"
    if any(code in got for code in wanted):
        return None
    return f"codes: mong một trong {wanted}, nhận {got}"


def replay(path: Path, base_url: str) -> tuple[dict[str, Any], list[TurnResult]]:
    conversations = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    results: list[TurnResult] = []
    passed_conversations = 0
    for conv in conversations:
        sender = f"eval-{uuid.uuid4().hex[:12]}"
        channel = conv.get("channel", "web")
        ok = True
        for number, turn in enumerate(conv.get("turns") or [], start=1):
            try:
                response = post_chat(base_url, sender, str(turn["user"]), channel)
                problems = check_turn(turn.get("expect") or {}, response)
            except Exception as exc:  # a failed request is a failed turn, not a crash of the run
                response, problems = {}, [f"lỗi gọi /api/chat: {exc}"]
            results.append(TurnResult(conv.get("name", "?"), number, turn["user"], not problems, problems, response))
            ok = ok and not problems
        passed_conversations += ok
    summary = {
        "conversations": len(conversations),
        "passed": passed_conversations,
        "turns": len(results),
        "turns_passed": sum(r.passed for r in results),
        "failures": [
            {"conversation": r.conversation, "turn": r.turn, "user": r.user, "problems": r.problems}
            for r in results
            if not r.passed
        ],
    }
    return summary, results


def replay_on_stack(path: Path, base_url: str | None, announce: str = "") -> tuple[dict[str, Any], list[TurnResult]]:
    """`replay` against `base_url`, or against the whole stack started for it (and stopped after)."""
    if base_url:
        return replay(path, base_url)
    from trolyao.stack import Stack
    from trolyao.training import train

    stack = Stack(model=train(log=sys.stderr))
    if announce:
        print(announce, file=sys.stderr, flush=True)
    stack.start()
    try:
        stack.wait_ready()
        return replay(path, stack.gateway_url)
    finally:
        stack.stop()


def write_junit(results: list[TurnResult], path: Path) -> None:
    """JUnit XML: one test suite per conversation, one test case per turn."""
    from xml.etree import ElementTree as ET

    suites = ET.Element("testsuites", name="trolyao conversations")
    by_conversation: dict[str, list[TurnResult]] = {}
    for result in results:
        by_conversation.setdefault(result.conversation, []).append(result)
    for name, turns in by_conversation.items():
        failures = sum(not t.passed for t in turns)
        suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(turns)), failures=str(failures))
        for turn in turns:
            case = ET.SubElement(suite, "testcase", classname=name, name=f"lượt {turn.turn}: {turn.user}")
            if not turn.passed:
                failure = ET.SubElement(case, "failure", message="; ".join(turn.problems))
                failure.text = _reply_text(turn.response)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)


def _reply_text(response: dict[str, Any]) -> str:
    lines = []
    for reply in response.get("replies") or []:
        if reply.get("text"):
            lines.append(reply["text"])
        if reply.get("image"):
            lines.append("[ảnh]")
        for button in reply.get("buttons") or []:
            lines.append(f"[nút] {button.get('title')}")
    return "\n".join(lines)


def write_report(results: list[TurnResult], path: Path) -> None:
    """A readable transcript of every failing conversation (Markdown, or HTML for .html)."""
    failing = {r.conversation for r in results if not r.passed}
    parts = ["# Hội thoại kiểm thử chưa đạt", ""] if failing else ["# Mọi hội thoại kiểm thử đều đạt", ""]
    for name in [n for n in dict.fromkeys(r.conversation for r in results) if n in failing]:
        parts += [f"## {name}", ""]
        for turn in (r for r in results if r.conversation == name):
            mark = "✅" if turn.passed else "❌"
            parts.append(f"{mark} **Người dân:** {turn.user}  ")
            parts.append(
                f"intent={turn.response.get('intent')}, procedure={turn.response.get('procedure')}, "
                f"codes={turn.response.get('codes')}  "
            )
            for line in _reply_text(turn.response).splitlines():
                parts.append(f"> {line}  ")
            for problem in turn.problems:
                parts.append(f"- **Lỗi:** {problem}")
            parts.append("")
    text = "\n".join(parts)
    if path.suffix.lower() in {".html", ".htm"}:
        import html

        body = "".join(
            f"<h2>{html.escape(p[3:])}</h2>" if p.startswith("## ")
            else f"<h1>{html.escape(p[2:])}</h1>" if p.startswith("# ")
            else f"<p>{html.escape(p)}</p>" for p in parts if p
        )  # fmt: skip
        text = f'<!doctype html><meta charset="utf-8"><title>Hội thoại kiểm thử</title>{body}'
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
