"""Trained models that ship with chaingraph (see scripts/train_span_finder.py)."""
