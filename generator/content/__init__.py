"""Reading the site's content: Markdown and front matter into the model."""
