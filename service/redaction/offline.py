"""Keep every third-party lookup the engine triggers on local, bundled data."""

from __future__ import annotations

import threading

import tldextract
import tldextract.tldextract
from tldextract.cache import DiskCache

_install_lock = threading.Lock()
_offline_extractor: tldextract.TLDExtract | None = None


def offline_tld_extractor() -> tldextract.TLDExtract:
    """Return the process-wide extractor that only uses tldextract's bundled suffix list."""
    global _offline_extractor
    with _install_lock:
        if _offline_extractor is None:
            # No URLs: never fetch the public suffix list. No cache dir: never read or
            # write ~/.cache. The bundled snapshot is then the only source of suffixes.
            _offline_extractor = tldextract.TLDExtract(
                cache_dir=None, suffix_list_urls=(), fallback_to_snapshot=True
            )
        return _offline_extractor


def install_offline_tldextract() -> tldextract.TLDExtract:
    """Route tldextract's module-level ``extract`` through the offline extractor.

    Presidio's EmailRecognizer (and any recognizer written the same way) calls
    ``tldextract.extract``, which uses the module global ``TLD_EXTRACTOR``; that
    default instance downloads the public suffix list on first use and hangs
    without network. Replacing the global makes every such call offline.
    """
    extractor = offline_tld_extractor()
    default_extractor = tldextract.tldextract.TLD_EXTRACTOR
    if default_extractor is not extractor:
        # Code that grabbed the default instance before this call keeps a reference
        # to it, so take its network and disk cache away as well.
        default_extractor.suffix_list_urls = ()
        default_extractor._cache = DiskCache(None)
        default_extractor.fallback_to_snapshot = True
    tldextract.tldextract.TLD_EXTRACTOR = extractor
    # Warm the suffix trie now, at engine build, instead of on the first request.
    extractor("example.com")
    return extractor
