"""Reading content: front matter and its limits, Markdown (engine: which path; markdown: Python; markdown_rs: fast)."""
