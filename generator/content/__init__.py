"""Reading content: front matter and its limits, Markdown on two paths (markdown, markdown_rs), files into Posts."""
