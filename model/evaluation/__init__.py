"""`python -m model.evaluate`'s subcommands, one module each as they grow (model/evaluate.py
keeps the command line and the smaller ones)."""
