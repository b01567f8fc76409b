"""Where Rostersync keeps its documents: the layout of paths, the document-store port, and the
in-memory store that unit and step tests use in place of Firestore."""
