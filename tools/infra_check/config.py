"""infra/ parsed with python-hcl2: its resources, locals and texts."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"

# --- parsing -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    type: str
    name: str
    body: dict[str, Any]
    file: str

    @property
    def address(self) -> str:
        return f"{self.type}.{self.name}"


@dataclass
class Config:
    texts: dict[str, str] = field(default_factory=dict)
    parsed: dict[str, dict[str, Any]] = field(default_factory=dict)
    resources: list[Resource] = field(default_factory=list)
    locals: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    def of_type(self, type_: str) -> list[Resource]:
        return [r for r in self.resources if r.type == type_]

    def find(self, type_: str, name: str) -> Resource | None:
        return next((r for r in self.of_type(type_) if r.name == name), None)


def hcl_files(infra: Path) -> list[Path]:
    files = sorted(infra.glob("*.tf"))
    example = infra / "terraform.tfvars.example"
    return files + ([example] if example.is_file() else [])


def unquote(value: Any) -> str | None:
    """The text of a string literal as python-hcl2 (v8) returns it (``'"text"'``), else None."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        inner = value[1:-1]
        return None if "${" in inner else inner.replace('\\"', '"').replace("\\\\", "\\")
    return None


def expr(value: Any) -> str:
    """An attribute value as comparable source text: ``${a.b}`` -> ``a.b``; literals quoted."""
    if isinstance(value, str):
        if value.startswith("${") and value.endswith("}"):
            return " ".join(value[2:-1].split())
        return " ".join(value.split())
    return repr(value)


def block(body: dict[str, Any], name: str) -> dict[str, Any]:
    """The first nested block ``name`` of a resource body ({} when absent)."""
    blocks = body.get(name)
    if isinstance(blocks, list) and blocks and isinstance(blocks[0], dict):
        return blocks[0]
    return {}


def load(infra: Path = INFRA) -> Config:
    import hcl2

    config = Config()
    for path in hcl_files(infra):
        text = path.read_text(encoding="utf-8")
        config.texts[path.name] = text
        try:
            parsed = hcl2.loads(text)
        except Exception as exc:  # python-hcl2 raises lark errors of several kinds
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            config.problems.append(f"{path.name}: does not parse: {first}")
            continue
        config.parsed[path.name] = parsed
        for entry in parsed.get("resource", []):
            for type_, named in entry.items():
                for name, body in named.items():
                    config.resources.append(
                        Resource(unquote(type_) or type_, unquote(name) or name, body, path.name)
                    )
        for entry in parsed.get("locals", []):
            config.locals.update({k: v for k, v in entry.items() if not k.startswith("__")})
    return config
