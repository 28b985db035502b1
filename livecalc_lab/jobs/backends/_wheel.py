"""A wheel of the running ``livecalc_lab`` package, for staging to Batch nodes.

The wheel is built from the package files this process imports (Python
modules, the compiled ``engine.wasm``, the bundled data), so a node runs
exactly the code the client submitted with. It is pure Python plus a
platform-independent WebAssembly module: ``py3-none-any``. The archive is
deterministic (sorted entries, fixed timestamps), so the same code always gives
the same bytes and the same content hash, and is staged once.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from pathlib import Path

__all__ = ["build_wheel", "wheel_name"]

_EPOCH = (1980, 1, 1, 0, 0, 0)


def wheel_name() -> str:
    from livecalc_lab import __version__

    return f"livecalc_lab-{__version__}-py3-none-any.whl"


def _requirements(package_dir: Path) -> list[str]:
    """Requires-Dist lines: from the installed distribution, else the source tree's pyproject.toml."""
    import importlib.metadata as md

    try:
        return list(md.distribution("livecalc-lab").requires or [])
    except md.PackageNotFoundError:
        pyproject = package_dir.parent / "pyproject.toml"
        if not pyproject.is_file():
            return []
        import tomllib

        project = tomllib.loads(pyproject.read_text())["project"]
        reqs = list(project.get("dependencies", []))
        for extra, deps in project.get("optional-dependencies", {}).items():
            reqs += [f'{d}; extra == "{extra}"' for d in deps if not d.startswith("livecalc-lab")]
        return reqs


def build_wheel() -> tuple[bytes, str]:
    """``(wheel bytes, sha256 hex)`` of the running package (see the module docstring)."""
    import livecalc_lab

    version = livecalc_lab.__version__
    pkg = Path(livecalc_lab.__file__).resolve().parent
    files: dict[str, bytes] = {}
    for p in sorted(pkg.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts and p.suffix not in (".pyc", ".pyo"):
            files["livecalc_lab/" + p.relative_to(pkg).as_posix()] = p.read_bytes()
    dist = f"livecalc_lab-{version}.dist-info"
    meta = ["Metadata-Version: 2.1", "Name: livecalc-lab", f"Version: {version}"]
    meta += [f"Requires-Dist: {r}" for r in _requirements(pkg)]
    files[f"{dist}/METADATA"] = ("\n".join(meta) + "\n").encode()
    files[f"{dist}/WHEEL"] = b"Wheel-Version: 1.0\nGenerator: livecalc-lab\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
    record = []
    for name, data in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(data)}")
    record.append(f"{dist}/RECORD,,")
    files[f"{dist}/RECORD"] = ("\n".join(record) + "\n").encode()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in files:
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = 0o644 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, files[name])
    data = buf.getvalue()
    return data, hashlib.sha256(data).hexdigest()
