"""Request-layer helpers the blueprints share: security headers and CSRF, caches of rendered pages, language
choice, template helpers and the safe "next" URL (one of each)."""
