"""Alignment of the four chains: coupling, weak links, gaps, islands, suggestions, trends."""
