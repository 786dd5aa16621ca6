"""The crawler: sources, polite fetching, list discovery, extraction, the crawl run."""
