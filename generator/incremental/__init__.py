"""What makes a build incremental: the typed store, signatures, fingerprints, dependencies, forking."""
