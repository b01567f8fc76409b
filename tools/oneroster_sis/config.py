"""How one local SIS is set up: its URL layout, auth options and vendor quirks."""

from __future__ import annotations

from dataclasses import dataclass, field

from tools.oneroster_sis.profiles import Quirks

V11, V12 = "1.1", "1.2"
# Service base paths after the vendor prefix (OneRoster 1.1 final specification, base URL; the
# `servers` of the official 1.2 OpenAPI files in specs/).
BASES = {
    (V11, "rostering"): "/ims/oneroster/v1p1",
    (V11, "gradebook"): "/ims/oneroster/v1p1",
    (V12, "rostering"): "/ims/oneroster/rostering/v1p2",
    (V12, "gradebook"): "/ims/oneroster/gradebook/v1p2",
}


@dataclass
class SisConfig:
    prefix: str = ""
    token_path: str = ""  # default: <prefix>/oauth/token
    strict: bool = True  # validate gradebook writes as real SISes do; False: --lenient
    profile: str = "spec"
    quirks: Quirks = field(default_factory=Quirks)
    accept_oauth1: bool = True

    def token_route(self) -> str:
        return self.token_path or f"{self.prefix}/oauth/token"
