"""Vendor presets: the defaults and URL shapes of the SISes districts use, and a helper that
explains a base URL that does not fit its shape (docs/oneroster-client.md "Connection settings").

Sources: the base-path suffixes are those of the OneRoster 1.1 Final Specification
(/ims/oneroster/v1p1) and of the OneRoster 1.2 Rostering and Gradebook Service REST/JSON Bindings
(/ims/oneroster/rostering/v1p2, /ims/oneroster/gradebook/v1p2). Vendor rules come from vendor and
integrator pages: Infinite Campus's guidelines for OneRoster API consumers (5 concurrent requests,
off-peak syncs), ClassLink's PowerSchool API activation article (Maximum Page Size), Canvas's
PowerSchool grade passback Q&A (30-character titles, due dates inside the term), Otus's Skyward
API configuration (district-level categories, whole-number points) and Edlink's Aspen page
(categories cannot be created); their addresses are in docs/oneroster-client.md "Sources"."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

SUFFIXES = {
    ("1.1", "rostering"): "/ims/oneroster/v1p1",
    ("1.1", "gradebook"): "/ims/oneroster/v1p1",
    ("1.2", "rostering"): "/ims/oneroster/rostering/v1p2",
    ("1.2", "gradebook"): "/ims/oneroster/gradebook/v1p2",
}


@dataclass(frozen=True)
class VendorPreset:
    key: str
    label: str
    version: str
    auth_mode: str
    rostering_url_shape: str
    gradebook_url_shape: str | None
    token_url_shape: str | None
    page_size: int = 1000
    max_concurrency: int = 5
    category_scope: str = "class"  # "class": GET /classes/{id}/categories; "district": /categories
    can_create_categories: bool = True
    title_max_length: int | None = None
    whole_number_scores: bool = False
    due_date_within_term: bool = False
    notes: str = ""


PRESETS: dict[str, VendorPreset] = {
    p.key: p
    for p in (
        VendorPreset(
            key="infinite-campus",
            label="Infinite Campus",
            version="1.2",
            auth_mode="oauth2-basic",
            rostering_url_shape="https://<host>/campus/api/ims/oneroster/rostering/v1p2",
            gradebook_url_shape="https://<host>/campus/api/ims/oneroster/gradebook/v1p2",
            token_url_shape="https://<host>/campus/oauth2/token?appName=<appName>",
            page_size=1000,
            max_concurrency=5,
            notes="At most 5 concurrent requests; full sync weekly and deltas nightly, off-peak. "
            "Keys expire (Token Expiration Date in Campus).",
        ),
        VendorPreset(
            key="skyward-sms",
            label="Skyward SMS 2.0",
            version="1.1",
            auth_mode="oauth2-basic",
            rostering_url_shape="https://<Application URL>/api/ims/oneroster/v1p1",
            gradebook_url_shape=None,
            token_url_shape="https://<Application URL>/oauth/token",
            category_scope="district",
            whole_number_scores=True,
            notes="Exported marks need a district-level default category.",
        ),
        VendorPreset(
            key="skyward-qmlativ",
            label="Skyward Qmlativ",
            version="1.1",
            auth_mode="oauth2-basic",
            rostering_url_shape="https://<Application URL>API/ims/oneroster/v1p1",
            gradebook_url_shape=None,
            token_url_shape="https://<Application URL>API/oauth/token",
            category_scope="district",
            whole_number_scores=True,
            notes="Grade pass-back must be allowed on the SIS side; default category required.",
        ),
        VendorPreset(
            key="aspen",
            label="Follett Aspen (6.2+)",
            version="1.1",
            auth_mode="oauth2-basic",
            rostering_url_shape="https://<host>/aspen/ims/oneroster/v1p1",
            gradebook_url_shape=None,
            token_url_shape="https://<host>/aspen/oauth/token",
            category_scope="district",
            can_create_categories=False,
            notes="Cannot create categories; categories are listed district-wide.",
        ),
        VendorPreset(
            key="powerschool",
            label="PowerSchool SIS",
            version="1.1",
            auth_mode="oauth2-basic",
            rostering_url_shape="https://<server>/api/ims/oneroster/v1p1",
            gradebook_url_shape=None,
            token_url_shape="https://<server>/oauth/access_token",
            page_size=1000,
            category_scope="district",
            can_create_categories=False,
            title_max_length=30,
            due_date_within_term=True,
            notes="The plugin's Maximum Page Size silently clamps pages; raise it to 1000. "
            "Titles of 30 characters at most, due dates inside the term, existing categories.",
        ),
        VendorPreset(
            key="generic",
            label="Generic OneRoster",
            version="1.2",
            auth_mode="oauth2-basic",
            rostering_url_shape="https://<host>/<app root>/ims/oneroster/rostering/v1p2 "
            "(1.1: https://<host>/<app root>/ims/oneroster/v1p1)",
            gradebook_url_shape="https://<host>/<app root>/ims/oneroster/gradebook/v1p2",
            token_url_shape="the token URL your SIS documents",
        ),
    )
}


def preset(key: str) -> VendorPreset:
    try:
        return PRESETS[key]
    except KeyError:
        raise ValueError(f"unknown vendor {key!r}; choose one of {sorted(PRESETS)}") from None


def preset_defaults(key: str) -> dict[str, object]:
    """The connection settings a preset fills in when the admin leaves them out."""
    chosen = preset(key)
    return {
        "version": chosen.version,
        "auth_mode": chosen.auth_mode,
        "page_size": chosen.page_size,
        "max_concurrency": chosen.max_concurrency,
    }


def url_shape(vendor: VendorPreset, version: str, service: str) -> str:
    if vendor.key != "generic" and vendor.version == version:
        shape = (
            vendor.rostering_url_shape
            if service == "rostering"
            else (vendor.gradebook_url_shape or vendor.rostering_url_shape)
        )
        return shape
    return f"https://<host>/<app root>{SUFFIXES[(version, service)]}"


def explain_base_url(vendor: VendorPreset, version: str, service: str, url: str) -> str | None:
    """Why `url` does not look like this vendor's OneRoster base URL, or None if it does."""
    path = urlsplit(url).path.rstrip("/")
    suffix = SUFFIXES[(version, service)]
    shape = url_shape(vendor, version, service)
    if path.endswith(suffix):
        return None
    if suffix in path:
        extra = path.split(suffix, 1)[1]
        return (
            f"the {service} base URL should end at {suffix}; remove {extra!r} "
            f"({vendor.label}: {shape})"
        )
    other = [s for (v, svc), s in SUFFIXES.items() if s != suffix and path.endswith(s)]
    if other:
        return (
            f"the {service} base URL ends in {other[0]}, which is not OneRoster {version} "
            f"{service}; expected {suffix} ({vendor.label}: {shape})"
        )
    return f"the {service} base URL should end in {suffix} ({vendor.label}: {shape})"
