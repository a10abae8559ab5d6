"""JSON-LD for signing: an offline document loader and canonicalisation (RDFC-1.0) that refuses what it cannot sign.

The contexts are vendored in courseware/data/jsonld/ (see its README for their sources and digests): the loader
serves those by URL and refuses every other URL, so the platform never fetches a context at run time.

Canonicalisation runs in a "safe mode", as the Data Integrity specification asks: a property no context defines
is silently dropped by JSON-LD expansion, and a relative IRI (a `type` no context defines, for example) is either
dropped or resolved against a made-up base depending on the library, so a signature would not cover it or other
verifiers would compute different N-Quads. Both are errors here.
"""
import json
from functools import cache
from importlib import resources

from pyld import jsonld
from pyld.context_resolver import ContextResolver

# Context URL -> file in courseware/data/jsonld/.
CONTEXT_FILES = {
    "https://www.w3.org/ns/credentials/v2": "credentials-v2.jsonld",
    "https://purl.imsglobal.org/spec/ob/v3p0/context.json": "ob-v3p0-context-3.0.0.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.1.json": "ob-v3p0-context-3.0.1.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.2.json": "ob-v3p0-context-3.0.2.json",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": "ob-v3p0-context-3.0.3.json",
    "https://w3id.org/security/data-integrity/v2": "data-integrity-v2.jsonld",
    "https://w3id.org/security/multikey/v1": "multikey-v1.jsonld",
    "https://www.w3.org/ns/cid/v1": "cid-v1.jsonld",
}
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
OB_CONTEXT = "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json"
CID_CONTEXT = "https://www.w3.org/ns/cid/v1"


class CanonicalisationError(ValueError):
    """The document cannot be signed or verified as it is (an unknown context, an undefined term, ...)."""


@cache
def _context_text(url: str) -> str:
    name = CONTEXT_FILES[url]
    return resources.files("courseware.data").joinpath("jsonld", name).read_text(encoding="utf-8")


def load_document(url: str, options=None) -> dict:
    """pyld's document loader: a vendored context by its URL, CanonicalisationError for any other URL."""
    if url not in CONTEXT_FILES:
        raise CanonicalisationError(f"not a vendored JSON-LD context (never fetched): {url}")
    # "tag": pyld keeps the resolved context for later documents only when its loader tags it.
    return {"contentType": "application/ld+json", "contextUrl": None, "documentUrl": url,
            "document": json.loads(_context_text(url)), "tag": "static"}


class _ResolvedContexts(dict):
    """pyld's cache of resolved contexts, for this module's loader only (pyld's default one is global). Bounded:
    a credential being verified may carry inline contexts, and each would stay here."""

    LIMIT = 64

    def __setitem__(self, key, value):
        if len(self) >= self.LIMIT:
            self.clear()
        super().__setitem__(key, value)


_RESOLVED = _ResolvedContexts()


def _options() -> dict:
    # base None: a relative IRI stays relative (and is caught below) instead of pyld's http://example.org/base/.
    return {"documentLoader": load_document, "base": None,
            "contextResolver": ContextResolver(_RESOLVED, load_document)}


def canonicalize(document: dict) -> str:
    """The RDFC-1.0 canonical N-Quads of a JSON-LD document; CanonicalisationError for what a signature can't cover."""
    dropped = []
    try:
        expanded = jsonld.JsonLdProcessor(on_property_dropped=dropped.append).expand(document, _options())
    except jsonld.JsonLdError as error:
        raise CanonicalisationError(_describe(error)) from error
    if dropped:
        raise CanonicalisationError(f"terms no context defines: {', '.join(sorted(set(map(str, dropped))))}")
    _refuse_relative_iris(expanded)
    try:
        return jsonld.normalize(expanded, {**_options(), "algorithm": "URDNA2015", "format": "application/n-quads"})
    except jsonld.JsonLdError as error:
        raise CanonicalisationError(_describe(error)) from error


def _refuse_relative_iris(node) -> None:
    if isinstance(node, list):
        for item in node:
            _refuse_relative_iris(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@value":
            continue
        if key in ("@id", "@type"):
            for iri in value if isinstance(value, list) else [value]:
                if isinstance(iri, str) and not _is_absolute(iri):
                    raise CanonicalisationError(f"relative IRI (a term no context defines?): {iri!r}")
        else:
            _refuse_relative_iris(value)


def _is_absolute(iri: str) -> bool:
    scheme, colon, _rest = iri.partition(":")
    return bool(colon) and (scheme == "_" or (scheme[:1].isalpha() and all(
        c.isalnum() or c in "+-." for c in scheme)))


def _describe(error: Exception) -> str:
    """The innermost cause of a pyld error, which says what was wrong (pyld wraps it in generic messages)."""
    while error.__cause__ is not None:
        error = error.__cause__
    return str(error).splitlines()[0] if str(error) else type(error).__name__
