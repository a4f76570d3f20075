"""Data the project builds or ships: the translation corpus, WNUT-16, the QA generator and the
hand-written QA set, and the parsing of files a user uploads."""
