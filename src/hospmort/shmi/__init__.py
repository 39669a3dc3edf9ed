"""The SHMI (shmi.md): scope and exclusions (:mod:`.scope`), case-mix, indicator and quality check."""
