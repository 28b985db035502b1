"""Chunked kernel-to-browser transfers: no message over 2 MiB, reassembled whole by the front end's code."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess

import numpy as np
import pytest

from livecalc_lab.widgets import _transport
from livecalc_lab.widgets._assets import JS_DIR
from livecalc_lab.widgets._transport import MAX_MESSAGE, message_size, split

NODE = shutil.which("node")
FIVE_MIB = 5 * 1024 * 1024


def _array() -> np.ndarray:
    return np.random.default_rng(7).standard_normal(FIVE_MIB // 8)


def test_a_five_mib_array_is_split_into_at_least_three_messages_of_at_most_two_mib():
    a = _array()
    msgs = split("per_scenario", a, {"dtype": "<f8", "shape": list(a.shape)})
    assert len(msgs) >= 3
    assert all(message_size(c, b) <= MAX_MESSAGE for c, b in msgs)
    assert [c["index"] for c, _ in msgs] == list(range(len(msgs)))
    assert {c["count"] for c, _ in msgs} == {len(msgs)} and len({c["transfer"] for c, _ in msgs}) == 1
    assert "meta" in msgs[0][0] and all("meta" not in c for c, _ in msgs[1:])
    joined = b"".join(bytes(b[0]) for _, b in msgs)
    assert joined == a.tobytes()


def test_edge_sizes_split_exactly():
    for size, count in ((0, 1), (1, 1), (_transport.CHUNK_BYTES, 1), (_transport.CHUNK_BYTES + 1, 2)):
        msgs = split("x", bytes(size))
        assert len(msgs) == count and sum(len(b[0]) for _, b in msgs) == size
        assert all(c["total"] == size for c, _ in msgs)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="chunk_bytes"):
        split("x", b"abc", chunk_bytes=0)
    with pytest.raises(ValueError, match="too large"):
        split("x", b"abc", {"names": ["n" * 100] * 100})


def test_a_widget_sends_the_transfer_as_comm_messages_within_the_limit(messages):
    from livecalc_lab.widgets._base import LivecalcWidget

    w = LivecalcWidget()
    messages.clear()
    assert _transport.send(w, "per_scenario", _array(), {"dtype": "<f8"}, transfer="t1") >= 3
    assert len(messages) >= 3
    for msg_type, data, buffers in messages:
        assert msg_type == "comm_msg" and data["method"] == "custom" and data["content"]["transfer"] == "t1"
        assert len(json.dumps(data)) + sum(memoryview(b).nbytes for b in buffers) <= MAX_MESSAGE


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_the_front_end_assembler_rebuilds_the_array_from_the_messages_in_any_order(tmp_path):
    """The real Assembler of js/_shared.js, run by Node on the messages, out of order and with a repeat."""
    a = _array()
    msgs = split("per_scenario", a, {"dtype": "<f8"})
    order = [len(msgs) - 1, 0, 0, *range(1, len(msgs) - 1)]  # last first, a repeat, the rest
    wire = [{"content": msgs[i][0], "buffer": base64.b64encode(bytes(msgs[i][1][0])).decode()} for i in order]
    (tmp_path / "msgs.json").write_text(json.dumps(wire))
    script = tmp_path / "assemble.mjs"
    script.write_text(f"""
import {{ readFileSync }} from "node:fs";
import {{ createHash }} from "node:crypto";
import {{ Assembler }} from {json.dumps(str(JS_DIR / "_shared.js"))};
const asm = new Assembler();
let done = null, completions = 0;
for (const m of JSON.parse(readFileSync({json.dumps(str(tmp_path / "msgs.json"))}, "utf8"))) {{
  const b = Buffer.from(m.buffer, "base64");
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const out = asm.add(m.content, [view]);
  if (out) {{ done = out; completions += 1; }}
}}
console.log(JSON.stringify({{ completions, kind: done.kind, meta: done.meta, bytes: done.data.byteLength,
  sha: createHash("sha256").update(done.data).digest("hex"), open: asm.open.size }}));
""")
    out = json.loads(subprocess.run([NODE, str(script)], capture_output=True, text=True, check=True).stdout)
    assert out == {"completions": 1, "kind": "per_scenario", "meta": {"dtype": "<f8"}, "bytes": a.nbytes,
                   "sha": hashlib.sha256(a.tobytes()).hexdigest(), "open": 0}
