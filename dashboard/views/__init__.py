"""One module per dashboard page (not `pages/`: Streamlit would read that folder as its
own file-based pages); each has ``TITLE``, ``URL``, ``TERMS`` (the definitions it
links to) and ``render()``."""
