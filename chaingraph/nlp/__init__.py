"""spaCy components that find and link concepts and type the relations between them."""
