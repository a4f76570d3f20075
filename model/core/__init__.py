"""What every other part builds on: the capture API and its hook points, masks, errors, paths.

Imports nothing else from `model`.
"""
