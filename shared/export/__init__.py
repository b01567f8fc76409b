"""Mark export: assignments and marks from Firestore to the SIS gradebook, exactly once."""
