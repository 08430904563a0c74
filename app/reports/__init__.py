"""Human-readable renderings of engine results (terminal tables; documents come later)."""
