#!/usr/bin/env python3
"""Builds ../demo.cassette.jsonl, the demo's recorded replies, from the story in this folder.

The replies are the *.md files here; `{{NAME}}` in a reply is replaced by the file NAME of this
folder. The prompts are the step prompts the demo offers (assets/prompts/step-*.md); the two fix
rounds are marked `fix`, so a replay plays them in order whatever text specbench generates from
the test results. Pacing: about 20 ms a chunk, like a fast model. Run it after editing the story;
`cargo test` checks that the cassette and the story agree.
"""

import hashlib
import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROMPTS = HERE.parent.parent / "prompts"
MODEL = "gpt-4.1-mini"


def prompt(name):
    return (PROMPTS / name).read_text().rstrip()


def fingerprint(text):
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()


def reply(name):
    text = (HERE / name).read_text()
    return re.sub(r"\{\{([\w.]+)\}\}\n?", lambda m: (HERE / m.group(1)).read_text(), text)


def events(text):
    out, at = [], 350
    piece = ""
    for word in re.findall(r"\S+\s*|\s+", text):
        piece += word
        if len(piece) >= 18 or "\n" in word:
            out.append({"at_ms": at, "delta": piece})
            at += 60 if "\n\n" in piece else 20
            piece = ""
    if piece:
        out.append({"at_ms": at, "delta": piece})
        at += 20
    out.append({"at_ms": at, "usage": {"completion": len(text) // 4}})
    return out


STORY = [
    (prompt("step-tests.md"), False, "1-tests.md"),
    (prompt("step-implement.md"), False, "2-implement-list.md"),
    ("{FIX1}", True, "3-fix-1.md"),
    ("{FIX2}", True, "4-fix-2.md"),
    (prompt("step-implement.md"), False, "5-implement-deque.md"),
    (prompt("step-verify.md"), False, "6-verify.md"),
]

FIXES = json.loads((HERE / "fix-prompts.json").read_text())


def main():
    lines = []
    for text, fix, name in STORY:
        text = FIXES.get(text, text)
        entry = {"v": 1, "fingerprint": fingerprint(text), "prompt": text}
        if fix:
            entry["fix"] = True
        entry.update({"model": MODEL, "events": events(reply(name)), "end": "complete"})
        lines.append(json.dumps(entry, ensure_ascii=False))
    (HERE.parent / "demo.cassette.jsonl").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
