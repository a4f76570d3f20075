"""`python -m model.evaluate`'s subcommands, one module each (`evaluate(args)` returns the
command's last line); model/evaluate.py is the command line."""
