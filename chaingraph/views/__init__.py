"""Views of the graph: interactive HTML networks, GEXF/GraphML/CSV exports and reports."""
