"""RDF: identifiers, per-document named graphs, the relations graph, export and SHACL validation."""
